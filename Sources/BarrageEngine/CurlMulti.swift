import CLibcurl
import BarrageCore

/// The libcurl multi-interface calls of an engine thread, as static, inlined wrappers (the counterpart of `Epoll`
/// for libcurl): no allocation, no existential. Each returns libcurl's `CURLMcode` for the caller to check where a
/// failure changes what happens (`curl_multi_add_handle`: the request is counted as failed); the calls whose failure
/// leaves nothing to do (the transfer's own result reports it) discard it explicitly at the call site.
enum CurlMulti {
    /// curl_multi_init(): a new multi handle.
    static func make() throws -> UnsafeMutableRawPointer {
        guard let multi = curl_multi_init() else { throw BarrageError.failure("curl_multi_init failed") }
        return multi
    }

    /// curl_multi_cleanup(multi): frees the handle (its transfers must have been removed).
    static func cleanup(_ multi: UnsafeMutableRawPointer) {
        curl_multi_cleanup(multi)
    }

    /// curl_multi_add_handle(multi, easy): starts a transfer.
    @inline(__always)
    static func add(_ multi: UnsafeMutableRawPointer, _ easy: UnsafeMutableRawPointer) -> CURLMcode {
        curl_multi_add_handle(multi, easy)
    }

    /// curl_multi_remove_handle(multi, easy): ends (or cuts short) a transfer; the handle may be added again.
    @inline(__always)
    @discardableResult
    static func remove(_ multi: UnsafeMutableRawPointer, _ easy: UnsafeMutableRawPointer) -> CURLMcode {
        curl_multi_remove_handle(multi, easy)
    }

    /// curl_multi_perform(multi, &running): advances every transfer of the handle (perform mode).
    @inline(__always)
    @discardableResult
    static func perform(_ multi: UnsafeMutableRawPointer) -> CURLMcode {
        var running: Int32 = 0
        return curl_multi_perform(multi, &running)
    }

    /// curl_multi_poll(multi, extra, extraCount, timeoutMillis, nil): sleeps until libcurl's descriptors (and the
    /// `extra` ones) are ready or the timeout passes (perform mode).
    @inline(__always)
    @discardableResult
    static func poll(_ multi: UnsafeMutableRawPointer, extra: UnsafeMutablePointer<curl_waitfd>?, extraCount: UInt32,
                     timeoutMillis: Int32) -> CURLMcode {
        curl_multi_poll(multi, extra, extraCount, timeoutMillis, nil)
    }

    /// curl_multi_socket_action(multi, fd, flags, &running): `fd` is ready for `flags` (CURL_CSELECT_*), or
    /// CURL_SOCKET_TIMEOUT with 0 when the handle's timer is due (socket mode).
    @inline(__always)
    @discardableResult
    static func socketAction(_ multi: UnsafeMutableRawPointer, _ fd: curl_socket_t, flags: Int32) -> CURLMcode {
        var running: Int32 = 0
        return curl_multi_socket_action(multi, fd, flags, &running)
    }

    /// curl_multi_info_read(multi, &left): the next message (a finished transfer), nil when none is left.
    @inline(__always)
    static func nextMessage(_ multi: UnsafeMutableRawPointer) -> UnsafeMutablePointer<CURLMsg>? {
        var left: Int32 = 0
        return curl_multi_info_read(multi, &left)
    }

    /// curl_multi_strerror(code): libcurl's words for a multi error.
    static func describe(_ code: CURLMcode) -> String {
        String(cString: curl_multi_strerror(code))
    }
}
