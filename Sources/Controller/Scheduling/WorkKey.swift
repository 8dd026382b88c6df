/// A product/tool pair: the unit work is matched on.
struct WorkKey: Hashable, Sendable {
    var productID: Int64
    var toolID: Int64
}
