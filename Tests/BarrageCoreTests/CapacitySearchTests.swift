import XCTest
@testable import BarrageCore

/// The capacity search driven by fake services: no network, no clock.
final class CapacitySearchTests: XCTestCase {
    typealias Search = CapacitySearch

    /// Runs the search to its end against `service` (which sees each request and how many times its rate was asked
    /// for before); every step costs `stepMicros` of the budget.
    private func drive(_ settings: Search.Settings, stepMicros: Int64 = 1_000_000,
                       _ service: (Search.StepRequest, Int) -> Search.StepOutcome) -> Search {
        var search = Search(settings)
        var visits: [Double: Int] = [:]
        var steps = 0
        while let request = search.next() {
            steps += 1
            XCTAssertLessThan(steps, 200, "the search ends")
            if steps >= 200 { break }
            var outcome = service(request, visits[request.rateRPS, default: 0])
            outcome.elapsedMicros = stepMicros
            visits[request.rateRPS, default: 0] += 1
            search.record(outcome)
        }
        XCTAssertNotNil(search.verdict, "an ended search has a verdict")
        return search
    }

    /// A service that holds every rate up to `capacity`.
    private func capacity(_ c: Double) -> (Search.StepRequest, Int) -> Search.StepOutcome {
        { request, _ in Search.StepOutcome(verdict: request.rateRPS <= c ? .pass : .fail) }
    }

    func testGrowsTimesTwoFromFromThenBisectsBetweenLastPassAndFirstFail() {
        let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100_000, precision: 0.05), capacity(100))
        let rates = s.records.map(\.request.rateRPS)
        XCTAssertEqual(Array(rates.prefix(5)), [10, 20, 40, 80, 160])
        XCTAssertEqual(s.records.prefix(5).map(\.request.phase), Array(repeating: .grow, count: 5))
        // Bisection: 80..160 → 120 (fail) → 100 (pass) → 110 (fail) → 105 (fail): 105 − 100 ≤ 5 % of 100.
        XCTAssertEqual(Array(rates.dropFirst(5).prefix(4)), [120, 100, 110, 105])
        XCTAssertEqual(s.records.dropFirst(5).prefix(4).map(\.request.phase), Array(repeating: .bisect, count: 4))
        XCTAssertEqual(s.records.last?.request.phase, .confirm)
        XCTAssertEqual(s.records.last?.request.rateRPS, 100)
        XCTAssertEqual(s.records.count, 10)
        XCTAssertEqual(s.verdict, .found)
        XCTAssertEqual(s.capacityRPS, 100)
        XCTAssertEqual(s.lowRPS, 100)
        XCTAssertEqual(s.highRPS, 105)
    }

    func testFindsTheCapacityWithinThePrecisionAcrossCapacitiesAndPrecisions() {
        for c in [10.0, 37, 100, 400, 999, 12_345, 77_777] {
            for precision in [0.01, 0.05, 0.1, 0.5] {
                let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100_000, precision: precision), capacity(c))
                let label = "capacity \(c), precision \(precision)"
                XCTAssertEqual(s.verdict, .found, label)
                guard let found = s.capacityRPS, let high = s.highRPS else { XCTFail(label); continue }
                XCTAssertLessThanOrEqual(found, c, label)
                XCTAssertGreaterThan(high, c, label)
                XCTAssertLessThanOrEqual(high - found, precision * found + 1e-9, label)
                // Every step at or below the capacity passed, every one above failed: no step was misjudged.
                for r in s.records {
                    XCTAssertEqual(r.verdict, r.request.rateRPS <= c ? .pass : .fail, "\(label) step \(r.request.index)")
                }
            }
        }
    }

    func testEachBisectionStepIsTheMidpointOfTheBracket() {
        let s = drive(Search.Settings(fromRPS: 50, maxRPS: 100_000, precision: 0.02), capacity(333))
        var low = 0.0, high = Double.infinity
        for r in s.records {
            if r.request.phase == .bisect { XCTAssertEqual(r.request.rateRPS, ((low + high) / 2 * 10).rounded() / 10, accuracy: 1e-9) }
            if r.verdict == .pass { low = Swift.max(low, r.request.rateRPS) } else { high = Swift.min(high, r.request.rateRPS) }
        }
    }

    func testAPassThatFailsOnConfirmationIsNoiseAndTheSearchGoesOnBelowIt() {
        // Holds 90, and 100 once by luck: the confirmation of 100 flips.
        let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100_000, precision: 0.05)) { request, visits in
            Search.StepOutcome(verdict: request.rateRPS <= 90 || (request.rateRPS == 100 && visits == 0) ? .pass : .fail)
        }
        let noise = s.records.filter { $0.verdict == .noise }
        XCTAssertEqual(noise.count, 1)
        XCTAssertEqual(noise.first?.request.phase, .confirm)
        XCTAssertEqual(noise.first?.request.rateRPS, 100, "the bisection closed on 100..102.5, then 100 flipped")
        XCTAssertEqual(s.verdict, .found)
        let found = s.capacityRPS ?? 0
        XCTAssertEqual(found, 90)
        XCTAssertLessThanOrEqual(s.highRPS ?? 0, 100, "the noisy rate became the new high")
        XCTAssertLessThanOrEqual((s.highRPS ?? 0) - found, 0.05 * found + 1e-9)
        // After the flip, the bracket runs from the highest pass below 100 (80, from growing) to 100.
        let afterNoise = s.records.drop { $0.verdict != .noise }.dropFirst()
        XCTAssertEqual(afterNoise.first?.request.phase, .bisect)
        XCTAssertEqual(afterNoise.first?.request.rateRPS, 90)
        XCTAssertEqual(s.records.last?.request.phase, .confirm)
        XCTAssertEqual(s.records.last?.verdict, .pass)
    }

    func testNoiseWithNothingHeldBelowIsNone() {
        // Holds only on the first visit: `from` passes once, 20 and 15 fail, confirming `from` flips.
        let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100_000, precision: 0.5)) { request, visits in
            Search.StepOutcome(verdict: request.rateRPS <= 10 && visits == 0 ? .pass : .fail)
        }
        XCTAssertEqual(s.records.map(\.verdict), [.pass, .fail, .fail, .noise])
        XCTAssertEqual(s.verdict, .noRate)
        XCTAssertNil(s.capacityRPS)
        XCTAssertNil(s.lowRPS)
        XCTAssertEqual(s.highRPS, 10)
    }

    func testTheBudgetEndsTheSearchWithTheBestBracketSoFar() {
        // 10 s a step, 45 s of budget: five steps start (the fifth at 40 s), none after.
        let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100_000, precision: 0.05, budgetMicros: 45_000_000),
                      stepMicros: 10_000_000, capacity(100))
        XCTAssertEqual(s.records.count, 5)
        XCTAssertEqual(s.verdict, .budget)
        XCTAssertNil(s.capacityRPS)
        XCTAssertEqual(s.lowRPS, 80)
        XCTAssertEqual(s.highRPS, 160)
        XCTAssertEqual(s.spentMicros, 50_000_000)
    }

    func testAStepThatWouldNotFitTheBudgetIsNotRun() {
        var s = Search(Search.Settings(fromRPS: 10, maxRPS: 1_000, precision: 0.05, budgetMicros: 15_000_000))
        XCTAssertEqual(s.next()?.rateRPS, 10)
        s.record(Search.StepOutcome(verdict: .pass, elapsedMicros: 10_000_000))
        XCTAssertEqual(s.next()?.rateRPS, 20)
        XCTAssertTrue(s.fits(stepMicros: 5_000_000))
        XCTAssertFalse(s.fits(stepMicros: 5_000_001))
        s.endForBudget()
        XCTAssertNil(s.next())
        XCTAssertEqual(s.verdict, .budget)
        XCTAssertEqual(s.records.count, 1)
    }

    func testMaxStopsGrowthAndIsConfirmedAsMaxReached() {
        let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100, precision: 0.05), capacity(.infinity))
        XCTAssertEqual(s.records.map(\.request.rateRPS), [10, 20, 40, 80, 100, 100])
        XCTAssertEqual(s.records.last?.request.phase, .confirm)
        XCTAssertEqual(s.verdict, .maxReached)
        XCTAssertNil(s.capacityRPS)
        XCTAssertEqual(s.atLeastRPS, 100)
    }

    func testFromEqualToMaxIsOneRateAndItsConfirmation() {
        let s = drive(Search.Settings(fromRPS: 50, maxRPS: 50, precision: 0.05), capacity(.infinity))
        XCTAssertEqual(s.records.map(\.request.rateRPS), [50, 50])
        XCTAssertEqual(s.verdict, .maxReached)
    }

    func testAMaxThatFlipsOnConfirmationIsSearchedBelow() {
        let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100, precision: 0.05)) { request, visits in
            Search.StepOutcome(verdict: request.rateRPS < 100 || visits == 0 ? .pass : .fail)
        }
        XCTAssertEqual(s.records[5].verdict, .noise)
        XCTAssertEqual(s.verdict, .found)
        XCTAssertLessThan(s.capacityRPS ?? 100, 100)
        XCTAssertEqual(s.highRPS, 100)
    }

    func testAClientBoundStepEndsTheSearchAtLeastTheHighestCleanPass() {
        let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100_000, precision: 0.05)) { request, _ in
            Search.StepOutcome(verdict: request.rateRPS >= 300 ? .clientBound : .pass)
        }
        XCTAssertEqual(s.records.map(\.request.rateRPS), [10, 20, 40, 80, 160, 320])
        XCTAssertEqual(s.records.last?.verdict, .clientBound)
        XCTAssertEqual(s.verdict, .clientBound)
        XCTAssertNil(s.capacityRPS)
        XCTAssertEqual(s.atLeastRPS, 160)
    }

    func testNothingAnsweredAtTheFirstStepEndsTheSearch() {
        let s = drive(Search.Settings()) { _, _ in Search.StepOutcome(verdict: .fail, answered: false) }
        XCTAssertEqual(s.records.count, 1)
        XCTAssertEqual(s.verdict, .nothingAnswered)
        XCTAssertNil(s.capacityRPS)
    }

    func testAStepWithoutAnswersAfterOthersAnsweredIsAFail() {
        // Overloaded into nothing but errors at 160: a failed step, not "nothing answered".
        let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100_000, precision: 0.05)) { request, _ in
            request.rateRPS <= 100 ? Search.StepOutcome(verdict: .pass) : Search.StepOutcome(verdict: .fail, answered: false)
        }
        XCTAssertEqual(s.verdict, .found)
        XCTAssertEqual(s.records[4].verdict, .fail)
    }

    func testTheFirstRateFailingIsNone() {
        let s = drive(Search.Settings(fromRPS: 10, maxRPS: 100_000, precision: 0.05), capacity(5))
        XCTAssertEqual(s.records.count, 1)
        XCTAssertEqual(s.verdict, .noRate)
        XCTAssertNil(s.capacityRPS)
        XCTAssertNil(s.lowRPS)
        XCTAssertEqual(s.highRPS, 10)
    }

    func testMidpointsStayInsideANarrowBracket() {
        XCTAssertEqual(Search.midpoint(100, 200), 150)
        XCTAssertEqual(Search.midpoint(10, 10.15), 10.1)
        let m = Search.midpoint(1, 1.1)
        XCTAssertGreaterThan(m, 1)
        XCTAssertLessThan(m, 1.1)
    }

    func testVerdictsAndPhasesAreStableJSONStrings() {
        XCTAssertEqual([Search.Verdict.found, .noRate, .clientBound, .maxReached, .budget, .nothingAnswered].map(\.rawValue),
                       ["found", "none", "client_bound", "max_reached", "budget", "nothing_answered"])
        XCTAssertEqual([Search.StepVerdict.pass, .fail, .noise, .clientBound].map(\.rawValue), ["pass", "fail", "noise", "client_bound"])
        XCTAssertEqual([Search.Phase.grow, .bisect, .confirm].map(\.rawValue), ["grow", "bisect", "confirm"])
    }
}
