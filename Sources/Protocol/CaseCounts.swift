import Foundation

/// Cases of a task per state.
public struct CaseCounts: Codable, Sendable, Equatable {
    public var queued = 0
    public var leased = 0
    public var running = 0
    public var passed = 0
    public var failed = 0
    public var error = 0
    public var skipped = 0
    public var timedOut = 0
    public var cancelled = 0
    public var total = 0

    public init() {}

    public subscript(state: CaseState) -> Int {
        get {
            switch state {
            case .queued: queued
            case .leased: leased
            case .running: running
            case .passed: passed
            case .failed: failed
            case .error: error
            case .skipped: skipped
            case .timedOut: timedOut
            case .cancelled: cancelled
            }
        }
        set {
            switch state {
            case .queued: queued = newValue
            case .leased: leased = newValue
            case .running: running = newValue
            case .passed: passed = newValue
            case .failed: failed = newValue
            case .error: error = newValue
            case .skipped: skipped = newValue
            case .timedOut: timedOut = newValue
            case .cancelled: cancelled = newValue
            }
        }
    }

    /// Cases that reached a terminal state.
    public var finished: Int { total - queued - leased - running }
}
