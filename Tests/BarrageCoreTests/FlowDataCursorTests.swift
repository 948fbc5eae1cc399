import XCTest
@testable import BarrageCore

final class FlowDataCursorTests: XCTestCase {
    private let key = FlowKey(seed: 11, scenario: 1, vu: 4, iteration: 0, step: 0)

    func testSequentialWraps() {
        let c = DataCursor(mode: .sequential, rowCount: 3)
        var counter = 0
        XCTAssertEqual((0..<7).map { _ in c.next(counter: &counter, key: key)! }, [0, 1, 2, 0, 1, 2, 0])
        XCTAssertLessThan(counter, 3, "the counter stays small")
    }

    func testSequentialAcrossThreadsAndSegmentsVisitsEveryRow() {
        // 2 segments × 3 threads over 10 rows: each takes its interleaved positions; together, 10 draws each cover all.
        var seen: [Int: Int] = [:]
        for seg in 1...2 {
            for t in 0..<3 {
                let c = DataCursor(mode: .sequential, rowCount: 10, segment: Segment(index: seg, count: 2), thread: t, threadCount: 3)
                var counter = 0
                for _ in 0..<10 { seen[c.next(counter: &counter, key: key)!, default: 0] += 1 }
            }
        }
        XCTAssertEqual(Set(seen.keys), Set(0..<10))
        let first = DataCursor(mode: .sequential, rowCount: 10, segment: Segment(index: 2, count: 2), thread: 1, threadCount: 3)
        var counter = 0
        XCTAssertEqual((0..<4).map { _ in first.next(counter: &counter, key: key)! }, [3, 9, 5, 1], "((n·3)+1)·2+1 mod 10")
    }

    func testUniqueIsDisjointAndCompleteAcrossSegmentsAndThreads() {
        for (rows, segments, threads) in [(10, 1, 1), (10, 3, 1), (10, 3, 2), (100, 4, 3), (7, 4, 3), (5, 2, 4)] {
            var taken: [Int] = []
            for seg in 1...segments {
                for t in 0..<threads {
                    let c = DataCursor(mode: .unique, rowCount: rows, segment: Segment(index: seg, count: segments), thread: t, threadCount: threads)
                    var counter = 0
                    var mine: [Int] = []
                    while let r = c.next(counter: &counter, key: key) { mine.append(r) }
                    XCTAssertEqual(mine.count, c.uniqueShare, "\(rows) \(seg)/\(segments) t\(t)")
                    XCTAssertTrue(mine.allSatisfy { $0 % segments == seg - 1 }, "segment I takes rows r mod N == I-1")
                    XCTAssertNil(c.next(counter: &counter, key: key), "stays exhausted")
                    taken += mine
                }
            }
            XCTAssertEqual(taken.sorted(), Array(0..<rows), "\(rows) rows over \(segments) segments × \(threads) threads")
        }
    }

    func testUniqueInOrderOnOneThread() {
        let c = DataCursor(mode: .unique, binding: .vu, rowCount: 3)
        var counter = 0
        XCTAssertEqual([c.next(counter: &counter, key: key), c.next(counter: &counter, key: key), c.next(counter: &counter, key: key),
                        c.next(counter: &counter, key: key)], [0, 1, 2, nil])
        XCTAssertEqual(counter, 3)
    }

    func testRandomIsKeyedAndNeedsNoCounter() {
        let c = DataCursor(mode: .random, rowCount: 50, dataSet: 2)
        var counter = 0
        var seen = Set<Int>()
        for it in 0..<500 {
            var k = key
            k.iteration = it
            let r = c.next(counter: &counter, key: k)!
            XCTAssertEqual(r, c.next(counter: &counter, key: k), "same key, same row")
            k.step = 9
            XCTAssertEqual(r, c.next(counter: &counter, key: k), "the step does not matter")
            seen.insert(r)
        }
        XCTAssertEqual(counter, 0)
        XCTAssertGreaterThan(seen.count, 40, "rows spread over the set")
        // Another data set or another seed draws differently.
        let other = DataCursor(mode: .random, rowCount: 50, dataSet: 3)
        let rowsA = (0..<20).map { i -> Int in var k = key; k.iteration = i; return c.next(counter: &counter, key: k)! }
        let rowsB = (0..<20).map { i -> Int in var k = key; k.iteration = i; return other.next(counter: &counter, key: k)! }
        XCTAssertNotEqual(rowsA, rowsB)
    }

    func testRandomBoundToTheVUIgnoresTheIteration() {
        let c = DataCursor(mode: .random, binding: .vu, rowCount: 1000)
        var counter = 0
        var k = key
        let first = c.next(counter: &counter, key: k)
        for it in 1..<20 {
            k.iteration = it
            XCTAssertEqual(c.next(counter: &counter, key: k), first)
        }
        let vus = Set((0..<50).map { v -> Int in var k = key; k.vu = v; return c.next(counter: &counter, key: k)! })
        XCTAssertGreaterThan(vus.count, 40, "VUs draw different rows")
    }
}
