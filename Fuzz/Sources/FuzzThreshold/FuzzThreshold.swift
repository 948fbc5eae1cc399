import BarrageCore

/// Threshold expressions: a Threshold or a BarrageError, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzThreshold(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? Threshold.parse(text)
    _ = try? Compare.parseGate(text)
    return 0
}
