import ArgumentParser
import Foundation
import WireProtocol

/// `--json` for commands that show things: the wire JSON instead of text.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON as the API gives it instead of text.")
    var json = false

    /// Prints `value` as JSON, or the text `render` makes of it.
    func emit<T: Encodable>(_ value: T, _ render: (T) -> String) throws {
        if json {
            let encoder = WireJSON.encoder()
            encoder.outputFormatting.insert(.prettyPrinted)
            Console.out(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            Console.out(render(value))
        }
    }
}
