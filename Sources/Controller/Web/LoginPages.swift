import Foundation
import Hummingbird

/// Logging in and out. The login form has no session to take a CSRF token from, so it carries one that is
/// also set as a short-lived cookie (a form posted from another site has no such cookie).
struct LoginPages {
    let services: ControllerServices
    let renderer: WebRenderer

    static let loginCookie = "testfleet_login"

    /// The login form, filled in again after a failed attempt.
    struct LoginView {
        var next: String
        var username: String
        var error: String?
        var loginToken: String
    }

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        web.get("login") { request, context -> Response in
            let next = WebRedirect.safeTarget(request.query("next"))
            if context.sessionUser != nil { return WebRedirect(location: next).response }
            return try loginPage(next: next, username: "", error: nil, status: .ok)
        }
        web.post("login") { request, context -> Response in
            let form = try await WebForm.read(request, context: context)
            let next = WebRedirect.safeTarget(form["next"])
            guard let expected = request.cookies[Self.loginCookie]?.value,
                WebUser.constantTimeEqual(form[WebUser.csrfField] ?? "", expected)
            else {
                throw AppError.forbidden("the login form is out of date or came from another site: reload the login page")
            }
            let username = form.text("username") ?? ""
            do {
                let login = try await AuthRoutes(services: services).logIn(username: username, password: form["password"] ?? "")
                var response = WebRedirect(location: next).response
                response.setCookie(login.cookie)
                response.setCookie(loginCookie("", maxAge: 0))
                return response
            } catch {
                guard let error = AppError.refusal(error, among: [.unauthorized]) else { throw error }
                // The API's words as a sentence: wrong credentials, or (to who knows the password) a disabled account.
                let message = error.message.prefix(1).uppercased() + error.message.dropFirst() + "."
                return try loginPage(next: next, username: username, error: message, status: .unauthorized)
            }
        }
        web.post("logout") { request, context -> Response in
            _ = try await context.webForm(request)
            var response = WebRedirect(location: "/login").response
            response.setCookie(try await AuthRoutes(services: services).logOut(request))
            return response
        }
    }

    private func loginPage(next: String, username: String, error: String?, status: HTTPResponse.Status) throws -> Response {
        let token = Secrets.randomToken(bytes: 24)
        let frame = PageFrame(
            title: "Log in",
            user: nil,
            section: nil,
            assetVersion: renderer.assetVersion,
            page: LoginView(next: next, username: username, error: error, loginToken: token)
        )
        var response = try renderer.page("login", frame, status: status)
        response.setCookie(loginCookie(token, maxAge: 3600))
        return response
    }

    private func loginCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(
            name: Self.loginCookie,
            value: value,
            maxAge: maxAge,
            path: "/login",
            secure: !services.config.insecureHTTP,
            httpOnly: true,
            sameSite: .strict
        )
    }
}
