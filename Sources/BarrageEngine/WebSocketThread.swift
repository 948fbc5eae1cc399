import Glibc
import Foundation
import CLinuxEvents
import CLibcurl
import CCurlShims
import BarrageCore

/// One engine thread of a WebSocket run (`plan.workload.webSocket`): its share of the connections, driven by one
/// loop of `curl_multi_socket_action` + epoll. Each connection is an easy handle with `CURLOPT_CONNECT_ONLY` = 2: the
/// handshake runs as a transfer of the thread's multi handle (one request in `requests`); once it is done (101), the
/// handle stays added to the multi handle (libcurl 8.14.1 drops the connection of a connect-only handle removed from
/// its multi handle: `curl_ws_send` then fails with CURLE_UNSUPPORTED_PROTOCOL), its socket
/// (`CURLINFO_ACTIVESOCKET`) goes into this loop's epoll under the slot's tag, and frames are read with
/// `curl_ws_recv` until CURLE_AGAIN whenever it is readable and written with `curl_ws_send`. When each message goes
/// is the `MessageScheduler`'s; everything libcurl is here.
final class WebSocketThread: @unchecked Sendable {
    /// Per connection slot: the current connection's handle and what is in flight on it.
    struct Slot {
        var easy: UnsafeMutableRawPointer?
        /// The upgraded connection's socket, registered in epoll under the slot's tag; -1 before the upgrade.
        var socket: Int32 = -1
        /// A message arriving: it still equals the payload so far (echo), its bytes so far.
        var inMessage = false
        var matching = true
        var receivedBytes = 0
        /// Of the message being sent, payload bytes not yet accepted by `curl_ws_send` (a partial send waits for EPOLLOUT).
        var unsentFrom = -1
    }

    let index: Int
    let plan: RunPlan
    private let ws: WebSocketPlan
    private let control: StopControl
    private let mailbox: Mailbox
    private let startLine: StartLine
    private let live: LiveCounters
    private let userAgent: String?
    var scheduler: MessageScheduler<RequestBudget>
    private var slots: [Slot]
    private let multi: UnsafeMutableRawPointer
    private let loop: UnsafeMutablePointer<WebSocketLoop>
    private var events: UnsafeMutablePointer<epoll_event>
    private let eventCapacity = 512
    private var headers: UnsafeMutablePointer<curl_slist>?
    private var resolveList: UnsafeMutablePointer<curl_slist>?
    private var connectToList: UnsafeMutablePointer<curl_slist>?
    private let payload: UnsafeMutableRawBufferPointer
    private let frameFlags: UInt32
    private let matcher: NSRegularExpression?
    /// `--ws-answer match:` compares whole messages: each slot's message so far, up to `matchLimit` bytes.
    private var matchBuffers: [[UInt8]]
    private static let matchLimit = 1 << 20
    private let receiveBuffer: UnsafeMutableRawBufferPointer
    private let errorBuffers: UnsafeMutablePointer<CChar>
    var startMicros: Int64 = 0
    /// Until when messages awaiting an answer were integrated (`accountInFlight`), µs monotonic.
    private var inFlightSince: Int64 = 0
    var interval = IntervalStats(second: 0)
    var firstErrors = [String?](repeating: nil, count: ErrorClass.count)
    private var closedOk = 0, closedFailed = 0, closedDropped = 0
    /// The messages of the seconds handed over, for the live view.
    private var closedAnswered = 0, closedMessagesFailed = 0, closedMessagesDropped = 0
    /// Message failures by class: the first words for each, in `error_messages` under `messages.CLASS`.
    private var firstMessageErrors: [String: String] = [:]
    private static let slotTag: UInt64 = 1 << 63
    /// `--raw`: the lines of this thread's handshakes and messages, handed to the controller once a second; nil without.
    private var rawLines: WebSocketRawLines?
    /// The connection number of slot 0 in the whole plan (`--raw`'s `connection`): slots are numbered across
    /// segments and threads, as flows' VUs are.
    private let connectionOffset: Int

    init(index: Int, connections: Int, plan: RunPlan, control: StopControl, budget: RequestBudget, mailbox: Mailbox,
         startLine: StartLine, userAgent: String?, live: LiveCounters, connectionOffset: Int = 0) throws {
        guard let ws = plan.workload.webSocket else { throw BarrageError.failure("not a WebSocket plan") }
        self.index = index
        self.plan = plan
        self.ws = ws
        self.control = control
        self.mailbox = mailbox
        self.startLine = startLine
        self.live = live
        self.userAgent = userAgent
        self.connectionOffset = connectionOffset
        rawLines = plan.recordRaw ? WebSocketRawLines(targetName: plan.targets[0].name) : nil
        // Open model: this thread's share of the connection arrivals (of this segment's, every T-th), unbounded by -n
        // (which counts messages).
        let share = plan.scheduleShare(thread: index)
        let arrivals = plan.schedule.map { $0.makeIterator(limit: nil, offset: share.offset, stride: share.stride) }
        self.scheduler = MessageScheduler(plan: ws, connections: connections, answerTimeoutMicros: plan.timeoutMicros,
                                          sendEndMicros: plan.durationMicros ?? .max, budget: budget, arrivals: arrivals,
                                          maxLatenessMicros: plan.schedule == nil ? .max : plan.maxLatenessMicros)
        slots = Array(repeating: Slot(), count: connections)
        matchBuffers = Array(repeating: [], count: connections)
        multi = try CurlMulti.make()
        let epfd = try Epoll.create()
        loop = .allocate(capacity: 1)
        loop.initialize(to: WebSocketLoop(epollFD: epfd))
        events = .allocate(capacity: eventCapacity)
        barrage_multi_setopt_socket_callback(multi, webSocketSocketCallback)
        barrage_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, loop)
        barrage_multi_setopt_timer_callback(multi, webSocketTimerCallback)
        barrage_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, loop)
        for line in plan.transport.resolve { resolveList = curl_slist_append(resolveList, line) }
        for line in plan.transport.connectTo { connectToList = curl_slist_append(connectToList, line) }
        for line in plan.targets[0].headers { headers = curl_slist_append(headers, line) }
        payload = .allocate(byteCount: max(1, ws.payload.count), alignment: 1)
        payload.copyBytes(from: ws.payload)
        frameFlags = UInt32(ws.binary ? CURLWS_BINARY : CURLWS_TEXT)
        if case .match(let pattern) = ws.answer {
            matcher = try NSRegularExpression(pattern: pattern)
        } else {
            matcher = nil
        }
        receiveBuffer = .allocate(byteCount: 64 * 1024, alignment: 8)
        errorBuffers = .allocate(capacity: max(1, connections) * Int(CURL_ERROR_SIZE))
        errorBuffers.initialize(repeating: 0, count: max(1, connections) * Int(CURL_ERROR_SIZE))
        interval.messages = MessageRecorder()
    }

    deinit {
        for i in slots.indices { release(i) }
        CurlMulti.cleanup(multi)
        curl_slist_free_all(headers)
        curl_slist_free_all(resolveList)
        curl_slist_free_all(connectToList)
        payload.deallocate()
        receiveBuffer.deallocate()
        errorBuffers.deallocate()
        close(loop.pointee.epollFD)
        loop.deallocate()
        events.deallocate()
    }

    // MARK: - The loop

    func run() {
        startMicros = startLine.arriveAndWait(control: control)
        interval = IntervalStats(second: 0)
        interval.messages = MessageRecorder()
        scheduler.start()
        inFlightSince = Clock.monotonicMicros()
        let sendEnd = plan.durationMicros.map { startMicros + $0 } ?? .max
        while true {
            let now = Clock.monotonicMicros()
            accountInFlight(now: now)
            let secondEnd = startMicros + Int64(interval.second + 1) * 1_000_000
            if control.level == .aborting && !scheduler.aborting { scheduler.stop() }
            else if control.level != .running && !scheduler.stopping { scheduler.drain() }
            if now >= sendEnd && !scheduler.stopping { scheduler.drain() }
            fireTimer(now: now)
            drainCompletions()
            execute(now: Clock.monotonicMicros())
            publishLive()
            if scheduler.finished { break }
            var wake = secondEnd
            let due = scheduler.nextWakeMicros()
            if due != .max { wake = min(wake, startMicros + due) }
            if loop.pointee.deadline >= 0 { wake = min(wake, loop.pointee.deadline) }
            if !scheduler.stopping { wake = min(wake, sendEnd) }
            let waitMillis = Int32(min(max(0, (wake - Clock.monotonicMicros() + 999) / 1_000), 100))
            waitEpoll(waitMillis)
        }
        let end = Clock.monotonicMicros()
        closeIntervals(through: end)
        interval.inFlight = 0
        postInterval()
        flushRaw()
        publishLive()
        var errors = Dictionary(uniqueKeysWithValues: ErrorClass.allCases.compactMap { c in firstErrors[c.index].map { (c.rawValue, $0) } })
        for (k, v) in firstMessageErrors { errors["messages.\(k)"] = v }
        mailbox.post(.finished(worker: index, warmup: Recorder(), connect: Recorder(), firstErrors: errors))
    }

    /// The scheduler's actions until it has none for `now`.
    private func execute(now: Int64) {
        scheduler.rewind()
        while true {
            let action = scheduler.nextAction(nowMicros: now - startMicros)
            switch action {
            case .none:
                return
            case .open(let i):
                open(i, now: now)
            case .send(let i, _, _):
                send(i, now: now)
            case .answerTimeout(let i):
                failMessage(i, .answer_timeout, "no answer within \(DurationParser.format(micros: plan.timeoutMicros))")
                closeConnection(i, code: 1000)
            case .drop(let i, let count, let firstDue):
                dropMessages(i, count: count, firstDueMicros: firstDue)
            case .dropConnection(let due):
                let second = Int((now - startMicros) / 1_000_000)
                if second != interval.second { closeIntervals(through: now) }
                interval.recorder.recordDropped()
                rawLines?.handshake(RequestOutcome(dueMicros: due, sentMicros: -1, doneMicros: now - startMicros, status: 0,
                                                   error: nil, complete: false), connection: nil, dropped: true)
            case .close(let i, _):
                closeConnection(i, code: 1000)
            case .interrupt(let i):
                if slots[i].socket >= 0 {
                    failMessage(i, .interrupted, "the run was stopped while the message awaited its answer")
                } else {
                    let (opened, due) = (scheduler.connection(i).openedMicros, scheduler.connection(i).openDueMicros)
                    record(RequestOutcome(dueMicros: due, sentMicros: opened, doneMicros: now - startMicros, status: 0,
                                          error: .other, complete: false), slot: i, now: now)
                }
                closeConnection(i, code: 1001)
            }
        }
    }

    // MARK: - Connections

    /// Starts the handshake of a new connection on slot `i`: a fresh connect-only handle added to the multi handle.
    private func open(_ i: Int, now: Int64) {
        guard let easy = curl_easy_init() else {
            handshakeFailed(i, status: 0, error: .other, message: "curl_easy_init failed", now: now)
            return
        }
        configure(easy, slot: i)
        slots[i] = Slot(easy: easy)
        let code = CurlMulti.add(multi, easy)
        if code != CURLM_OK {
            curl_easy_cleanup(easy)
            slots[i].easy = nil
            handshakeFailed(i, status: 0, error: .other,
                            message: "curl_multi_add_handle failed: \(CurlMulti.describe(code)) (CURLM \(code.rawValue))", now: now)
        }
    }

    private func handshakeFailed(_ i: Int, status: Int, error: ErrorClass, message: String, now: Int64) {
        if firstErrors[error.index] == nil { firstErrors[error.index] = message }
        let (opened, due) = (scheduler.connection(i).openedMicros, scheduler.connection(i).openDueMicros)
        record(RequestOutcome(dueMicros: due, sentMicros: opened, doneMicros: now - startMicros, status: status,
                              error: error, complete: status >= 100), slot: i, now: now)
        scheduler.handshakeDone(slot: i, upgraded: false, nowMicros: now - startMicros)
    }

    /// The options of a handshake: the target's URL and headers, the run's TLS and connection controls, HTTP/1.1.
    private func configure(_ easy: UnsafeMutableRawPointer, slot: Int) {
        let target = plan.targets[0]
        let t = plan.transport
        barrage_easy_setopt_ptr(easy, CURLOPT_URL, target.url)
        barrage_easy_setopt_long(easy, CURLOPT_CONNECT_ONLY, 2)
        barrage_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        barrage_easy_setopt_ptr(easy, CURLOPT_PRIVATE, UnsafeRawPointer(bitPattern: slot + 1))
        barrage_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffers + slot * Int(CURL_ERROR_SIZE))
        barrage_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        if t.insecure {
            barrage_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            barrage_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let ca = t.caCert { barrage_easy_setopt_ptr(easy, CURLOPT_CAINFO, ca) }
        if let cert = t.clientCert { barrage_easy_setopt_ptr(easy, CURLOPT_SSLCERT, cert) }
        if let key = t.clientKey { barrage_easy_setopt_ptr(easy, CURLOPT_SSLKEY, key) }
        switch t.tlsMin {
        case "1.2": barrage_easy_setopt_long(easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2)
        case "1.3": barrage_easy_setopt_long(easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_3)
        default: break
        }
        if let resolveList { barrage_easy_setopt_ptr(easy, CURLOPT_RESOLVE, resolveList) }
        if let connectToList { barrage_easy_setopt_ptr(easy, CURLOPT_CONNECT_TO, connectToList) }
        barrage_easy_setopt_ptr(easy, CURLOPT_PROXY, t.proxy ?? "")
        barrage_easy_setopt_ptr(easy, CURLOPT_NOPROXY, "")
        if let socket = t.unixSocket { barrage_easy_setopt_ptr(easy, CURLOPT_UNIX_SOCKET_PATH, socket) }
        barrage_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(max(1, plan.connectTimeoutMicros / 1_000)))
        barrage_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(max(1, plan.timeoutMicros / 1_000)))
        if let userAgent { barrage_easy_setopt_ptr(easy, CURLOPT_USERAGENT, userAgent) }
        if let headers { barrage_easy_setopt_ptr(easy, CURLOPT_HTTPHEADER, headers) }
    }

    /// Handshakes that finished: recorded as requests; an upgraded connection's socket joins the epoll set.
    private func drainCompletions() {
        while let msg = CurlMulti.nextMessage(multi) {
            guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
            let code = msg.pointee.data.result
            let now = Clock.monotonicMicros()
            var priv: UnsafeMutablePointer<CChar>? = nil
            barrage_easy_getinfo_ptr(easy, CURLINFO_PRIVATE, &priv)
            let i = Int(bitPattern: priv) - 1
            handshakeDone(i, easy: easy, code: code, now: now)
        }
    }

    private func handshakeDone(_ i: Int, easy: UnsafeMutableRawPointer, code: CURLcode, now: Int64) {
        var status = 0, headerBytes = 0, requestBytes = 0
        var lookup: curl_off_t = 0, connect: curl_off_t = 0, appConnect: curl_off_t = 0
        var preTransfer: curl_off_t = 0, startTransfer: curl_off_t = 0
        barrage_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        barrage_easy_getinfo_long(easy, CURLINFO_HEADER_SIZE, &headerBytes)
        barrage_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestBytes)
        barrage_easy_getinfo_off(easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup)
        barrage_easy_getinfo_off(easy, CURLINFO_CONNECT_TIME_T, &connect)
        barrage_easy_getinfo_off(easy, CURLINFO_APPCONNECT_TIME_T, &appConnect)
        barrage_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &preTransfer)
        barrage_easy_getinfo_off(easy, CURLINFO_STARTTRANSFER_TIME_T, &startTransfer)
        let curlCode = Int(code.rawValue)
        let upgraded = curlCode == 0 && status == 101
        // A refused upgrade is a complete response with its status (libcurl says CURLE_HTTP_RETURNED_ERROR for ≥ 400).
        let complete = status >= 100 && (curlCode == 0 || curlCode == 22)
        var error: ErrorClass? = nil
        if !upgraded {
            error = complete ? .status : (ErrorClass.classify(curlCode: curlCode, httpStatus: status) ?? .protocol)
            if firstErrors[error!.index] == nil {
                let buffer = errorBuffers + i * Int(CURL_ERROR_SIZE)
                let text = buffer.pointee != 0 ? String(cString: buffer) : String(cString: curl_easy_strerror(code))
                firstErrors[error!.index] = complete ? "HTTP \(status): the WebSocket upgrade was refused" : "\(text) (curl \(curlCode))"
            }
        }
        let (opened, due) = (scheduler.connection(i).openedMicros, scheduler.connection(i).openDueMicros)
        var outcome = RequestOutcome(dueMicros: due, sentMicros: opened, doneMicros: now - startMicros, status: status,
                                     error: error, complete: complete, bytesIn: Int64(headerBytes),
                                     bytesOut: Int64(requestBytes), dnsMicros: Int64(lookup),
                                     connectMicros: connect > 0 ? Int64(connect - lookup) : -1,
                                     tlsMicros: appConnect > 0 ? Int64(appConnect - connect) : -1,
                                     ttfbMicros: startTransfer > 0 ? Int64(startTransfer - preTransfer) : -1,
                                     connection: connect > 0 ? .new : .none)
        outcome.httpVersion = 11
        record(outcome, slot: i, now: now)
        guard upgraded else {
            release(i)
            scheduler.handshakeDone(slot: i, upgraded: false, nowMicros: now - startMicros)
            return
        }
        var fd: curl_socket_t = -1
        barrage_easy_getinfo_socket(easy, CURLINFO_ACTIVESOCKET, &fd)
        if fd < 0 || !loop.pointee.watchSlot(fd, slot: i, events: EPOLLIN.rawValue) {
            if firstErrors[ErrorClass.other.index] == nil {
                firstErrors[ErrorClass.other.index] = "the upgraded connection's socket could not be watched (epoll_ctl: \(String(cString: strerror(errno))))"
            }
            release(i)
            scheduler.handshakeDone(slot: i, upgraded: false, nowMicros: now - startMicros)
            return
        }
        slots[i].socket = fd
        scheduler.handshakeDone(slot: i, upgraded: true, nowMicros: now - startMicros)
        // Frames that came with the 101 are already in libcurl's buffer: epoll will not report them.
        receive(i, now: now)
    }

    /// Sends a close frame with `code` (best effort) and drops the connection.
    private func closeConnection(_ i: Int, code: UInt16) {
        if let easy = slots[i].easy, slots[i].socket >= 0 {
            var body: (UInt8, UInt8) = (UInt8(code >> 8), UInt8(code & 0xFF))
            var sent = 0
            _ = withUnsafeBytes(of: &body) { curl_ws_send(easy, $0.baseAddress, 2, &sent, 0, UInt32(CURLWS_CLOSE)) }
        }
        release(i)
    }

    /// Removes slot `i`'s handle from the multi handle and frees it (closing its connection).
    private func release(_ i: Int) {
        if slots[i].socket >= 0 { loop.pointee.unwatchSlot(slots[i].socket) }
        if let easy = slots[i].easy {
            CurlMulti.remove(multi, easy)
            curl_easy_cleanup(easy)
        }
        slots[i] = Slot()
        matchBuffers[i].removeAll(keepingCapacity: true)
    }

    /// The connection on slot `i` broke or was closed by the peer: the outstanding message fails with `error`, what
    /// came due since is dropped, and the slot reconnects (unless the run is stopping).
    private func lose(_ i: Int, error: MessageError, detail: String, now: Int64) {
        if scheduler.connection(i).phase == .awaiting { failMessage(i, error, detail) }
        release(i)
        let dropped = scheduler.lost(slot: i, nowMicros: now - startMicros)
        if dropped.count > 0 { dropMessages(i, count: dropped.count, firstDueMicros: dropped.firstDueMicros) }
    }

    // MARK: - Frames

    private func send(_ i: Int, now: Int64) {
        guard let easy = slots[i].easy else { return }
        // The scheduler counts this message outstanding from now: the second's peak of messages awaiting an answer.
        if scheduler.outstanding > interval.inFlightMax { interval.inFlightMax = scheduler.outstanding }
        var sent = 0
        let code = curl_ws_send(easy, payload.baseAddress, ws.payload.count, &sent, 0, frameFlags)
        recordMessages { $0.recordSent(bytes: ws.payload.count) }
        if code == CURLE_OK && sent >= ws.payload.count { return }
        if code == CURLE_OK || code == CURLE_AGAIN {
            slots[i].unsentFrom = sent
            _ = loop.pointee.watchSlot(slots[i].socket, slot: i, events: EPOLLIN.rawValue | EPOLLOUT.rawValue)
            return
        }
        lose(i, error: .send, detail: "curl_ws_send: \(String(cString: curl_easy_strerror(code))) (curl \(code.rawValue))", now: now)
    }

    /// EPOLLOUT after a partial send: the rest of the message's payload.
    private func continueSend(_ i: Int, now: Int64) {
        guard let easy = slots[i].easy, slots[i].unsentFrom >= 0 else { return }
        let from = slots[i].unsentFrom
        var sent = 0
        let code = curl_ws_send(easy, payload.baseAddress! + from, ws.payload.count - from, &sent, 0, frameFlags)
        if code == CURLE_OK || code == CURLE_AGAIN {
            if from + sent >= ws.payload.count && code == CURLE_OK {
                slots[i].unsentFrom = -1
                _ = loop.pointee.watchSlot(slots[i].socket, slot: i, events: EPOLLIN.rawValue)
            } else {
                slots[i].unsentFrom = from + sent
            }
            return
        }
        lose(i, error: .send, detail: "curl_ws_send: \(String(cString: curl_easy_strerror(code))) (curl \(code.rawValue))", now: now)
    }

    /// Reads every frame libcurl has for slot `i` (until CURLE_AGAIN): data messages are counted and matched against
    /// the outstanding message; a close frame ends the connection.
    private func receive(_ i: Int, now: Int64) {
        while let easy = slots[i].easy {
            var n = 0
            var meta: UnsafeMutablePointer<curl_ws_frame>? = nil
            let code = curl_ws_recv(easy, receiveBuffer.baseAddress, receiveBuffer.count, &n, &meta)
            if code == CURLE_AGAIN { return }
            guard code == CURLE_OK, let frame = meta?.pointee else {
                lose(i, error: .receive, detail: "curl_ws_recv: \(String(cString: curl_easy_strerror(code))) (curl \(code.rawValue))", now: now)
                return
            }
            let flags = frame.flags
            if flags & Int32(CURLWS_CLOSE) != 0 {
                // The close frame's payload starts with its code (none: 0), when it arrives whole in one chunk.
                let bytes = receiveBuffer.bindMemory(to: UInt8.self)
                let code = n >= 2 ? Int(bytes[0]) << 8 | Int(bytes[1]) : 0
                if frame.bytesleft > 0 { continue }
                recordMessages { $0.recordClose(code: code) }
                lose(i, error: .closed_by_peer, detail: "the peer closed the connection (close code \(code))", now: now)
                return
            }
            if flags & (Int32(CURLWS_PING) | Int32(CURLWS_PONG)) != 0 { continue } // libcurl answers pings itself
            guard flags & (Int32(CURLWS_TEXT) | Int32(CURLWS_BINARY) | Int32(CURLWS_CONT)) != 0 else { continue }
            absorb(i, bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(receiveBuffer)[0..<n]))
            // The message ends with its last fragment's last byte.
            if frame.bytesleft == 0 && flags & Int32(CURLWS_CONT) == 0 { messageEnded(i, now: now) }
        }
    }

    /// A chunk of the message arriving on slot `i`.
    private func absorb(_ i: Int, bytes: UnsafeRawBufferPointer) {
        if !slots[i].inMessage {
            slots[i].inMessage = true
            slots[i].matching = true
            slots[i].receivedBytes = 0
            matchBuffers[i].removeAll(keepingCapacity: true)
        }
        let at = slots[i].receivedBytes
        switch ws.answer {
        case .echo:
            if slots[i].matching, let chunk = bytes.baseAddress {
                if at + bytes.count > ws.payload.count || memcmp(payload.baseAddress! + at, chunk, bytes.count) != 0 {
                    slots[i].matching = false
                }
            }
        case .match:
            if matchBuffers[i].count + bytes.count <= Self.matchLimit { matchBuffers[i].append(contentsOf: bytes) }
        case .any:
            break
        }
        slots[i].receivedBytes = at + bytes.count
    }

    /// A whole message arrived on slot `i`: counted; the answer when it qualifies and a message is outstanding.
    private func messageEnded(_ i: Int, now: Int64) {
        let size = slots[i].receivedBytes
        slots[i].inMessage = false
        recordMessages { $0.recordReceived(bytes: size) }
        let state = scheduler.connection(i)
        guard state.phase == .awaiting else { return }
        let qualifies: Bool
        switch ws.answer {
        case .any:
            qualifies = true
        case .echo:
            qualifies = slots[i].matching && size == ws.payload.count
        case .match:
            let text = String(decoding: matchBuffers[i], as: UTF8.self)
            qualifies = matcher?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        guard qualifies else { return }
        let done = now - startMicros
        recordMessages { $0.recordAnswered(dueMicros: state.dueMicros, sentMicros: state.sentMicros, doneMicros: done) }
        rawLines?.message(.answered, dueMicros: state.dueMicros, sentMicros: state.sentMicros, doneMicros: done, bytes: size,
                          connection: connectionOffset + i)
        scheduler.answered(slot: i, nowMicros: done)
    }

    // MARK: - Waiting

    private func fireTimer(now: Int64) {
        let deadline = loop.pointee.deadline
        guard deadline >= 0 && deadline <= now else { return }
        loop.pointee.deadline = -1
        CurlMulti.socketAction(multi, CURL_SOCKET_TIMEOUT, flags: 0)
    }

    private func waitEpoll(_ waitMillis: Int32) {
        let n = Epoll.wait(loop.pointee.epollFD, into: events, capacity: Int32(eventCapacity), timeoutMillis: waitMillis)
        let now = Clock.monotonicMicros()
        // The wait is counted with the messages that awaited their answers through it, before these events answer any.
        accountInFlight(now: now)
        guard n > 0 else { return }
        for k in 0..<n {
            let ev = events[k]
            if ev.data.u64 & Self.slotTag != 0 {
                let i = Int(ev.data.u64 & 0xFFFF_FFFF)
                guard i < slots.count, slots[i].socket >= 0 else { continue }
                if ev.events & EPOLLOUT.rawValue != 0 { continueSend(i, now: now) }
                if ev.events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { receive(i, now: now) }
                continue
            }
            let fd = Int32(truncatingIfNeeded: ev.data.u64 & 0xFFFF_FFFF)
            var flags: Int32 = 0
            if ev.events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { flags |= CURL_CSELECT_IN }
            if ev.events & EPOLLOUT.rawValue != 0 { flags |= CURL_CSELECT_OUT }
            if ev.events & EPOLLERR.rawValue != 0 { flags |= CURL_CSELECT_ERR }
            CurlMulti.socketAction(multi, fd, flags: flags)
        }
        drainCompletions()
    }

    // MARK: - Recording

    /// Messages awaiting an answer (`scheduler.outstanding`: the timeline's `in_flight`), integrated over time since
    /// the last call up to `now`, the part up to a second's end in that second (`in_flight_mean`). Called before the
    /// count changes: when the loop wakes and when a wait returns, before its events are read.
    private func accountInFlight(now: Int64) {
        let secondEnd = startMicros + Int64(interval.second + 1) * 1_000_000
        if now >= secondEnd {
            interval.recorder.inFlightIntegralMicros += Double(scheduler.outstanding) * Double(max(0, secondEnd - inFlightSince))
            closeIntervals(through: now)
            inFlightSince = max(inFlightSince, secondEnd)
        }
        interval.recorder.inFlightIntegralMicros += Double(scheduler.outstanding) * Double(max(0, now - inFlightSince))
        inFlightSince = max(inFlightSince, now)
    }

    /// The message outstanding on slot `i` failed (the scheduler still holds its due and send times).
    private func failMessage(_ i: Int, _ error: MessageError, _ detail: String) {
        if firstMessageErrors[error.rawValue] == nil { firstMessageErrors[error.rawValue] = detail }
        let done = Clock.monotonicMicros() - startMicros
        recordMessages { $0.recordFailed(error, doneMicros: done) }
        let state = scheduler.connection(i)
        rawLines?.message(.failed, dueMicros: state.dueMicros, sentMicros: state.sentMicros, doneMicros: done, error: error,
                          connection: connectionOffset + i)
    }

    /// `count` messages due on slot `i` that will never be sent, the first due at `firstDueMicros`.
    private func dropMessages(_ i: Int, count: Int, firstDueMicros: Int64) {
        recordMessages { $0.recordDropped(count) }
        rawLines?.dropped(count: count, firstDueMicros: firstDueMicros, intervalMicros: ws.intervalMicros ?? 0,
                          doneMicros: Clock.monotonicMicros() - startMicros, connection: connectionOffset + i)
    }

    /// Hands this thread's `--raw` lines so far to the controller, which writes them.
    private func flushRaw() {
        guard let lines = rawLines?.take(), !lines.isEmpty else { return }
        mailbox.post(.raw(lines))
    }

    @inline(__always)
    private func recordMessages(_ body: (inout MessageRecorder) -> Void) {
        let now = Clock.monotonicMicros()
        let second = Int((now - startMicros) / 1_000_000)
        if second != interval.second { closeIntervals(through: now) }
        body(&interval.messages!)
    }

    /// A handshake on slot `i` ended: one request of the run.
    private func record(_ outcome: RequestOutcome, slot i: Int, now: Int64) {
        let second = Int((now - startMicros) / 1_000_000)
        if second != interval.second { closeIntervals(through: now) }
        interval.recorder.record(outcome)
        rawLines?.handshake(outcome, connection: connectionOffset + i)
    }

    private func closeIntervals(through now: Int64) {
        let second = Int((now - startMicros) / 1_000_000)
        guard second > interval.second else { return }
        flushRaw()
        interval.inFlight = scheduler.outstanding
        closedOk += interval.ok
        closedFailed += interval.failed
        closedDropped += interval.dropped
        if let m = interval.messages {
            closedAnswered += m.answered
            closedMessagesFailed += m.failed
            closedMessagesDropped += m.dropped
        }
        postInterval()
        interval = IntervalStats(second: second)
        interval.messages = MessageRecorder()
        interval.inFlightMax = scheduler.outstanding
    }

    private func postInterval() {
        mailbox.post(.interval(worker: index, interval, targets: [], stages: []))
    }

    private func publishLive() {
        live.ok.store(closedOk + interval.ok, ordering: .relaxed)
        live.failed.store(closedFailed + interval.failed, ordering: .relaxed)
        live.dropped.store(closedDropped + interval.dropped, ordering: .relaxed)
        live.inFlight.store(scheduler.outstanding, ordering: .relaxed)
        live.messagesAnswered.store(closedAnswered + (interval.messages?.answered ?? 0), ordering: .relaxed)
        live.messagesFailed.store(closedMessagesFailed + (interval.messages?.failed ?? 0), ordering: .relaxed)
        live.messagesDropped.store(closedMessagesDropped + (interval.messages?.dropped ?? 0), ordering: .relaxed)
        live.connectionsOpen.store(scheduler.openConnections, ordering: .relaxed)
    }
}

/// What the libcurl callbacks of a WebSocket thread share: the epoll descriptor and the multi handle's timer.
struct WebSocketLoop {
    var epollFD: Int32
    /// When libcurl wants `CURL_SOCKET_TIMEOUT` next, µs monotonic; -1 for never.
    var deadline: Int64 = -1

    init(epollFD: Int32) { self.epollFD = epollFD }

    /// An upgraded connection's socket, tagged with its slot (replacing libcurl's own registration, if any).
    func watchSlot(_ fd: Int32, slot: Int, events: UInt32) -> Bool {
        let data = (UInt64(1) << 63) | UInt64(slot)
        return Epoll.register(epollFD, fd: fd, events: events, data: data, modify: true)
            || Epoll.register(epollFD, fd: fd, events: events, data: data, modify: false)
    }

    func unwatchSlot(_ fd: Int32) {
        Epoll.remove(epollFD, fd: fd)
    }
}

/// CURLMOPT_SOCKETFUNCTION of a WebSocket thread: the handshakes' sockets, tagged with the descriptor.
let webSocketSocketCallback: curl_socket_callback = { _, fd, what, userp, _ in
    let loop = userp!.assumingMemoryBound(to: WebSocketLoop.self)
    let epfd = loop.pointee.epollFD
    if what == CURL_POLL_REMOVE {
        Epoll.remove(epfd, fd: fd)
        return 0
    }
    var events: UInt32 = 0
    if what & CURL_POLL_IN != 0 { events |= EPOLLIN.rawValue }
    if what & CURL_POLL_OUT != 0 { events |= EPOLLOUT.rawValue }
    let data = UInt64(UInt32(bitPattern: fd))
    if !Epoll.register(epfd, fd: fd, events: events, data: data, modify: false)
        && !Epoll.register(epfd, fd: fd, events: events, data: data, modify: true) { return -1 }
    return 0
}

/// CURLMOPT_TIMERFUNCTION of a WebSocket thread.
let webSocketTimerCallback: curl_multi_timer_callback = { _, timeoutMillis, userp in
    let loop = userp!.assumingMemoryBound(to: WebSocketLoop.self)
    loop.pointee.deadline = timeoutMillis < 0 ? -1 : Clock.monotonicMicros() + Int64(timeoutMillis) * 1_000
    return 0
}
