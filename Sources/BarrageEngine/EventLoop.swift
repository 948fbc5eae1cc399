import Glibc
import CLinuxEvents
import CLibcurl

/// What the libcurl callbacks of one engine thread share, in raw memory so the callbacks touch no
/// reference counts: the epoll descriptor, each shard's timer deadline, and what each descriptor is
/// registered for.
struct LoopState {
    var epollFD: Int32
    /// Per shard: when libcurl wants `CURL_SOCKET_TIMEOUT` next, µs on the monotonic clock; -1 for never.
    var deadlines: UnsafeMutablePointer<Int64>
    var fds: UnsafeMutablePointer<FDEntry>
    var fdCapacity: Int
}

/// What one descriptor is registered for in epoll.
struct FDEntry {
    /// Registered in epoll (with `events`, tagged with `shard`).
    var registered = false
    var events: UInt32 = 0
    var shard: Int32 = -1
    /// Opened through our open-socket callback: we see its close, so its registration may be kept while
    /// libcurl does not watch it (idle keep-alive connections), saving two epoll_ctl calls per request.
    var owned = false
    /// libcurl does not watch it right now (CURL_POLL_REMOVE seen) but its registration was kept.
    var idle = false
}

/// Per shard (multi handle): where its callbacks find the loop.
struct ShardContext {
    var loop: UnsafeMutablePointer<LoopState>
    var shard: Int32
}

extension LoopState {
    /// Makes sure `fd` has an entry.
    mutating func entry(_ fd: Int32) -> UnsafeMutablePointer<FDEntry> {
        let i = Int(fd)
        if i >= fdCapacity {
            var newCapacity = max(fdCapacity * 2, 1024)
            while newCapacity <= i { newCapacity *= 2 }
            let grown = UnsafeMutablePointer<FDEntry>.allocate(capacity: newCapacity)
            grown.moveInitialize(from: fds, count: fdCapacity)
            (grown + fdCapacity).initialize(repeating: FDEntry(), count: newCapacity - fdCapacity)
            fds.deallocate()
            fds = grown
            fdCapacity = newCapacity
        }
        return fds + i
    }

    /// Registers `fd` for `events` on behalf of `shard`, with as few epoll_ctl calls as possible. False when epoll
    /// refused it (the caller tells libcurl, which fails the transfers on that multi handle rather than waiting for
    /// events that will never come).
    mutating func watch(_ fd: Int32, events: UInt32, shard: Int32) -> Bool {
        let e = entry(fd)
        if e.pointee.owned && e.pointee.registered && e.pointee.events == events && e.pointee.shard == shard {
            e.pointee.idle = false
            return true
        }
        let data = UInt64(UInt32(bitPattern: fd)) | (UInt64(UInt32(bitPattern: shard)) << 32)
        let modify = e.pointee.registered
        if !Epoll.register(epollFD, fd: fd, events: events, data: data, modify: modify) {
            // Our record was stale (a descriptor closed behind our back and reused): try the other operation.
            if !Epoll.register(epollFD, fd: fd, events: events, data: data, modify: !modify) {
                e.pointee.registered = false
                return false
            }
        }
        e.pointee.registered = true
        e.pointee.events = events
        e.pointee.shard = shard
        e.pointee.idle = false
        return true
    }

    /// libcurl no longer watches `fd`. Descriptors we own keep their registration (idle) until an event or close.
    mutating func unwatch(_ fd: Int32) {
        let e = entry(fd)
        guard e.pointee.registered else { return }
        if e.pointee.owned {
            e.pointee.idle = true
        } else {
            forget(fd)
        }
    }

    /// Removes `fd` from epoll now.
    mutating func forget(_ fd: Int32) {
        let e = entry(fd)
        if e.pointee.registered { Epoll.remove(epollFD, fd: fd) }
        e.pointee.registered = false
        e.pointee.idle = false
        e.pointee.events = 0
    }
}

// MARK: - libcurl callbacks (C function pointers: no captures)

/// CURLMOPT_SOCKETFUNCTION: libcurl tells which sockets to watch for what.
let socketCallback: curl_socket_callback = { _, fd, what, userp, _ in
    let shard = userp!.assumingMemoryBound(to: ShardContext.self)
    let loop = shard.pointee.loop
    switch what {
    case CURL_POLL_REMOVE:
        loop.pointee.unwatch(fd)
    default:
        var events: UInt32 = 0
        if what & CURL_POLL_IN != 0 { events |= EPOLLIN.rawValue }
        if what & CURL_POLL_OUT != 0 { events |= EPOLLOUT.rawValue }
        // -1 makes libcurl fail the transfers of this multi handle (counted, class `other`) instead of leaving them
        // waiting for readiness that epoll will never report.
        if !loop.pointee.watch(fd, events: events, shard: shard.pointee.shard) { return -1 }
    }
    return 0
}

/// CURLMOPT_TIMERFUNCTION: libcurl asks to be called with CURL_SOCKET_TIMEOUT after `timeoutMillis` (-1: never).
let timerCallback: curl_multi_timer_callback = { _, timeoutMillis, userp in
    let shard = userp!.assumingMemoryBound(to: ShardContext.self)
    let deadline: Int64 = timeoutMillis < 0 ? -1 : Clock.monotonicMicros() + Int64(timeoutMillis) * 1_000
    shard.pointee.loop.pointee.deadlines[Int(shard.pointee.shard)] = deadline
    return 0
}

/// CURLOPT_OPENSOCKETFUNCTION: we open sockets ourselves so that we see every descriptor's life.
let openSocketCallback: curl_opensocket_callback = { clientp, _, address in
    guard let address else { return -1 }
    let fd = socket(address.pointee.family, address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.protocol)
    guard fd >= 0 else { return -1 }
    let loop = clientp!.assumingMemoryBound(to: LoopState.self)
    let e = loop.pointee.entry(fd)
    e.pointee = FDEntry()
    e.pointee.owned = true
    return fd
}

/// CURLOPT_CLOSESOCKETFUNCTION: closing removes the descriptor from epoll; forget what we knew of it.
let closeSocketCallback: curl_closesocket_callback = { clientp, fd in
    let loop = clientp!.assumingMemoryBound(to: LoopState.self)
    let e = loop.pointee.entry(fd)
    e.pointee = FDEntry()
    return close(fd)
}

/// CURLOPT_WRITEFUNCTION: bodies are discarded; libcurl counts their bytes (CURLINFO_SIZE_DOWNLOAD_T).
let discardBody: curl_write_callback = { _, size, count, _ in
    size &* count
}

/// Streaming search for `expect.body_contains` across the chunks libcurl hands the write callback, without
/// allocating per request: the needle and a carry of its length − 1 bytes are allocated once per handle.
struct BodyCheck {
    let needle: UnsafeMutablePointer<UInt8>
    let needleCount: Int
    /// The last `needleCount − 1` bytes seen, to find a match that spans two chunks.
    let carry: UnsafeMutablePointer<UInt8>
    var carryCount = 0
    var matched = false

    init(needle text: String) {
        let bytes = Array(text.utf8)
        needleCount = bytes.count
        needle = .allocate(capacity: max(1, bytes.count))
        needle.initialize(from: bytes, count: bytes.count)
        carry = .allocate(capacity: max(1, 2 * bytes.count))
    }

    mutating func reset() {
        carryCount = 0
        matched = needleCount == 0
    }

    func release() {
        needle.deallocate()
        carry.deallocate()
    }

    mutating func feed(_ data: UnsafePointer<UInt8>, _ count: Int) {
        guard !matched, needleCount > 0, count > 0 else { return }
        // A match across the boundary: carry + the chunk's first needleCount − 1 bytes.
        if carryCount > 0 {
            let head = min(count, needleCount - 1)
            (carry + carryCount).update(from: data, count: head)
            if barrage_memmem(carry, carryCount + head, needle, needleCount) != nil { matched = true; return }
        }
        if barrage_memmem(data, count, needle, needleCount) != nil { matched = true; return }
        // Keep the last needleCount − 1 bytes of (carry + chunk).
        let keep = needleCount - 1
        if keep == 0 { return }
        if count >= keep {
            carry.update(from: data + (count - keep), count: keep)
            carryCount = keep
        } else {
            let fromCarry = min(carryCount, keep - count)
            // Move the tail of the old carry to the front, then append the chunk.
            memmove(carry, carry + (carryCount - fromCarry), fromCarry)
            (carry + fromCarry).update(from: data, count: count)
            carryCount = fromCarry + count
        }
    }
}

/// CURLOPT_WRITEFUNCTION for targets with a body check: feeds the check, keeps nothing else.
let checkBody: curl_write_callback = { data, size, count, userdata in
    let n = size &* count
    if let data, let userdata {
        let check = userdata.assumingMemoryBound(to: BodyCheck.self)
        data.withMemoryRebound(to: UInt8.self, capacity: n) { check.pointee.feed($0, n) }
    }
    return n
}
