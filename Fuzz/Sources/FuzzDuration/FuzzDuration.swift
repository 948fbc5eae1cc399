import BarrageCore

/// Durations and the ramp grammar: values or BarrageErrors, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDuration(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let micros = DurationParser.micros(text) { _ = DurationParser.format(micros: micros) }
    if let ramp = try? RampGrammar.parse(text, flag: "--ramp-rate") {
        let schedule = OpenSchedule(startRate: ramp.start, stages: ramp.stages.map { RateStage(durationMicros: $0.durationMicros, rate: $0.value) })
        var it = schedule.makeIterator(limit: 1_000)
        while it.next() != nil {}
    }
    return 0
}
