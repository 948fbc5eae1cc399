import Foundation

/// The fields of a HAR 1.2 recording (browsers' "Save all as HAR", mitmproxy's `hardump`) that `import har` reads;
/// everything else in the file is ignored. Optional fields a recorder may leave out are optional here.
public struct HarFile: Decodable, Sendable {
    public var log: Log

    public struct Log: Decodable, Sendable {
        public var pages: [Page]?
        public var entries: [Entry]
    }

    public struct Page: Decodable, Sendable {
        public var id: String
        public var title: String?
    }

    public struct Entry: Decodable, Sendable {
        public var pageref: String?
        public var startedDateTime: String
        /// The whole exchange, milliseconds (HAR's `time`).
        public var time: Double?
        public var request: Request
        public var response: Response?
        /// Chromium's own resource type (`document`, `xhr`, `image`, `font`, `stylesheet`, `script`, …).
        public var _resourceType: String?
    }

    public struct NameValue: Decodable, Sendable {
        public var name: String
        public var value: String?
    }

    public struct Request: Decodable, Sendable {
        public var method: String
        public var url: String
        public var httpVersion: String?
        public var headers: [NameValue]?
        public var postData: PostData?
    }

    public struct PostData: Decodable, Sendable {
        public var mimeType: String?
        public var text: String?
        public var params: [Param]?
    }

    public struct Param: Decodable, Sendable {
        public var name: String
        public var value: String?
        public var fileName: String?
        public var contentType: String?
    }

    public struct Response: Decodable, Sendable {
        public var status: Int?
        public var headers: [NameValue]?
        public var content: Content?
        public var redirectURL: String?
    }

    public struct Content: Decodable, Sendable {
        public var mimeType: String?
        public var text: String?
        public var encoding: String?

        /// The body as text: base64 decoded when `encoding` says so; `nil` when there is none or it is not UTF-8.
        public var decodedText: String? {
            guard let text else { return nil }
            guard encoding?.lowercased() == "base64" else { return text }
            guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else { return nil }
            return String(data: data, encoding: .utf8)
        }
    }

    /// What is wrong with a file, one line without the file's name (the caller names it).
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The recording in `data`: malformed JSON, a JSON document that is not a HAR (no `log.entries`), or a field of
    /// the wrong type is a ``Failure`` naming what is wrong.
    public static func parse(_ data: Data) throws -> HarFile {
        do {
            return try JSONDecoder().decode(HarFile.self, from: data)
        } catch let error as DecodingError {
            switch error {
            case .dataCorrupted(let c) where c.codingPath.isEmpty:
                throw Failure(message: "not JSON (\(Self.reason(c)))")
            case .keyNotFound(let key, let c) where c.codingPath.count <= 1 && ["log", "entries"].contains(key.stringValue):
                throw Failure(message: "not a HAR file (no log.entries)")
            case .typeMismatch(_, let c) where c.codingPath.count <= 1:
                throw Failure(message: "not a HAR file (no log.entries)")
            case .keyNotFound(let key, let c):
                throw Failure(message: "\(path(c.codingPath + [key])): missing")
            case .typeMismatch(let type, let c), .valueNotFound(let type, let c):
                throw Failure(message: "\(path(c.codingPath)): expected \(type == String.self ? "a string" : type == Double.self || type == Int.self ? "a number" : "\(type)")")
            case .dataCorrupted(let c):
                throw Failure(message: "\(path(c.codingPath)): \(Self.reason(c))")
            @unknown default:
                throw Failure(message: "not a HAR file")
            }
        }
    }

    private static func reason(_ c: DecodingError.Context) -> String {
        let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return (underlying ?? c.debugDescription).split(separator: "\n").first.map(String.init) ?? "malformed"
    }

    /// `log.entries[3].request.url` from a coding path.
    static func path(_ keys: [CodingKey]) -> String {
        var out = ""
        for k in keys {
            if let i = k.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + k.stringValue }
        }
        return out
    }
}

/// HAR's `startedDateTime` (ISO 8601: `2026-11-29T16:30:21.123456+00:00`, `…Z`) as microseconds since 1970.
enum HarTime {
    static func micros(_ text: String) -> Int64? {
        let s = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= s.count else { return nil }
            var v = 0
            for b in s[from..<(from + count)] {
                guard b >= 48 && b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            return v
        }
        guard s.count >= 19, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"), s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: " "),
              s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var fractionMicros = 0
        if i < s.count, s[i] == UInt8(ascii: ".") || s[i] == UInt8(ascii: ",") {
            i += 1
            var digits = 0
            while i < s.count, s[i] >= 48 && s[i] <= 57 {
                if digits < 6 { fractionMicros = fractionMicros * 10 + Int(s[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in 0..<max(0, 6 - digits) { fractionMicros *= 10 }
        }
        var offsetSeconds = 0
        if i < s.count {
            if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
                i += 1
            } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                guard let oh = number(i + 1, 2) else { return nil }
                var j = i + 3
                if j < s.count, s[j] == UInt8(ascii: ":") { j += 1 }
                guard let om = number(j, 2) else { return nil }
                offsetSeconds = sign * (oh * 3600 + om * 60)
                i = j + 2
            } else {
                return nil
            }
        }
        guard i == s.count else { return nil }
        // Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return seconds * 1_000_000 + Int64(fractionMicros)
    }
}
