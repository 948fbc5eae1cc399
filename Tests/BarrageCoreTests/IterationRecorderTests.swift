import XCTest
@testable import BarrageCore

/// A flow without think steps records each iteration's duration once and takes it as the duration without think
/// steps too: the same recorder as recording both with no think time.
final class IterationRecorderTests: XCTestCase {
    func testRecordingOnceEqualsRecordingBothWithoutThinkTime() {
        var both = IterationRecorder()
        var once = IterationRecorder()
        let samples: [(IterationEnd, Int64)] = [(.completed, 1_200), (.failed, 35_000), (.interrupted, 9),
                                                (.completed, -5), (.completed, Int64(LatencyHistograms.highestMicros) + 7),
                                                (.completed, 250)]
        for (end, micros) in samples {
            both.record(end, durationMicros: micros, thinkMicros: 0)
            once.recordWithoutThinkSteps(end, durationMicros: micros)
        }
        once.takeDurationAsWithoutThink()
        XCTAssertEqual(once.completed, both.completed)
        XCTAssertEqual(once.failed, both.failed)
        XCTAssertEqual(once.interrupted, both.interrupted)
        XCTAssertEqual(once.clampedSamples, both.clampedSamples)
        XCTAssertEqual(once.clampedSamples, 2, "the sample above the range, clamped in both histograms")
        XCTAssertEqual(once.duration, both.duration)
        XCTAssertEqual(once.durationWithoutThink, both.durationWithoutThink)
    }
}
