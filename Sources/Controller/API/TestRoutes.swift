import Hummingbird
import WireProtocol

/// The tests of a case, read from its JUnit XML result file: a page at a time, and one with its output.
struct TestRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        let tests = TestRepository(database: services.database)
        api.get("cases/:id/tests") { request, context -> Page<CaseTest> in
            _ = try context.requireUser()
            let status = try request.query("status", as: TestStatus.self)
            return try await tests.tests(caseID: try request.id(context), Pagination(request), status: status)
        }
        api.get("cases/:id/tests/:n") { request, context -> CaseTest in
            _ = try context.requireUser()
            let caseID = try request.id(context)
            return try await tests.test(caseID: caseID, n: Int(try request.id(context, "n")))
        }
    }
}
