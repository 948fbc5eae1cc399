import Foundation

/// The target server's small stateful demo API under `/api/`, for flows (log in, list, fetch with a token, add to a
/// cart, pay) in examples and tests.
///
/// | method, path | request | answer |
/// | --- | --- | --- |
/// | `POST /api/login` | JSON `{"user":U,"password":P}` or form `user=U&password=P` | 200 `{"ok":true,"token":T,"user":U}` and `Set-Cookie: session=T; Path=/; HttpOnly`; 401 `{"ok":false,"error":"bad credentials"}`; 400 malformed |
/// | `GET /api/items[?n=N]` | — | 200 `{"items":[{"id":1,"name":"item-1"},…]}`: N items (20 by default, at most 1000) |
/// | `GET /api/items/ID` | `Authorization: Bearer T` | 200 `{"id":ID,"name":"item-ID","user":U}`; 401; 404 for an ID outside 1...1000 |
/// | `POST /api/cart` | `Authorization: Bearer T` | 201 `{"id":N}` with `Location: /api/cart/N`; 401 |
/// | `POST /api/cart/N/pay` | `Authorization: Bearer T` | 200 `{"paid":N,"user":U}`; 401; 404 when cart N was never issued |
/// | `GET /api/session` | `Cookie: session=T` | 200 `{"user":U}`; 401 |
///
/// Any user works: the password is `pw-` followed by the user name, so data files can hold thousands of users. A
/// user name is 1 to ``maxUserBytes`` characters from `A-Z a-z 0-9 . _ @ -`.
///
/// Tokens are self-checking — `base64url(user) "." hex(HMAC-SHA256(key, user))` — so the server keeps nothing per
/// user or session and its memory stays flat under load. The key is random per ``TargetServer`` start: a token works
/// only against the server process that issued it. Cart numbers come from one counter shared by every user (carts are
/// not tied to users: that would need memory per cart).
///
/// Every `/api/` request ends in exactly one ``Outcome``, which the server counts and `/stats` reports under `api`.
/// Errors are JSON `{"ok":false,"error":"…"}`. A wrong method is 405 with `Allow`; a bearer route without a valid token
/// is 401 with `WWW-Authenticate: Bearer`. Checks run in this order: path (404/400), method (405), body (400/413),
/// token (401), cart number (404).
///
/// A pure value apart from the cart counter: tests call ``respond(to:_:)`` without a socket.
struct DemoAPI: Sendable {
    /// Items listed by `/api/items` without `n`.
    static let defaultItemCount = 20
    /// The largest `n` of `/api/items`, and the largest item ID.
    static let maxItemCount = 1000
    /// The longest login body accepted; a longer one is 413.
    static let maxBodyBytes = 64 * 1024
    /// The longest user name accepted.
    static let maxUserBytes = 64

    /// What a request to the API brings besides its path.
    struct Request: Sendable {
        /// The method, upper case (`GET`, `POST`).
        var method: String
        /// The `Authorization` header, if any.
        var authorization: String? = nil
        /// The `Cookie` header(s), joined with `; `, if any.
        var cookie: String? = nil
        /// The body (gathered for `/api/login` only).
        var body: [UInt8] = []
        /// Whether the body passed ``DemoAPI/maxBodyBytes`` (and was dropped).
        var bodyTooLarge = false
    }

    /// What the API answers: JSON `body` with `status` and extra `headers`, and the outcome to count.
    struct Response: Equatable, Sendable {
        var status: Int
        /// Headers besides `Content-Type` (always `application/json`) and `Content-Length`.
        var headers: [Header] = []
        var body: String
        var outcome: Outcome

        /// One response header.
        struct Header: Equatable, Sendable {
            var name: String
            var value: String
        }

        /// The first value of header `name` (case-insensitive).
        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// How an API request ended; each has its own count in `/stats` (`api.NAME`, NAME being the raw value).
    enum Outcome: String, CaseIterable, Sendable {
        /// `POST /api/login` answered 200.
        case login
        /// `POST /api/login` answered 401: wrong password.
        case loginFailed = "login_failed"
        /// `GET /api/items` answered 200.
        case items
        /// `GET /api/items/ID` answered 200.
        case item
        /// `POST /api/cart` answered 201.
        case cart
        /// `POST /api/cart/N/pay` answered 200.
        case pay
        /// `GET /api/session` answered 200.
        case session
        /// A bearer route without a valid token, or `/api/session` without a valid session cookie: 401.
        case unauthorized
        /// A malformed login body or query: 400 (or 413 for a body over ``DemoAPI/maxBodyBytes``).
        case badRequest = "bad_request"
        /// An unknown `/api/` path, item or cart: 404.
        case notFound = "not_found"
        /// A method the route does not take: 405.
        case methodNotAllowed = "method_not_allowed"

        /// Its position in ``allCases`` (an index into a counter array).
        var index: Int { Self.allCases.firstIndex(of: self)! }
    }

    /// Signs tokens with the key given to ``init(key:carts:)``.
    private let signer: SHA256.HMAC
    /// Carts issued so far; the next cart is `value + 1`.
    let carts: AtomicCounter

    /// The longest token read: a 64-byte user's 86 base64url characters, the dot and 64 hex digits, with room.
    static let maxTokenBytes = 256

    init(key: [UInt8], carts: AtomicCounter = AtomicCounter()) {
        self.signer = SHA256.HMAC(key: key)
        self.carts = carts
    }

    /// 32 random bytes from the system generator: a fresh key per server start.
    static func randomKey() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    // MARK: Tokens

    /// The token for `user`: `base64url(user) "." hex(HMAC-SHA256(key, user))`.
    func token(for user: String) -> String {
        Self.base64URL(Array(user.utf8)) + "." + SHA256.hex(signer.authenticationCode(for: user.utf8))
    }

    /// The user a token was issued to, or `nil` when it is malformed or its MAC is wrong (compared in constant time).
    func user(fromToken token: Substring) -> String? {
        guard token.utf8.count <= Self.maxTokenBytes, let dot = token.lastIndex(of: "."),
            let userBytes = Self.base64URLDecoded(token[..<dot]),
            Self.isValidUser(userBytes)
        else { return nil }
        let expected = SHA256.hex(signer.authenticationCode(for: userBytes)).utf8
        guard SHA256.constantTimeEquals(expected, token[token.index(after: dot)...].utf8) else { return nil }
        return String(decoding: userBytes, as: UTF8.self)
    }

    /// The user of a valid `Authorization: Bearer TOKEN` header.
    func user(fromAuthorization header: String?) -> String? {
        guard let header = header?.trimmingCharacters(in: .whitespaces),
            header.count > 7, header.prefix(7).lowercased() == "bearer "
        else { return nil }
        return user(fromToken: Substring(header.dropFirst(7).trimmingCharacters(in: .whitespaces)))
    }

    /// The user of a valid `session` cookie in a `Cookie` header (`a=1; session=TOKEN`).
    func user(fromCookie header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let nameValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard nameValue.count == 2, nameValue[0].trimmingCharacters(in: .whitespaces) == "session" else { continue }
            return user(fromToken: Substring(nameValue[1].trimmingCharacters(in: .whitespaces)))
        }
        return nil
    }

    // MARK: Answers

    /// Answers `request` to `endpoint`. Issues a cart number for a successful `POST /api/cart` (the only state).
    func respond(to endpoint: Route.API, _ request: Request) -> Response {
        switch endpoint {
        case .notFound:
            return Self.error(404, "not found", .notFound)
        case .badRequest:
            return Self.error(400, "n must be a whole number from 0 to \(Self.maxItemCount)", .badRequest)
        case .login:
            guard request.method == "POST" else { return Self.methodNotAllowed(allow: "POST") }
            return login(request)
        case .items(let count):
            guard Self.isRead(request.method) else { return Self.methodNotAllowed(allow: "GET, HEAD") }
            let items = (0..<count).map { "{\"id\":\($0 + 1),\"name\":\"item-\($0 + 1)\"}" }
            return Response(status: 200, body: "{\"items\":[" + items.joined(separator: ",") + "]}", outcome: .items)
        case .item(let id):
            guard Self.isRead(request.method) else { return Self.methodNotAllowed(allow: "GET, HEAD") }
            guard let user = user(fromAuthorization: request.authorization) else { return Self.unauthorizedBearer }
            return Response(status: 200, body: "{\"id\":\(id),\"name\":\"item-\(id)\",\"user\":\"\(user)\"}", outcome: .item)
        case .cart:
            guard request.method == "POST" else { return Self.methodNotAllowed(allow: "POST") }
            guard user(fromAuthorization: request.authorization) != nil else { return Self.unauthorizedBearer }
            let id = carts.next() + 1
            return Response(
                status: 201,
                headers: [.init(name: "Location", value: "/api/cart/\(id)")],
                body: "{\"id\":\(id)}",
                outcome: .cart
            )
        case .pay(let cartID):
            guard request.method == "POST" else { return Self.methodNotAllowed(allow: "POST") }
            guard let user = user(fromAuthorization: request.authorization) else { return Self.unauthorizedBearer }
            guard cartID <= carts.value else { return Self.error(404, "no cart \(cartID)", .notFound) }
            return Response(status: 200, body: "{\"paid\":\(cartID),\"user\":\"\(user)\"}", outcome: .pay)
        case .session:
            guard Self.isRead(request.method) else { return Self.methodNotAllowed(allow: "GET, HEAD") }
            guard let user = user(fromCookie: request.cookie) else {
                return Self.error(401, "missing or invalid session cookie", .unauthorized)
            }
            return Response(status: 200, body: "{\"user\":\"\(user)\"}", outcome: .session)
        }
    }

    private func login(_ request: Request) -> Response {
        if request.bodyTooLarge {
            return Self.error(413, "body over \(Self.maxBodyBytes) bytes", .badRequest)
        }
        let credentials: Credentials
        switch Credentials.parse(request.body) {
        case .success(let parsed): credentials = parsed
        case .failure(let problem): return Self.error(400, problem.message, .badRequest)
        }
        guard Self.isValidUser(Array(credentials.user.utf8)) else {
            return Self.error(
                400,
                "user must be 1 to \(Self.maxUserBytes) characters from A-Z a-z 0-9 . _ @ -",
                .badRequest
            )
        }
        guard SHA256.constantTimeEquals(Array(credentials.password.utf8), Array(("pw-" + credentials.user).utf8)) else {
            return Self.error(401, "bad credentials", .loginFailed)
        }
        let token = token(for: credentials.user)
        return Response(
            status: 200,
            headers: [.init(name: "Set-Cookie", value: "session=\(token); Path=/; HttpOnly")],
            body: "{\"ok\":true,\"token\":\"\(token)\",\"user\":\"\(credentials.user)\"}",
            outcome: .login
        )
    }

    private static func isRead(_ method: String) -> Bool {
        method == "GET" || method == "HEAD"
    }

    private static let unauthorizedBearer = Response(
        status: 401,
        headers: [.init(name: "WWW-Authenticate", value: "Bearer")],
        body: "{\"ok\":false,\"error\":\"missing or invalid bearer token\"}",
        outcome: .unauthorized
    )

    private static func methodNotAllowed(allow: String) -> Response {
        Response(
            status: 405,
            headers: [.init(name: "Allow", value: allow)],
            body: "{\"ok\":false,\"error\":\"method not allowed\"}",
            outcome: .methodNotAllowed
        )
    }

    /// An error answer; `message` holds no `"` or `\` (every message is written here).
    private static func error(_ status: Int, _ message: String, _ outcome: Outcome) -> Response {
        Response(status: status, body: "{\"ok\":false,\"error\":\"\(message)\"}", outcome: outcome)
    }

    // MARK: Users and encodings

    /// 1 to ``maxUserBytes`` bytes from `A-Z a-z 0-9 . _ @ -` (so a user name needs no escaping in JSON or cookies).
    static func isValidUser(_ bytes: [UInt8]) -> Bool {
        (1...maxUserBytes).contains(bytes.count) && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"),
                UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }

    /// Base64 with the URL alphabet (`-` and `_`) and no padding (RFC 4648 §5).
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.last == "=" { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    /// The bytes of unpadded base64url text, or `nil` when it is not that.
    static func base64URLDecoded(_ text: Substring) -> [UInt8]? {
        guard !text.contains("+"), !text.contains("/"), !text.contains("="), text.count % 4 != 1 else { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
