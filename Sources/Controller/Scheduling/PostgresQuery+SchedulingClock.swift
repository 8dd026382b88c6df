import Foundation
import PostgresNIO

extension PostgresQuery.StringInterpolation {
    /// The scheduling clock's instant in a query written by interpolation: ``SchedulingSQL/now(_:)`` with `now`
    /// bound as its parameter.
    mutating func appendInterpolation(_ now: SchedulingClock.Now) {
        // A parameter is numbered as it is bound, so the expression is written around it.
        let marker = "\u{0}"
        let around = SchedulingSQL.now(marker).components(separatedBy: marker)
        appendLiteral(around[0])
        appendInterpolation(now.instant)
        appendLiteral(around[1])
    }
}
