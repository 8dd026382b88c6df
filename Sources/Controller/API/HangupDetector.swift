import NIOCore

/// Closes a connection as soon as its client stops sending.
///
/// The HTTP server allows a remote half-closure, so a client that hangs up mid-request shows only as the end of
/// its input while the connection stays open. A waiting lease request must see that at once: its case would
/// otherwise be leased to an agent that is gone and be lost for a whole lease. As a reverse proxy does, the
/// end of a client's input ends its request.
final class HangupDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
    }
}
