import Foundation
import XCTest

@testable import BarrageTargetServer

/// The target server's demo API (`/api/…`): its routes and answers as pure values, without a socket.
/// `DemoAPIServerTests` drives it live.
final class DemoAPITests: XCTestCase {
    /// A fixed key, so tokens are the same on every run.
    private let api = DemoAPI(key: Array("test-key".utf8))

    private func post(_ body: String) -> DemoAPI.Request {
        DemoAPI.Request(method: "POST", body: Array(body.utf8))
    }

    private func bearer(_ user: String) -> String {
        "Bearer " + api.token(for: user)
    }

    private func json(_ response: DemoAPI.Response) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any], response.body)
    }

    // MARK: Routes

    func testAPIRouteParsing() {
        XCTAssertEqual(Route(uri: "/api/login"), .api(.login))
        XCTAssertEqual(Route(uri: "/api/login?x=1"), .api(.login))
        XCTAssertEqual(Route(uri: "/api/items"), .api(.items(count: 20)))
        XCTAssertEqual(Route(uri: "/api/items?n=0"), .api(.items(count: 0)))
        XCTAssertEqual(Route(uri: "/api/items?n=1000"), .api(.items(count: 1000)))
        XCTAssertEqual(Route(uri: "/api/items?n=1001"), .api(.badRequest))
        XCTAssertEqual(Route(uri: "/api/items?n=-1"), .api(.badRequest))
        XCTAssertEqual(Route(uri: "/api/items?n=x"), .api(.badRequest))
        XCTAssertEqual(Route(uri: "/api/items/1"), .api(.item(id: 1)))
        XCTAssertEqual(Route(uri: "/api/items/1000"), .api(.item(id: 1000)))
        XCTAssertEqual(Route(uri: "/api/items/0"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/items/1001"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/items/abc"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/items/99999999999999999999999"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/items/1/x"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/cart"), .api(.cart))
        XCTAssertEqual(Route(uri: "/api/cart/12/pay"), .api(.pay(cartID: 12)))
        XCTAssertEqual(Route(uri: "/api/cart/0/pay"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/cart/x/pay"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/cart/1/refund"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/cart/1"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/session"), .api(.session))
        XCTAssertEqual(Route(uri: "http://shop.test/api/session"), .api(.session))
        XCTAssertEqual(Route(uri: "/api/"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api/nope"), .api(.notFound))
        XCTAssertEqual(Route(uri: "/api"), .notFound)
    }

    // MARK: Login

    func testLoginAcceptsJSONAndFormAndSetsTheSessionCookie() throws {
        for body in [
            #"{"user":"alice","password":"pw-alice"}"#,
            #"  {"password": "pw-alice", "user": "alice", "extra": 1}"#,
            "user=alice&password=pw-alice",
            "password=pw%2Dalice&user=alice&remember=1",
        ] {
            let response = api.respond(to: .login, post(body))
            XCTAssertEqual(response.status, 200, body)
            XCTAssertEqual(response.outcome, .login)
            let object = try json(response)
            let token = api.token(for: "alice")
            XCTAssertEqual(object["ok"] as? Bool, true)
            XCTAssertEqual(object["token"] as? String, token)
            XCTAssertEqual(object["user"] as? String, "alice")
            XCTAssertEqual(response.header("set-cookie"), "session=\(token); Path=/; HttpOnly")
        }
    }

    func testLoginRefusesAWrongPasswordWith401() throws {
        for body in [#"{"user":"alice","password":"pw-bob"}"#, "user=alice&password=", #"{"user":"alice","password":"PW-alice"}"#] {
            let response = api.respond(to: .login, post(body))
            XCTAssertEqual(response.status, 401, body)
            XCTAssertEqual(response.outcome, .loginFailed)
            XCTAssertEqual(response.body, #"{"ok":false,"error":"bad credentials"}"#)
            XCTAssertNil(response.header("set-cookie"))
        }
    }

    func testLoginRefusesMalformedBodiesWith400() throws {
        for body in [
            "",
            "{",
            #"{"user":"alice"}"#,
            #"{"user":5,"password":"pw-5"}"#,
            #"["alice","pw-alice"]"#,
            "user=alice",
            "user=al%ZZice&password=pw-alice",
            #"{"user":"","password":"pw-"}"#,
            #"{"user":"a b","password":"pw-a b"}"#,
            #"{"user":"al\"ice","password":"pw-al\"ice"}"#,
            "user=\(String(repeating: "u", count: 65))&password=pw-\(String(repeating: "u", count: 65))",
        ] {
            let response = api.respond(to: .login, post(body))
            XCTAssertEqual(response.status, 400, body)
            XCTAssertEqual(response.outcome, .badRequest, body)
            XCTAssertEqual(try json(response)["ok"] as? Bool, false, body)
        }
        var tooLarge = post("")
        tooLarge.bodyTooLarge = true
        XCTAssertEqual(api.respond(to: .login, tooLarge).status, 413)
        XCTAssertEqual(api.respond(to: .login, tooLarge).outcome, .badRequest)
    }

    func testAnyWellFormedUserCanLogIn() {
        for user in ["u", "user-0001", "first.last@example.com", "A_Z-09", String(repeating: "x", count: 64)] {
            let response = api.respond(to: .login, post("user=\(user)&password=pw-\(user)"))
            XCTAssertEqual(response.status, 200, user)
            XCTAssertEqual(api.user(fromToken: Substring(api.token(for: user))), user)
        }
    }

    // MARK: Tokens

    func testTokensAreSelfCheckingAndBoundToTheKey() {
        let token = api.token(for: "alice")
        // base64url("alice") "." 64 hex digits of the HMAC.
        XCTAssertTrue(token.hasPrefix("YWxpY2U."), token)
        XCTAssertEqual(token.count, "YWxpY2U.".count + 64)
        XCTAssertEqual(
            String(token.dropFirst("YWxpY2U.".count)),
            SHA256.hex(SHA256.hmac(key: Array("test-key".utf8), message: Array("alice".utf8)))
        )
        XCTAssertEqual(api.user(fromToken: Substring(token)), "alice")
        // Another key, a changed user part, a changed or short MAC: refused.
        XCTAssertNil(DemoAPI(key: Array("other".utf8)).user(fromToken: Substring(token)))
        let bobPart = DemoAPI.base64URL(Array("bob".utf8))
        XCTAssertNil(api.user(fromToken: Substring(bobPart + token.drop { $0 != "." })))
        var flipped = token
        flipped.removeLast()
        XCTAssertNil(api.user(fromToken: Substring(flipped)))
        XCTAssertNil(api.user(fromToken: Substring(flipped + (token.last == "0" ? "1" : "0"))))
        XCTAssertNil(api.user(fromToken: Substring(token.uppercased())))
        for junk in ["", ".", "YWxpY2U", "YWxpY2U.", "!!!." + token.split(separator: ".")[1], "a." + String(repeating: "0", count: 64),
                     String(repeating: "YWxp", count: 100) + token.drop { $0 != "." }] {
            XCTAssertNil(api.user(fromToken: Substring(junk)), junk)
        }
        // A user name whose base64 needs the URL alphabet round-trips.
        XCTAssertEqual(DemoAPI.base64URL([0xfb, 0xff]), "-_8")
        XCTAssertEqual(DemoAPI.base64URLDecoded("-_8"), [0xfb, 0xff])
        XCTAssertNil(DemoAPI.base64URLDecoded("+/8="))
    }

    func testBearerAndCookieHeaderParsing() {
        let token = api.token(for: "alice")
        XCTAssertEqual(api.user(fromAuthorization: "Bearer \(token)"), "alice")
        XCTAssertEqual(api.user(fromAuthorization: "bearer   \(token) "), "alice")
        XCTAssertNil(api.user(fromAuthorization: nil))
        XCTAssertNil(api.user(fromAuthorization: token))
        XCTAssertNil(api.user(fromAuthorization: "Basic \(token)"))
        XCTAssertNil(api.user(fromAuthorization: "Bearer "))
        XCTAssertEqual(api.user(fromCookie: "session=\(token)"), "alice")
        XCTAssertEqual(api.user(fromCookie: "a=1; session=\(token); b=2"), "alice")
        XCTAssertNil(api.user(fromCookie: "sessions=\(token)"))
        XCTAssertNil(api.user(fromCookie: "session=x"))
        XCTAssertNil(api.user(fromCookie: nil))
    }

    // MARK: Items, cart, session

    func testItemsListTheRequestedCount() throws {
        let response = api.respond(to: .items(count: 20), DemoAPI.Request(method: "GET"))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.outcome, .items)
        let items = try XCTUnwrap(try json(response)["items"] as? [[String: Any]])
        XCTAssertEqual(items.count, 20)
        XCTAssertEqual(items.first?["id"] as? Int, 1)
        XCTAssertEqual(items.first?["name"] as? String, "item-1")
        XCTAssertEqual(items.last?["id"] as? Int, 20)
        XCTAssertEqual(api.respond(to: .items(count: 0), DemoAPI.Request(method: "GET")).body, #"{"items":[]}"#)
        let thousand = api.respond(to: .items(count: 1000), DemoAPI.Request(method: "HEAD"))
        XCTAssertEqual((try json(thousand)["items"] as? [Any])?.count, 1000)
    }

    func testItemNeedsAValidBearerToken() throws {
        let ok = api.respond(to: .item(id: 7), DemoAPI.Request(method: "GET", authorization: bearer("alice")))
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.outcome, .item)
        XCTAssertEqual(ok.body, #"{"id":7,"name":"item-7","user":"alice"}"#)
        for authorization in [nil, "Bearer nope", "Bearer " + DemoAPI(key: [1]).token(for: "alice")] {
            let refused = api.respond(to: .item(id: 7), DemoAPI.Request(method: "GET", authorization: authorization))
            XCTAssertEqual(refused.status, 401)
            XCTAssertEqual(refused.outcome, .unauthorized)
            XCTAssertEqual(refused.header("WWW-Authenticate"), "Bearer")
        }
        // A bad ID is 404 from the path alone, token or not.
        XCTAssertEqual(api.respond(to: .notFound, DemoAPI.Request(method: "GET")).status, 404)
        XCTAssertEqual(api.respond(to: .notFound, DemoAPI.Request(method: "GET")).outcome, .notFound)
    }

    func testCartIssuesNumbersAndPayChecksThem() throws {
        let alice = DemoAPI.Request(method: "POST", authorization: bearer("alice"))
        // Nothing issued yet: cart 1 cannot be paid.
        XCTAssertEqual(api.respond(to: .pay(cartID: 1), alice).status, 404)
        for expected in 1...3 {
            let response = api.respond(to: .cart, alice)
            XCTAssertEqual(response.status, 201)
            XCTAssertEqual(response.outcome, .cart)
            XCTAssertEqual(response.header("Location"), "/api/cart/\(expected)")
            XCTAssertEqual(response.body, "{\"id\":\(expected)}")
        }
        let paid = api.respond(to: .pay(cartID: 3), DemoAPI.Request(method: "POST", authorization: bearer("bob")))
        XCTAssertEqual(paid.status, 200)
        XCTAssertEqual(paid.outcome, .pay)
        XCTAssertEqual(paid.body, #"{"paid":3,"user":"bob"}"#)
        let unknown = api.respond(to: .pay(cartID: 4), alice)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.outcome, .notFound)
        // No token: 401 before anything is issued or checked.
        XCTAssertEqual(api.respond(to: .cart, DemoAPI.Request(method: "POST")).status, 401)
        XCTAssertEqual(api.respond(to: .pay(cartID: 4), DemoAPI.Request(method: "POST")).outcome, .unauthorized)
        XCTAssertEqual(api.carts.value, 3)
    }

    func testSessionReadsTheCookie() throws {
        let cookie = "session=" + api.token(for: "carol")
        let response = api.respond(to: .session, DemoAPI.Request(method: "GET", cookie: cookie))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.outcome, .session)
        XCTAssertEqual(response.body, #"{"user":"carol"}"#)
        // A bearer token is not a session.
        let refused = api.respond(to: .session, DemoAPI.Request(method: "GET", authorization: bearer("carol")))
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.outcome, .unauthorized)
    }

    func testWrongMethodsAre405WithAllow() {
        let cases: [(Route.API, String, String)] = [
            (.login, "GET", "POST"),
            (.items(count: 20), "POST", "GET, HEAD"),
            (.item(id: 1), "DELETE", "GET, HEAD"),
            (.cart, "GET", "POST"),
            (.pay(cartID: 1), "PUT", "POST"),
            (.session, "POST", "GET, HEAD"),
        ]
        for (endpoint, method, allow) in cases {
            let response = api.respond(to: endpoint, DemoAPI.Request(method: method, authorization: bearer("alice")))
            XCTAssertEqual(response.status, 405, "\(endpoint)")
            XCTAssertEqual(response.outcome, .methodNotAllowed)
            XCTAssertEqual(response.header("Allow"), allow)
        }
        XCTAssertEqual(api.carts.value, 0, "a refused request issues no cart")
    }

    func testEveryAnswerIsJSON() throws {
        let endpoints: [Route.API] = [.login, .items(count: 2), .item(id: 2), .cart, .pay(cartID: 1), .session, .notFound, .badRequest]
        for endpoint in endpoints {
            for method in ["GET", "POST"] {
                let response = api.respond(to: endpoint, DemoAPI.Request(method: method, authorization: bearer("a")))
                XCTAssertNoThrow(try json(response), "\(endpoint) \(method): \(response.body)")
            }
        }
    }

    func testStatsJSONKeepsRequestsAndAddsAPICounts() throws {
        let counters = ServerCounters()
        counters.requestHeads.add(5)
        counters.record(.login)
        counters.record(.login)
        counters.record(.methodNotAllowed)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(counters.statsJSON.utf8)) as? [String: Any])
        XCTAssertEqual(object["requests"] as? Int, 5)
        let apiCounts = try XCTUnwrap(object["api"] as? [String: Int])
        XCTAssertEqual(Set(apiCounts.keys), Set(DemoAPI.Outcome.allCases.map(\.rawValue)))
        XCTAssertEqual(apiCounts["login"], 2)
        XCTAssertEqual(apiCounts["method_not_allowed"], 1)
        XCTAssertEqual(apiCounts.values.reduce(0, +), 3)
        XCTAssertTrue(counters.statsJSON.hasPrefix(#"{"requests": 5, "api": {"login": 2, "login_failed": 0, "#), counters.statsJSON)
    }
}
