import BarrageCore

/// Any bytes as a profile: the decoder must answer with a profile or a BarrageError, never crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? ProfileLoader.parse(text: text, path: "fuzz.yaml", variables: ["BASE_URL": "http://127.0.0.1:1", "TOKEN": "t"],
                                 environment: [:])
    return 0
}
