import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A `text/event-stream` response that polls for news once a second and sends what changed. It ends when the
/// poll says it is done, when the browser goes away, and on graceful shutdown; browsers reconnect by
/// themselves after the `retry:` delay (to a restarted controller too).
enum EventStream {
    /// One server-sent event.
    struct Event: Sendable, Equatable {
        var name: String
        /// One line: JSON, so that new lines inside arrive intact.
        var data: String
        /// What the browser sends back as `Last-Event-ID` when it reconnects.
        var id: String?

        var encoded: String {
            var text = "event: \(name)\n"
            if let id { text += "id: \(id)\n" }
            return text + "data: \(data)\n\n"
        }

        /// An event whose data is `value` as JSON.
        static func json(_ name: String, _ value: some Encodable, id: String? = nil) throws -> Event {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Event(name: name, data: String(decoding: try encoder.encode(value), as: UTF8.self), id: id)
        }

        /// Tells the page that nothing more will come, so it stops reconnecting.
        static let end = Event(name: "end", data: "{}")
    }

    /// What one poll found.
    struct Poll: Sendable {
        var events: [Event]
        /// Nothing will change any more: the stream ends after these events.
        var done = false
    }

    static let retryMilliseconds = 2000
    static let keepAlive: Duration = .seconds(15)

    /// The response: `poll` runs at once and then every `interval` with its own state.
    static func response<State: Sendable>(
        context: AppRequestContext,
        initial: State,
        interval: Duration = .seconds(1),
        poll: @escaping @Sendable (inout State) async throws -> Poll
    ) -> Response {
        let channel = context.channel
        let logger = context.logger
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: \(retryMilliseconds)\n\n"))
            var state = initial
            var lastWrite = ContinuousClock.now
            while channel?.isActive ?? true {
                let found: Poll
                do {
                    found = try await poll(&state)
                } catch {
                    // The browser reconnects and the next stream starts afresh.
                    logger.debug("live update stream ended: \(error)")
                    break
                }
                if !found.events.isEmpty {
                    try await writer.write(ByteBuffer(string: found.events.map(\.encoded).joined()))
                    lastWrite = .now
                } else if ContinuousClock.now - lastWrite > keepAlive {
                    // Finds out whether the browser is still there.
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                }
                if found.done { break }
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                } catch {
                    break
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: body
        )
    }
}
