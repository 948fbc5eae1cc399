import Glibc
import CLibcurl
import CCurlShims
import CLinuxEvents
import BarrageCore

/// What an engine thread keeps to run a flow: each VU's variable table, its cookie jar (a libcurl share handle over
/// the VU's easy handles), the response it keeps for captures and checks, the templated requests it renders, and the
/// data-set counters of this thread. `SlotScheduler` decides when each step goes; this only prepares and judges them.
final class FlowRuntime {
    let flow: Flow
    /// The request steps, by target index.
    let steps: [RequestStep]
    /// The same, as references with what changes per request worked out once: reading one per request retains one
    /// object instead of copying a struct of arrays.
    private let plans: [StepPlan]

    /// What prepare and judge read per request, as plain fields: reading them through the `RequestStep` struct (a type
    /// of another module) copied it, retaining its dozen reference-counted fields, on every request.
    private final class StepPlan {
        let step: RequestStep
        let url: CompiledTemplate
        let headers: [CompiledTemplate]
        let body: CompiledTemplate?
        /// What is rendered per request; a constant part was set once on the handle.
        let urlTemplated: Bool
        let headersTemplated: Bool
        let bodyTemplated: Bool
        let templated: Bool
        /// `foreach`: the list's and the item's variable slots.
        let foreachSlots: (list: Int, item: Int)?
        /// Judged on its status alone: no body or header kept, no JSON check, no capture.
        let statusOnly: Bool
        /// Accepted statuses (empty: 2xx or 3xx).
        let statuses: [Int]
        let keepsBody: Bool
        let keepsHeaders: Bool
        init(_ step: RequestStep) {
            self.step = step
            url = step.url
            headers = step.headers
            body = step.body
            urlTemplated = !step.url.isConstant
            headersTemplated = !step.headers.allSatisfy(\.isConstant)
            bodyTemplated = !(step.body?.isConstant ?? true)
            templated = urlTemplated || headersTemplated || bodyTemplated
            foreachSlots = step.foreach.map { ($0.listSlot, $0.itemSlot) }
            keepsBody = step.needsBody || step.bodyContains != nil
            keepsHeaders = step.needsHeaders
            statuses = step.expect.statuses
            statusOnly = !keepsBody && !keepsHeaders && step.expect.json.isEmpty && step.expectTemplates.isEmpty
                && step.captures.isEmpty
        }
    }
    private let slotCount: Int
    /// Per slot: the VU's variables, indexed like `flow.variables`.
    private var values: [[FlowValue]]
    /// Slots filled by captures: emptied at every iteration's start, so nothing leaks from the previous iteration.
    private let captureSlots: [Int]
    /// Per capture of each step, its slot.
    private let captureSlotOf: [[Int]]
    /// Per slot, the response kept for the step in flight (only for steps that need it).
    let sinks: UnsafeMutablePointer<FlowSink>
    /// Per slot, the cookie jar shared by the VU's easy handles (nil with `cookies: off`).
    private var shares: [OpaquePointer?]
    /// Per (slot × target), the header list of a templated step's last request (freed when the next replaces it).
    private var headerLists: [UnsafeMutablePointer<curl_slist>?]
    /// Per (slot × target), the rendered header lines that list was built from (each line NUL-terminated): when the
    /// next request's lines come out the same (a token captured once and sent on every step), the handle keeps its list.
    private var headerBytes: [[UInt8]]
    /// And where each of those lines started (a value may hold a NUL, which ends the line for libcurl).
    private var headerStarts: [[Int]]
    private var scratch: [UInt8] = []
    /// Where each header line starts in `scratch`.
    private var lineStarts: [Int] = []
    /// Per data set: this thread's cursor and counter.
    private let cursors: [DataCursor]
    private var counters: [Int]
    /// Per slot: the iteration whose variables were last prepared (+1; 0: none yet).
    private var prepared: [Int]
    private let vuOffset: Int
    private let seed: UInt64
    /// Set when a `unique` data set ran out on this thread: no more iterations start.
    private(set) var exhausted: (name: String, file: String)?
    /// Bytes this thread's sinks may still grow by (its share of `FlowLimits.keptBytes`).
    private let budget: UnsafeMutablePointer<Int>
    /// Per slot, the group it is in (-1: none), since when (µs from the start), whether a step of it failed, and when
    /// its last request ended.
    private var groupOpen: [Int32]
    private var groupStart: [Int64]
    private var groupFailed: [Bool]
    private var lastDone: [Int64]
    var hasGroups: Bool { !flow.groups.isEmpty }

    /// A group pass that ended: the group's index, whether it failed, and its duration.
    struct GroupPass {
        var group: Int
        var failed: Bool
        var durationMicros: Int64
    }

    init(flow: Flow, plan: RunPlan, slotCount: Int, thread: Int, threadCount: Int, vuOffset: Int) {
        self.flow = flow
        self.steps = flow.requestSteps
        self.plans = flow.requestSteps.map(StepPlan.init)
        self.slotCount = slotCount
        self.vuOffset = vuOffset
        self.seed = plan.seed
        values = Array(repeating: flow.initialValues, count: slotCount)
        let slotOf = Dictionary(flow.variables.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        captureSlotOf = steps.map { $0.captures.map { slotOf[$0.name] ?? 0 } }
        // What setup steps capture stays for the VU's lifetime; the flow's own captures are emptied per iteration.
        let setupTargets = flow.targetIndexOfStep.prefix(flow.setupCount).compactMap { $0 }.count
        captureSlots = Array(Set(captureSlotOf.dropFirst(setupTargets).flatMap { $0 })).sorted()
        budget = .allocate(capacity: 1)
        budget.initialize(to: FlowLimits.keptBytes / max(1, threadCount))
        sinks = .allocate(capacity: max(1, slotCount))
        sinks.initialize(repeating: FlowSink(budget: budget), count: max(1, slotCount))
        shares = Array(repeating: nil, count: slotCount)
        headerLists = Array(repeating: nil, count: slotCount * max(1, steps.count))
        headerBytes = Array(repeating: [], count: slotCount * max(1, steps.count))
        headerStarts = Array(repeating: [], count: slotCount * max(1, steps.count))
        let segment = plan.segment ?? Segment(index: 1, count: 1)
        cursors = flow.data.enumerated().map { d, data in
            DataCursor(mode: data.mode, binding: data.binding, rowCount: max(1, data.set.rowCount), segment: segment,
                       thread: thread, threadCount: threadCount, dataSet: d)
        }
        counters = Array(repeating: 0, count: flow.data.count)
        prepared = Array(repeating: 0, count: slotCount)
        groupOpen = Array(repeating: -1, count: slotCount)
        groupStart = Array(repeating: 0, count: slotCount)
        groupFailed = Array(repeating: false, count: slotCount)
        lastDone = Array(repeating: 0, count: slotCount)
    }

    /// Slot `i`'s variables as they are now (captures, data columns, run values), indexed like `flow.variables`.
    func variables(slot i: Int) -> [FlowValue] {
        i < values.count ? values[i] : []
    }

    /// Slot `i` is about to send step `step` at `now` (µs from the start): if that leaves the group it was in, the
    /// pass through it ended (at its last request's end); a step in a group opens it.
    func enterStep(slot i: Int, step: Int, nowMicros now: Int64) -> GroupPass? {
        let g = step < flow.groupOfStep.count ? flow.groupOfStep[step].map(Int32.init) ?? -1 : -1
        guard g != groupOpen[i] else { return nil }
        let ended = leaveGroup(slot: i, interrupted: false)
        if g >= 0 {
            groupOpen[i] = g
            groupStart[i] = now
            groupFailed[i] = false
        }
        return ended
    }

    /// A step of slot `i` ended at `now`.
    func stepDone(slot i: Int, failed: Bool, nowMicros now: Int64) {
        lastDone[i] = now
        if failed && groupOpen[i] >= 0 { groupFailed[i] = true }
    }

    /// The iteration left whatever group it was in (it ended, or was cut short: then the pass failed).
    func leaveGroup(slot i: Int, interrupted: Bool) -> GroupPass? {
        let g = groupOpen[i]
        guard g >= 0 else { return nil }
        groupOpen[i] = -1
        return GroupPass(group: Int(g), failed: groupFailed[i] || interrupted, durationMicros: lastDone[i] - groupStart[i])
    }

    deinit {
        for i in 0..<slotCount { sinks[i].release() }
        sinks.deallocate()
        budget.deallocate()
        for s in shares { if let s { curl_share_cleanup(UnsafeMutableRawPointer(s)) } }
        for l in headerLists { curl_slist_free_all(l) }
    }

    /// Options for the easy handle of slot `i`, target `t`: the response callbacks a step that captures or checks
    /// needs, and the VU's cookie jar.
    func configure(_ easy: UnsafeMutableRawPointer, slot i: Int, target t: Int) {
        let step = steps[t]
        if step.needsBody || step.bodyContains != nil {
            barrage_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, flowBodyWrite)
            barrage_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, sinks + i)
        }
        if step.needsHeaders {
            barrage_easy_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION, flowHeaderWrite)
            barrage_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, sinks + i)
        }
        guard flow.cookies != .off else { return }
        if shares[i] == nil, let share = curl_share_init() {
            barrage_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_COOKIE.rawValue))
            shares[i] = OpaquePointer(share)
        }
        if let share = shares[i] { barrage_easy_setopt_ptr(easy, CURLOPT_SHARE, UnsafeRawPointer(share)) }
        barrage_easy_setopt_ptr(easy, CURLOPT_COOKIEFILE, "")
    }

    /// Prepares slot `i`'s next request on `easy` (target `t`): at an iteration's start, empties the captures, draws
    /// data rows and (per iteration) the cookie jar; then renders a templated step's URL, headers and body. False when
    /// a `unique` data set has no row left for the iteration (it must not start).
    func prepare(_ easy: UnsafeMutableRawPointer, slot i: Int, target t: Int, state: SlotState, nowMillis: Int64) -> Bool {
        let vu = vuOffset + i
        if prepared[i] != state.iteration + 1 {
            let first = prepared[i] == 0
            prepared[i] = state.iteration + 1
            for s in captureSlots { values[i][s] = .empty }
            if !bindData(slot: i, vu: vu, iteration: state.iteration, first: first) { return false }
            if flow.cookies == .perIteration && !first { barrage_easy_setopt_ptr(easy, CURLOPT_COOKIELIST, "ALL") }
        }
        sinks[i].reset()
        let plan = plans[t]
        if let loop = plan.foreachSlots {
            values[i][loop.item] = element(Int(state.repeatIndex), of: values[i][loop.list])
        }
        guard plan.templated else { return true }
        let context = TemplateContext(key: FlowKey(seed: seed, vu: vu, iteration: state.iteration, step: Int(state.step)),
                                      nowMillis: nowMillis)
        // The VU's variables and the scratch buffers are taken out of the object for the rendering, so that each is
        // accessed once (a class's stored property is checked for exclusive access at every use).
        let vars = values[i]
        var buffer = scratch
        scratch = []
        defer { scratch = buffer }
        // Only what depends on the VU is set again: libcurl parses a URL it is given, and copies a body.
        if plan.urlTemplated {
            buffer.removeAll(keepingCapacity: true)
            plan.url.render(values: vars, context: context, into: &buffer)
            buffer.append(0)
            buffer.withUnsafeBufferPointer { _ = barrage_easy_setopt_ptr(easy, CURLOPT_URL, $0.baseAddress) }
        }
        if plan.headersTemplated {
            // All lines into one buffer, each ended by a NUL; built into a list and set only when they changed.
            var starts = lineStarts
            lineStarts = []
            defer { lineStarts = starts }
            buffer.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            for header in plan.headers {
                starts.append(buffer.count)
                header.render(values: vars, context: context, into: &buffer)
                buffer.append(0)
            }
            let k = i * steps.count + t
            if headerLists[k] == nil || headerBytes[k] != buffer || headerStarts[k] != starts {
                var list: UnsafeMutablePointer<curl_slist>? = nil
                buffer.withUnsafeBufferPointer { p in
                    p.withMemoryRebound(to: CChar.self) { lines in
                        for start in starts { list = curl_slist_append(list, lines.baseAddress! + start) }
                    }
                }
                if plan.body != nil { list = curl_slist_append(list, "Expect:") }
                barrage_easy_setopt_ptr(easy, CURLOPT_HTTPHEADER, list)
                curl_slist_free_all(headerLists[k])
                headerLists[k] = list
                headerBytes[k] = buffer
                headerStarts[k] = starts
            }
        }
        if plan.bodyTemplated, let body = plan.body {
            buffer.removeAll(keepingCapacity: true)
            body.render(values: vars, context: context, into: &buffer)
            barrage_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(buffer.count))
            buffer.withUnsafeBufferPointer { _ = barrage_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
        }
        return true
    }

    /// How many requests a `foreach` step sends for slot `i`: its list's length, at most its `max` (a value that is
    /// not a list is a list of one; an empty value, none).
    func foreachCount(slot i: Int, target t: Int) -> Int {
        guard plans[t].foreachSlots != nil, let loop = steps[t].foreach else { return 1 }
        switch values[i][loop.listSlot] {
        case .list(let items): return min(items.count, loop.max)
        case .bytes(let b): return b.isEmpty ? 0 : 1
        }
    }

    private func element(_ k: Int, of value: FlowValue) -> FlowValue {
        switch value {
        case .list(let items): return k < items.count ? .bytes(items[k]) : .empty
        case .bytes: return k == 0 ? value : .empty
        }
    }

    /// Draws the rows of an iteration (or, bound to the VU, of its first iteration) into the slot's variables.
    private func bindData(slot i: Int, vu: Int, iteration: Int, first: Bool) -> Bool {
        for (d, data) in flow.data.enumerated() where data.binding == .iteration || first {
            let key = FlowKey(seed: seed, vu: vu, iteration: iteration)
            guard data.set.rowCount > 0, let row = cursors[d].next(counter: &counters[d], key: key) else {
                exhausted = (data.name, data.set.file)
                return false
            }
            for (c, slot) in data.slots.enumerated() {
                if let slot { values[i][slot] = .bytes(Array(data.set.field(row: row, column: c))) }
            }
        }
        return true
    }

    /// Judges step `t`'s complete response on slot `i` (status `status`): its checks, then its captures into the
    /// VU's variables. Nil when the step passed; else the error class and a one-line reason.
    func judge(slot i: Int, target t: Int, status: Int, iteration: Int) -> (ErrorClass, String)? {
        let plan = plans[t]
        let sink = sinks[i]
        if sink.overflow {
            return (.capture, sink.overBudget
                ? "\(plan.step.name): response body not kept: the \(FlowLimits.keptBytes / 1_048_576) MB that all VUs' kept bodies may use together are in use"
                : "\(plan.step.name): response body over \(FlowLimits.bodyBytes / 1_048_576) MB, the most a step that captures or checks keeps")
        }
        if plan.statusOnly {
            // Nothing kept, nothing captured: the status decides, as `Expect.failure` decides it (which words it).
            if plan.statuses.isEmpty ? (200..<400).contains(status) : plan.statuses.contains(status) { return nil }
            guard let failure = plan.step.expect.failure(for: ResponseView(status: status)) else { return nil }
            return (plan.statuses.isEmpty && status >= 400 ? .status : .check, "\(plan.step.name): \(failure)")
        }
        let body: [UInt8]? = plan.keepsBody ? Array(UnsafeBufferPointer(start: sink.body, count: sink.bodyCount)) : nil
        let headers = plan.keepsHeaders ? sink.headerFields() : []
        let view = ResponseView(status: status, headers: headers, body: body)
        var expect = plan.step.expect
        if !plan.step.expectTemplates.isEmpty {
            let context = TemplateContext(key: FlowKey(seed: seed, vu: vuOffset + i, iteration: iteration, step: t), nowMillis: Clock.epochMillis())
            for e in plan.step.expectTemplates where e.check < expect.json.count {
                expect.json[e.check].expected = JSONValue(string: e.value.string(values: values[i], context: context))
            }
        }
        if let failure = expect.failure(for: view) {
            // Without a status list, an error status is what it is for a target: class `status`.
            let cls: ErrorClass = plan.step.expect.statuses.isEmpty && status >= 400 && plan.step.expect.json.isEmpty ? .status : .check
            return (cls, "\(plan.step.name): \(failure)")
        }
        if let needle = plan.step.bodyContains, !needle.isEmpty, !(body ?? []).containsSubsequence(Array(needle.utf8)) {
            return (.check, "\(plan.step.name): body does not contain '\(needle)'")
        }
        let key = FlowKey(seed: seed, vu: vuOffset + i, iteration: iteration, step: t)
        for (c, capture) in plan.step.captures.enumerated() {
            switch capture.extract(from: view, key: key) {
            case .captured(let value): values[i][captureSlotOf[t][c]] = value
            case .failed(let reason): return (.capture, "\(plan.step.name): capture '\(capture.name)': \(reason)")
            }
        }
        return nil
    }
}

/// The response a step keeps: its body (up to `FlowLimits.bodyBytes`) and its header lines, in buffers grown on
/// demand and reused for the VU's next steps.
struct FlowSink {
    /// The thread's remaining budget for buffer growth, shared by its sinks.
    let budget: UnsafeMutablePointer<Int>
    var body: UnsafeMutablePointer<UInt8>?
    var bodyCount = 0
    var bodyCapacity = 0
    var overflow = false
    /// The overflow came from the thread's budget, not from this body's size.
    var overBudget = false
    var headers: UnsafeMutablePointer<UInt8>?
    var headerCount = 0
    var headerCapacity = 0
    static let headerLimit = 300 * 1_024

    mutating func reset() {
        bodyCount = 0
        headerCount = 0
        overflow = false
        overBudget = false
    }

    func release() {
        body?.deallocate()
        headers?.deallocate()
    }

    mutating func appendBody(_ data: UnsafePointer<UInt8>, _ n: Int) {
        guard !overflow else { return }
        guard bodyCount + n <= FlowLimits.bodyBytes else {
            overflow = true
            return
        }
        if !Self.append(data, n, to: &body, count: &bodyCount, capacity: &bodyCapacity, budget: budget) {
            overflow = true
            overBudget = true
        }
    }

    /// A header line; a status line (a new response after a redirect or a 100 Continue) starts the headers over.
    mutating func appendHeader(_ data: UnsafePointer<UInt8>, _ n: Int) {
        if n >= 5 && data[0] == UInt8(ascii: "H") && data[1] == UInt8(ascii: "T") && data[4] == UInt8(ascii: "/") { headerCount = 0 }
        guard headerCount + n <= Self.headerLimit else { return }
        _ = Self.append(data, n, to: &headers, count: &headerCount, capacity: &headerCapacity, budget: budget)
    }

    /// Appends, growing the buffer within the thread's budget; false (nothing appended) when the budget is spent.
    private static func append(_ data: UnsafePointer<UInt8>, _ n: Int, to buffer: inout UnsafeMutablePointer<UInt8>?,
                               count: inout Int, capacity: inout Int, budget: UnsafeMutablePointer<Int>) -> Bool {
        if count + n > capacity {
            let grown = max(4_096, max(count + n, capacity * 2))
            guard budget.pointee >= grown - capacity else { return false }
            budget.pointee -= grown - capacity
            let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            if let old = buffer {
                fresh.update(from: old, count: count)
                old.deallocate()
            }
            buffer = fresh
            capacity = grown
        }
        (buffer! + count).update(from: data, count: n)
        count += n
        return true
    }

    /// The kept header lines as fields (the status line and the blank line skipped).
    func headerFields() -> [ResponseView.Field] {
        guard let headers, headerCount > 0 else { return [] }
        let text = String(decoding: UnsafeBufferPointer(start: headers, count: headerCount), as: UTF8.self)
        return ResponseView.fields(fromLines: text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\r\n" || $0 == "\n" }).map(String.init))
    }
}

let flowBodyWrite: curl_write_callback = { data, size, count, userdata in
    let n = size &* count
    if let data, let userdata {
        let sink = userdata.assumingMemoryBound(to: FlowSink.self)
        data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.pointee.appendBody($0, n) }
    }
    return n
}

let flowHeaderWrite: curl_write_callback = { data, size, count, userdata in
    let n = size &* count
    if let data, let userdata {
        let sink = userdata.assumingMemoryBound(to: FlowSink.self)
        data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.pointee.appendHeader($0, n) }
    }
    return n
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array.
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= count else { return false }
        return withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { n in barrage_memmem(hay.baseAddress, hay.count, n.baseAddress, n.count) != nil }
        }
    }
}
