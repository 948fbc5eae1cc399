import Glibc
import Foundation
import CLibcurl
import CCurlShims
import BarrageCore

/// Completion classification: what libcurl measured for a finished transfer, as a `RequestOutcome`.
extension EngineThread {
    /// `CURLINFO_QUEUE_TIME_T` (libcurl 8.6, `CURLINFO_OFF_T + 65`) by its numeric value: 7.88's headers lack it.
    static let curlinfoQueueTimeT = CURLINFO(rawValue: 0x60_0000 + 65)
    /// Asked once: the loaded libcurl reports the queue time (an older one would answer CURLE_UNKNOWN_OPTION).
    static let loadedLibcurlReportsQueueTime = LibcurlInfo.loaded.supports(.queueTime)

    /// Reads what libcurl measured for the finished transfer on slot `i` and records it.
    @inline(__always)
    func complete(_ i: Int, code: CURLcode, now: Int64) -> SlotOutcome {
        let slot = scheduler.slot(i)
        let easy = self.easy(i)
        var status = 0, headerBytes = 0, requestBytes = 0, connects = 0
        var downloaded: curl_off_t = 0, uploaded: curl_off_t = 0
        var lookup: curl_off_t = 0, connect: curl_off_t = 0, appConnect: curl_off_t = 0
        var preTransfer: curl_off_t = 0, startTransfer: curl_off_t = 0
        barrage_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        barrage_easy_getinfo_long(easy, CURLINFO_HEADER_SIZE, &headerBytes)
        barrage_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestBytes)
        barrage_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        barrage_easy_getinfo_off(easy, CURLINFO_SIZE_DOWNLOAD_T, &downloaded)
        barrage_easy_getinfo_off(easy, CURLINFO_SIZE_UPLOAD_T, &uploaded)
        barrage_easy_getinfo_off(easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup)
        barrage_easy_getinfo_off(easy, CURLINFO_CONNECT_TIME_T, &connect)
        barrage_easy_getinfo_off(easy, CURLINFO_APPCONNECT_TIME_T, &appConnect)
        barrage_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &preTransfer)
        barrage_easy_getinfo_off(easy, CURLINFO_STARTTRANSFER_TIME_T, &startTransfer)
        var httpVersion = 0
        barrage_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &httpVersion)
        var queue: curl_off_t = -1
        if Self.loadedLibcurlReportsQueueTime { barrage_easy_getinfo_off(easy, Self.curlinfoQueueTimeT, &queue) }

        let curlCode = Int(code.rawValue)
        var error = ErrorClass.classify(curlCode: curlCode, httpStatus: status)
        if curlCode == 56 && headerBytes > 300 * 1024 {
            error = .protocol // libcurl 7.88 reports "Too large response headers" with the code of a reset
        }
        if let flow = flowRuntime, curlCode == 0, status >= 100 {
            // A flow step: its own checks, then its captures into the VU's variables.
            error = nil
            if let (cls, reason) = flow.judge(slot: i, target: Int(slot.target), status: status, iteration: slot.iteration) {
                error = cls
                if firstErrors[cls.index] == nil { firstErrors[cls.index] = reason }
            }
        } else if curlCode == 0, let expect = plan.targets[Int(slot.target)].expect {
            if let statuses = expect.statuses {
                error = statuses.contains(status) ? nil : .check
            }
            if error == nil, let bodyChecks, !bodyChecks[i * targetCount + Int(slot.target)].matched {
                error = .check
            }
        }
        let isNew = connects > 0
        var outcome = RequestOutcome(
            dueMicros: slot.dueMicros,
            sentMicros: slot.sentMicros,
            doneMicros: now - startMicros,
            status: status,
            error: error,
            complete: curlCode == 0 && status >= 100,
            bytesIn: Int64(headerBytes) + Int64(downloaded),
            bodyBytesIn: Int64(downloaded),
            bytesOut: Int64(requestBytes) + Int64(uploaded),
            dnsMicros: isNew ? Int64(lookup) : -1,
            connectMicros: isNew && connect > 0 ? Int64(connect - lookup) : -1,
            tlsMicros: isNew && appConnect > 0 ? Int64(appConnect - connect) : -1,
            ttfbMicros: startTransfer > 0 ? Int64(startTransfer - preTransfer) : -1,
            connection: isNew ? .new : (preTransfer > 0 ? .reused : .none)
        )
        outcome.queueMicros = Int64(queue)
        if let error, firstErrors[error.index] == nil {
            // Rare (once per class per thread): the first message of each class, for the summary.
            let buffer = errorBuffers + (i * targetCount + Int(slot.target)) * Int(CURL_ERROR_SIZE)
            let text = buffer.pointee != 0 ? String(cString: buffer) : String(cString: curl_easy_strerror(code))
            if error == .status || error == .check {
                // A complete response: libcurl had nothing to say about it, so no curl code either.
                firstErrors[error.index] = "HTTP \(status)" + (error == .check ? " failed the expect check" : "")
            } else {
                firstErrors[error.index] = "\(text) (curl \(curlCode))"
            }
        }
        switch httpVersion {
        case CURL_HTTP_VERSION_1_0: outcome.httpVersion = 10
        case CURL_HTTP_VERSION_1_1: outcome.httpVersion = 11
        case CURL_HTTP_VERSION_2_0: outcome.httpVersion = 20
        case CURL_HTTP_VERSION_3: outcome.httpVersion = 30
        default: break
        }
        recordOutcome(outcome, target: Int(slot.target), now: now, slot: flowRuntime == nil ? nil : i)
        if let flow = flowRuntime, flow.hasGroups { flow.stepDone(slot: i, failed: error != nil, nowMicros: now - startMicros) }
        return SlotOutcome(complete: outcome.complete, neverReachedServer: error == .connect || error == .dns || error == .tls,
                           transferFailed: code != CURLE_OK, failed: error != nil)
    }
}
