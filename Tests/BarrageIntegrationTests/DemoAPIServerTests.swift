import BarrageCore
import BarrageTestSupport
import Foundation
import XCTest

@testable import BarrageTargetServer

/// The demo API (`/api/…`) live on the embedded server over loopback: a whole journey on one connection, exact
/// `/stats` accounting, and `barrage run` against its routes (bounded with `-n`).
final class DemoAPIServerTests: XCTestCase {
    private var server: TargetServer!
    private var tmp: URL!

    override func setUpWithError() throws {
        server = try TargetServer.start(host: "127.0.0.1", port: 0, threads: 2)
        tmp = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        server = nil
        try? FileManager.default.removeItem(at: tmp)
    }

    private func connect() throws -> BlockingHTTPConnection {
        try BlockingHTTPConnection(port: server.port)
    }

    private func json(_ response: HTTPTestResponse) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], response.bodyText)
    }

    /// `/stats` as the server answers it: the request count and the `api` counts.
    private func stats(_ connection: BlockingHTTPConnection) throws -> (requests: Int, api: [String: Int]) {
        let object = try json(try connection.request(path: "/stats"))
        let api = try XCTUnwrap(object["api"] as? [String: Any]).mapValues { ($0 as? Int) ?? -1 }
        return (try XCTUnwrap(object["requests"] as? Int), api)
    }

    func testAJourneyOnOneConnectionIsCountedExactly() throws {
        let connection = try connect()
        let login = try connection.request(
            method: "POST",
            path: "/api/login",
            headers: [("Content-Type", "application/json")],
            body: Array(#"{"user":"user-0042","password":"pw-user-0042"}"#.utf8)
        )
        XCTAssertEqual(login.status, 200)
        XCTAssertEqual(login.headers["content-type"], "application/json")
        let token = try XCTUnwrap(try json(login)["token"] as? String)
        XCTAssertEqual(login.headers["set-cookie"], "session=\(token); Path=/; HttpOnly")
        let auth = [("Authorization", "Bearer \(token)")]

        let items = try connection.request(path: "/api/items?n=5")
        XCTAssertEqual(items.status, 200)
        XCTAssertEqual((try json(items)["items"] as? [Any])?.count, 5)

        let item = try connection.request(path: "/api/items/5", headers: auth)
        XCTAssertEqual(item.status, 200)
        XCTAssertEqual(item.bodyText, #"{"id":5,"name":"item-5","user":"user-0042"}"#)

        let cart = try connection.request(method: "POST", path: "/api/cart", headers: auth)
        XCTAssertEqual(cart.status, 201)
        let location = try XCTUnwrap(cart.headers["location"])
        let cartID = try XCTUnwrap(try json(cart)["id"] as? Int)
        XCTAssertEqual(location, "/api/cart/\(cartID)")

        let pay = try connection.request(method: "POST", path: location + "/pay", headers: auth)
        XCTAssertEqual(pay.status, 200)
        XCTAssertEqual(pay.bodyText, "{\"paid\":\(cartID),\"user\":\"user-0042\"}")

        let session = try connection.request(path: "/api/session", headers: [("Cookie", "theme=dark; session=\(token)")])
        XCTAssertEqual(session.status, 200)
        XCTAssertEqual(session.bodyText, #"{"user":"user-0042"}"#)

        // Refusals keep the connection usable.
        XCTAssertEqual(try connection.request(path: "/api/items/5").status, 401)
        XCTAssertEqual(try connection.request(path: "/api/items/5", headers: [("Authorization", "Bearer x.y")]).status, 401)
        XCTAssertEqual(try connection.request(path: "/api/session").status, 401)
        XCTAssertEqual(try connection.request(method: "POST", path: "/api/login", body: Array("user=a&password=b".utf8)).status, 401)
        XCTAssertEqual(try connection.request(method: "POST", path: "/api/login", body: Array("{".utf8)).status, 400)
        XCTAssertEqual(try connection.request(path: "/api/items/0", headers: auth).status, 404)
        XCTAssertEqual(try connection.request(method: "POST", path: "/api/cart/999999/pay", headers: auth).status, 404)
        XCTAssertEqual(try connection.request(path: "/api/items?n=5000").status, 400)
        let wrongMethod = try connection.request(method: "DELETE", path: "/api/cart", headers: auth)
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.headers["allow"], "POST")
        let head = try connection.request(method: "HEAD", path: "/api/items", expectBody: false)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body.count, 0)

        let counted = try stats(connection)
        XCTAssertEqual(counted.requests, 17, "16 API requests and this /stats")
        XCTAssertEqual(counted.api, [
            "login": 1, "login_failed": 1, "items": 2, "item": 1, "cart": 1, "pay": 1, "session": 1,
            "unauthorized": 3, "bad_request": 2, "not_found": 2, "method_not_allowed": 1,
        ])
        XCTAssertEqual(counted.api.values.reduce(0, +), 16, "each /api request counted once")
        XCTAssertEqual(server.apiOutcomeCounts[.unauthorized], 3)
        XCTAssertEqual(try connection.request(path: "/").bodyText, "ok")

        server.resetCount()
        let reset = try stats(connection)
        XCTAssertEqual(reset.requests, 1)
        XCTAssertTrue(reset.api.values.allSatisfy { $0 == 0 }, "\(reset.api)")
        // Cart numbers keep counting after a reset.
        let next = try connection.request(method: "POST", path: "/api/cart", headers: auth)
        XCTAssertEqual(next.headers["location"], "/api/cart/\(cartID + 1)")
    }

    func testALoginBodyOverTheLimitIs413AndTheConnectionStays() throws {
        let connection = try connect()
        let body = Array("user=alice&password=pw-alice&pad=".utf8) + [UInt8](repeating: 0x61, count: DemoAPI.maxBodyBytes)
        let response = try connection.request(method: "POST", path: "/api/login", body: body)
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(try json(response)["ok"] as? Bool, false)
        let ok = try connection.request(method: "POST", path: "/api/login", body: Array("user=alice&password=pw-alice".utf8))
        XCTAssertEqual(ok.status, 200)
    }

    func testTokensFromAnotherServerAreRefused() throws {
        let other = try TargetServer.start(host: "127.0.0.1", port: 0, threads: 1)
        defer { try? other.shutdown() }
        let foreign = other.demoAPI.token(for: "alice")
        XCTAssertNotEqual(foreign, server.demoAPI.token(for: "alice"), "a fresh key per server")
        let response = try connect().request(path: "/api/items/1", headers: [("Authorization", "Bearer \(foreign)")])
        XCTAssertEqual(response.status, 401)
    }

    // MARK: barrage run against the API

    /// Runs `barrage run ARGS --json FILE` (bounded by `-n` in ARGS) and returns the exit status and the result.
    private func run(_ arguments: [String]) throws -> (status: Int32, result: RunResult?, stderr: String) {
        let path = tmp.appendingPathComponent("\(UUID().uuidString).json").path
        let outcome = try BarrageBinary.run(["run"] + arguments + ["--quiet", "--json", path], timeout: 60)
        let result = try? RunResult.decode(Data(contentsOf: URL(fileURLWithPath: path)))
        return (outcome.status, result, outcome.stderr)
    }

    func testBarrageRunCountsMatchTheAPICounts() throws {
        let base = server.baseURL
        let items = try run([base + "/api/items", "-c", "4", "-n", "50"])
        XCTAssertEqual(items.status, 0, items.stderr)
        XCTAssertEqual(items.result?.requests.ok, 50)

        let login = try run([
            base + "/api/login", "-c", "2", "-n", "20", "-m", "POST",
            "-H", "Content-Type: application/json", "--body", #"{"user":"alice","password":"pw-alice"}"#,
        ])
        XCTAssertEqual(login.status, 0, login.stderr)
        XCTAssertEqual(login.result?.requests.ok, 20)

        let token = server.demoAPI.token(for: "alice")
        let item = try run([base + "/api/items/3", "-c", "2", "-n", "30", "-H", "Authorization: Bearer \(token)"])
        XCTAssertEqual(item.status, 0, item.stderr)
        XCTAssertEqual(item.result?.requests.ok, 30)

        let cart = try run([base + "/api/cart", "-c", "2", "-n", "10", "-m", "POST", "-H", "Authorization: Bearer \(token)"])
        XCTAssertEqual(cart.status, 0, cart.stderr)
        XCTAssertEqual(cart.result?.requests.ok, 10)

        // A forged token: every request is a 401 (a `status` failure) and the run measured nothing ok (exit 1).
        let forged = try run([base + "/api/items/3", "-n", "5", "-H", "Authorization: Bearer YWxpY2U.00"])
        XCTAssertEqual(forged.status, 1, forged.stderr)
        XCTAssertEqual(forged.result?.requests.failed, 5)
        XCTAssertEqual(forged.result?.status_codes["401"], 5)

        // libcurl may resend a request that met a dead reused connection (README, "Faults and bad input"), but on a
        // healthy loopback server each run's requests are exactly the server's.
        let counts = server.apiOutcomeCounts
        XCTAssertEqual(counts[.items], 50)
        XCTAssertEqual(counts[.login], 20)
        XCTAssertEqual(counts[.item], 30)
        XCTAssertEqual(counts[.cart], 10)
        XCTAssertEqual(counts[.unauthorized], 5)
        XCTAssertEqual(server.demoAPI.carts.value, 10)
        XCTAssertEqual(counts.values.reduce(0, +), server.requestsReceived)
    }
}
