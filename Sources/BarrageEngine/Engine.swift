import Foundation
import Glibc
import CLibcurl
import BarrageCore

/// Runs a plan on libcurl: spreads the workers over engine threads, merges their seconds into the timeline
/// as the run goes, and returns everything measured — also when stopped early.
public final class Engine {
    public struct Output: Sendable {
        public var recorder: Recorder
        public var timeline: [TimelineEntry]
        /// Unix time (ms) of the run clock's zero, just before the first send.
        public var startedEpochMillis: Int64
        /// From the run clock's zero to the last completion.
        public var durationMicros: Int64
    }

    /// Called on the controller's thread about four times a second while the run lasts.
    public typealias Tick = (_ elapsedMicros: Int64) -> Void

    private let plan: RunPlan
    private let userAgent: String

    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    public init(plan: RunPlan, userAgent: String) {
        _ = Engine.globalInit
        self.plan = plan
        self.userAgent = userAgent
    }

    /// The libcurl version string (`libcurl/7.88.1 OpenSSL/3.0.x zlib/… nghttp2/…`).
    public static var curlVersion: String {
        String(cString: curl_version())
    }

    /// Runs the plan to its end, or until `control` says stop. Blocks the calling thread.
    public func run(control: StopControl, tick: Tick? = nil) throws -> Output {
        let threadCount = plan.effectiveThreads
        let budget = RequestBudget(limit: plan.requestLimit)
        let mailbox = Mailbox()
        let startMicros = Clock.monotonicMicros()
        let startedEpochMillis = Clock.epochMillis()

        var workers: [EngineThread] = []
        for t in 0..<threadCount {
            let share = plan.concurrency / threadCount + (t < plan.concurrency % threadCount ? 1 : 0)
            workers.append(try EngineThread(index: t, connections: share, plan: plan, control: control, budget: budget,
                                            mailbox: mailbox, startMicros: startMicros, userAgent: userAgent))
        }
        // Handles are built before the clock starts counting: setup is not part of the run.
        let zero = Clock.monotonicMicros()
        let setupMicros = zero - startMicros
        _ = setupMicros

        var timeline = TimelineBuilder(workers: threadCount, startEpochMillis: startedEpochMillis)
        var entries: [TimelineEntry] = []
        var total = Recorder()
        var finished = 0
        var threads: [Thread] = []
        for w in workers {
            let thread = Thread { w.run() }
            thread.name = "barrage-engine-\(w.index)"
            thread.stackSize = 1 << 20
            threads.append(thread)
            thread.start()
        }
        while finished < threadCount {
            usleep(50_000)
            for message in mailbox.take() {
                switch message {
                case .interval(let worker, let stats):
                    timeline.add(worker: worker, stats)
                case .finished(let worker, let recorder):
                    timeline.finish(worker: worker)
                    total.merge(recorder)
                    finished += 1
                }
            }
            entries += timeline.drain()
            tick?(Clock.monotonicMicros() - startMicros)
        }
        workers.removeAll() // handles are cleaned up here, after every thread has returned from run()
        let duration = max(0, total.lastDoneMicros == Int64.min ? 0 : total.lastDoneMicros)
        entries += timeline.drain(durationMicros: duration)
        return Output(recorder: total, timeline: entries, startedEpochMillis: startedEpochMillis, durationMicros: duration)
    }
}
