import Foundation

/// The framing of a `text/event-stream` (server-sent events, WHATWG HTML §9.2): what the dashboard's `/events`
/// writes. An event is an optional `event:` line, one `data:` line per line of its data, and a blank line. A line
/// break inside the data (LF, CR or CRLF) would otherwise end the field early, so the data is split there; the browser
/// joins the `data:` lines back with LF.
public enum ServerSentEvents {
    /// One event: `event: NAME` (when named), `data: …` for each line of `data`, then the blank line that dispatches it.
    public static func event(_ name: String?, data: String) -> String {
        var out = ""
        if let name { out += "event: \(name.filter { $0 != "\n" && $0 != "\r" })\n" }
        for line in lines(data) { out += "data: \(line)\n" }
        return out + "\n"
    }

    /// `retry: MS`: how long the browser waits before reconnecting after the stream breaks.
    public static func retry(millis: Int) -> String { "retry: \(millis)\n\n" }

    /// One event whose data is `value` as JSON on a single line (JSON escapes every line break inside strings).
    public static func jsonEvent<T: Encodable>(_ name: String, _ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return event(name, data: data)
    }

    /// A parsed event: its type ("message" when unnamed) and its data lines joined with LF.
    public struct Event: Equatable, Sendable {
        public var name: String
        public var data: String
    }

    /// Reads a stream the way a browser does (comments, `id` and `retry` ignored): for tests.
    public static func parse(_ stream: String) -> [Event] {
        var events: [Event] = []
        var name = ""
        var data: [String] = []
        var sawData = false
        for line in lines(stream) {
            if line.isEmpty {
                if sawData { events.append(Event(name: name.isEmpty ? "message" : name, data: data.joined(separator: "\n"))) }
                name = ""; data = []; sawData = false
                continue
            }
            if line.hasPrefix(":") { continue }
            let field: Substring, value: Substring
            if let colon = line.firstIndex(of: ":") {
                field = line[..<colon]
                var rest = line[line.index(after: colon)...]
                if rest.hasPrefix(" ") { rest = rest.dropFirst() }
                value = rest
            } else {
                field = Substring(line); value = ""
            }
            switch field {
            case "event": name = String(value)
            case "data": data.append(String(value)); sawData = true
            default: break
            }
        }
        return events
    }

    /// Lines split at LF, CR and CRLF, as the event-stream format reads them.
    static func lines(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var afterCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if afterCR { afterCR = false; continue }
                out.append(current); current = ""
            } else if scalar == "\r" {
                out.append(current); current = ""; afterCR = true
                continue
            } else {
                current.unicodeScalars.append(scalar)
            }
            afterCR = false
        }
        out.append(current)
        return out
    }
}
