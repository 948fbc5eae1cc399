import CLibcurl
import CCurlShims
import BarrageCore

/// One HTTP POST on libcurl's easy interface, blocking the calling thread: for side channels such as pushing
/// metrics, never for load. Each call makes and frees its own handle (a push every few seconds does not need a
/// connection kept open, and a fresh handle cannot leak state between pushes).
public enum BlockingPost {
    public enum Outcome: Sendable, Equatable {
        /// The server answered; `status` is its HTTP status code.
        case answered(status: Int)
        /// No answer: libcurl's error text.
        case failed(String)
    }

    /// POSTs `body` with `headers` ("Name: value" lines) to `url`, giving up after `timeoutMillis`.
    public static func send(url: String, headers: [String], body: [UInt8], timeoutMillis: Int) -> Outcome {
        Engine.globalInit()
        guard let easy = curl_easy_init() else { return .failed("curl_easy_init failed") }
        defer { curl_easy_cleanup(easy) }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for h in headers + ["Expect:"] { list = curl_slist_append(list, h) }
        defer { curl_slist_free_all(list) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = url.withCString { u in
            body.withUnsafeBytes { b in
                errorBuffer.withUnsafeMutableBufferPointer { e in
                    _ = barrage_easy_setopt_ptr(easy, CURLOPT_URL, u)
                    _ = barrage_easy_setopt_long(easy, CURLOPT_POST, 1)
                    _ = barrage_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                    _ = barrage_easy_setopt_ptr(easy, CURLOPT_POSTFIELDS, b.baseAddress)
                    _ = barrage_easy_setopt_ptr(easy, CURLOPT_HTTPHEADER, list)
                    _ = barrage_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeoutMillis)
                    _ = barrage_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
                    _ = barrage_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, e.baseAddress)
                    _ = barrage_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, discardBody)
                    return curl_easy_perform(easy)
                }
            }
        }
        guard code == CURLE_OK else {
            let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return .failed(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        var status = 0
        _ = barrage_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .answered(status: status)
    }
}
