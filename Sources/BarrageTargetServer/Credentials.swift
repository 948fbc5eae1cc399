import Foundation

/// A login body's user and password.
struct Credentials: Equatable, Sendable, Decodable {
    var user: String
    var password: String

    /// Why a login body was refused (the 400 answer's message).
    struct Problem: Error, Equatable {
        var message: String
    }

    /// Reads JSON `{"user":…,"password":…}` when the body's first non-blank byte is `{`, form-urlencoded
    /// `user=…&password=…` otherwise, whatever the `Content-Type` (a load generator's `--body` is often sent as a
    /// form). Other JSON keys and form fields are ignored.
    static func parse(_ body: [UInt8]) -> Result<Credentials, Problem> {
        let firstByte = body.first { ![UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")].contains($0) }
        if firstByte == UInt8(ascii: "{") {
            guard let credentials = try? JSONDecoder().decode(Credentials.self, from: Data(body)) else {
                return .failure(Problem(message: "body must be a JSON object with string fields user and password"))
            }
            return .success(credentials)
        }
        guard let text = String(bytes: body, encoding: .utf8) else {
            return .failure(Problem(message: "body is not UTF-8"))
        }
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let nameValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = formDecoded(nameValue[0]), let value = formDecoded(nameValue.count == 2 ? nameValue[1] : "")
            else {
                return .failure(Problem(message: "bad percent-encoding in form body"))
            }
            fields[name] = value
        }
        guard let user = fields["user"], let password = fields["password"] else {
            return .failure(Problem(message: "body needs user and password (JSON or user=..&password=..)"))
        }
        return .success(Credentials(user: user, password: password))
    }

    /// A form field name or value: `+` is a space, `%XX` a byte.
    private static func formDecoded(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
