import Foundation
import WireProtocol

/// One choice of a `<select>`.
struct SelectOption: Sendable {
    var value: String
    var label: String
    var selected: Bool
}
