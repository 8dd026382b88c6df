import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The live parts of a page, HTML by element id. Only parts whose HTML changed since the last event are sent
/// again.
struct LiveRegions: Sendable {
    private var sent: [String: String] = [:]

    /// The regions that differ from what was sent, remembered as sent.
    mutating func changes(_ current: [String: String]) -> [String: String] {
        let changed = current.filter { sent[$0.key] != $0.value }
        sent.merge(changed) { $1 }
        return changed
    }

    /// The changes as a `regions` event, or none.
    mutating func event(_ current: [String: String]) throws -> [EventStream.Event] {
        let changed = changes(current)
        return changed.isEmpty ? [] : [try .json("regions", changed)]
    }
}
