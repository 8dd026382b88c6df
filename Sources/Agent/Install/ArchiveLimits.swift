/// How much one archive may unpack to: never more than `maxBytes`, and beyond the first `ratioFloor` bytes
/// no more than `maxRatio` times its own size, which stops decompression bombs early.
struct ArchiveLimits: Sendable, Equatable {
    var maxBytes: Int64 = 64 << 30
    var maxRatio: Int64 = 200
    var ratioFloor: Int64 = 64 << 20

    func budget(archiveSize: Int64) -> Int64 {
        let (scaled, overflow) = archiveSize.multipliedReportingOverflow(by: maxRatio)
        return min(maxBytes, max(ratioFloor, overflow ? .max : scaled))
    }
}
