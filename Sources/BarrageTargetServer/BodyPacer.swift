/// Decides how many body bytes go in the next chunk and when that chunk is due.
///
/// Deadlines are absolute offsets from the start of the body: chunk k is due at
/// `(bytes sent before chunk k) / bytesPerSecond` seconds after the start, so a late timer or a
/// stalled reader never pushes later chunks back (no drift accumulates; a late writer catches up).
/// Paced chunks hold about 10 ms of bytes (`bytesPerSecond / 100`, at least 1 byte, at most
/// `maxChunkBytes`). An unpaced body is due immediately, in `maxChunkBytes` chunks.
struct BodyPacer: Equatable, Sendable {
    /// Body length in bytes.
    let totalBytes: Int
    /// Pacing rate, or `nil` to send as fast as the peer reads.
    let bytesPerSecond: Int?
    /// Bytes per full chunk.
    let chunkBytes: Int
    /// Bytes handed to the channel so far.
    private(set) var sentBytes = 0

    init(totalBytes: Int, bytesPerSecond: Int?, maxChunkBytes: Int) {
        precondition(totalBytes >= 0 && maxChunkBytes > 0)
        precondition(bytesPerSecond.map { $0 > 0 } ?? true)
        self.totalBytes = totalBytes
        self.bytesPerSecond = bytesPerSecond
        if let bytesPerSecond {
            self.chunkBytes = min(maxChunkBytes, max(1, bytesPerSecond / 100))
        } else {
            self.chunkBytes = maxChunkBytes
        }
    }

    var isComplete: Bool { sentBytes >= totalBytes }

    /// Size of the next chunk: a full chunk, or what is left.
    var nextChunkBytes: Int { min(chunkBytes, totalBytes - sentBytes) }

    /// Nanoseconds after the body start at which the next chunk is due (0 when unpaced),
    /// saturating at `Int64.max` instead of overflowing.
    var nextChunkDueNanos: Int64 {
        guard let bytesPerSecond else { return 0 }
        let product = UInt64(sentBytes).multipliedFullWidth(by: 1_000_000_000)
        let divisor = UInt64(bytesPerSecond)
        guard product.high < divisor else { return Int64.max }
        let quotient = divisor.dividingFullWidth(product).quotient
        return quotient > UInt64(Int64.max) ? Int64.max : Int64(quotient)
    }

    /// Records that `byteCount` more bytes were written.
    mutating func recordSent(_ byteCount: Int) {
        sentBytes += byteCount
    }
}
