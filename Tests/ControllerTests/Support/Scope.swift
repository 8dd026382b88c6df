/// Runs `body` with `resource`, then stops it with `stop`, whether `body` returned or threw: what a test starts
/// ends with the scope it was started for.
func using<Resource, T>(
    _ resource: Resource,
    stop: (Resource) async -> Void,
    _ body: (Resource) async throws -> T
) async throws -> T {
    let value: T
    do {
        value = try await body(resource)
    } catch {
        await stop(resource)
        throw error
    }
    await stop(resource)
    return value
}
