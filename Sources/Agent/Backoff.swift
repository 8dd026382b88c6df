/// Exponential backoff with jitter, from 100 ms to 5 s.
struct Backoff: Sendable {
    var attempt = 0
    var base = Duration.milliseconds(100)
    var limit = Duration.seconds(5)

    mutating func next() -> Duration {
        attempt += 1
        let exponent = min(attempt - 1, 10)
        let ceiling = min(base * (1 << exponent), limit)
        let millis = Double(ceiling.components.seconds) * 1000 + Double(ceiling.components.attoseconds) / 1e15
        return .milliseconds(Int64(Double.random(in: (millis / 2)...millis)))
    }

    mutating func reset() { attempt = 0 }
}
