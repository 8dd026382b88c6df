import WireProtocol

/// Checks a result's fields before anything is stored.
enum CaseResultValidation {
    static func validate(_ result: CaseResult) throws {
        guard result.durationMs >= 0 else { throw StoreError.invalid("duration_ms: must not be negative") }
        if let log = result.log, log.offset < 0 { throw StoreError.invalid("log.offset: must not be negative") }
        if result.handedBack == true, result.status != .error {
            throw StoreError.invalid("handed_back: a case handed back has status error, not \(result.status.rawValue)")
        }
        try CaseTests.validate(result.tests)
    }
}
