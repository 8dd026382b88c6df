import Foundation

/// Anything that names a test within its case.
public protocol NamedTest {
    var classname: String { get }
    var name: String { get }
}

extension NamedTest {
    /// `classname.name`, or the name alone when there is no class name: how people read a test's name.
    public var qualifiedName: String { classname.isEmpty ? name : "\(classname).\(name)" }
}
