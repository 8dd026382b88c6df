import Hummingbird

extension RouterGroup<AppRequestContext> {
    /// A page's button that changes the item its path's `:id` names. The form is checked as every form is (a
    /// signed-in user, the session's CSRF token, and the admin role with `admin`); then `action` runs, and the
    /// browser goes to the page it returns.
    @discardableResult
    func button(
        _ path: RouterPath,
        admin: Bool = false,
        _ action: @escaping @Sendable (_ user: WebUser, _ id: Int64, _ context: AppRequestContext) async throws -> String
    ) -> Self {
        post(path) { request, context -> Response in
            let (user, _) = try await context.webForm(request, admin: admin)
            return WebRedirect(location: try await action(user, try request.id(context), context)).response
        }
    }
}
