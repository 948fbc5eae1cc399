import XCTest

@testable import BarrageTargetServer

/// The in-tree SHA-256 and HMAC-SHA256 (which sign the demo API's tokens) against published vectors. Pure: no
/// network.
final class SHA256Tests: XCTestCase {
    private func hex(_ text: String) -> String {
        SHA256.hex(SHA256.hash(Array(text.utf8)))
    }

    private func bytes(_ hexText: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hexText.startIndex
        while index < hexText.endIndex {
            let next = hexText.index(index, offsetBy: 2)
            result.append(UInt8(hexText[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    /// FIPS 180-4 examples (NIST CSRC "SHA256.pdf" and "SHA2_Additional.pdf").
    func testNISTVectors() {
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // 448 bits: the padding needs a second block.
        XCTAssertEqual(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
        XCTAssertEqual(
            hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        )
    }

    func testOneMillionAs() {
        XCTAssertEqual(
            SHA256.hex(SHA256.hash(repeatElement(UInt8(ascii: "a"), count: 1_000_000))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
    }

    /// Lengths around the block and padding boundaries (digests from Python's hashlib), hashed in one call and in
    /// uneven pieces.
    func testBlockBoundariesAndIncrementalUpdates() {
        let expected: [Int: String] = [
            55: "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59",
            56: "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562",
            63: "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488",
            64: "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108",
            65: "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781",
            119: "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6",
            120: "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c",
            128: "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5",
        ]
        for (length, digest) in expected {
            let message = (0..<length).map { UInt8($0 % 251) }
            XCTAssertEqual(SHA256.hex(SHA256.hash(message)), digest, "\(length) bytes")
            var hasher = SHA256()
            var offset = 0
            for piece in [1, 7, 30, 64, 100] where offset < length {
                let end = min(length, offset + piece)
                hasher.update(message[offset..<end])
                offset = end
            }
            hasher.update(message[offset...])
            XCTAssertEqual(SHA256.hex(hasher.finalize()), digest, "\(length) bytes in pieces")
        }
    }

    /// RFC 4231 §4.2–4.8, test cases 1–4, 6 and 7 (5 truncates the output, which we do not offer).
    func testRFC4231HMACVectors() {
        let cases: [(key: [UInt8], data: [UInt8], mac: String)] = [
            ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (bytes("0102030405060708090a0b0c0d0e0f10111213141516171819"), [UInt8](repeating: 0xcd, count: 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            ([UInt8](repeating: 0xaa, count: 131),
             Array(("This is a test using a larger than block-size key and a larger than block-size data. The key "
                 + "needs to be hashed before being used by the HMAC algorithm.").utf8),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for (number, testCase) in zip([1, 2, 3, 4, 6, 7], cases) {
            XCTAssertEqual(SHA256.hex(SHA256.hmac(key: testCase.key, message: testCase.data)), testCase.mac, "case \(number)")
        }
    }

    /// One key signs many messages: the precomputed pad states are copied, never consumed.
    func testHMACKeyIsReusable() {
        let signer = SHA256.HMAC(key: Array("Jefe".utf8))
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        XCTAssertEqual(SHA256.hex(signer.authenticationCode(for: Array("what do ya want for nothing?".utf8))), expected)
        XCTAssertNotEqual(SHA256.hex(signer.authenticationCode(for: Array("something else".utf8))), expected)
        XCTAssertEqual(SHA256.hex(signer.authenticationCode(for: Array("what do ya want for nothing?".utf8))), expected)
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(SHA256.constantTimeEquals([UInt8](), [UInt8]()))
        XCTAssertTrue(SHA256.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        XCTAssertFalse(SHA256.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        XCTAssertFalse(SHA256.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
        XCTAssertFalse(SHA256.constantTimeEquals(Array("xbc".utf8), Array("abc".utf8)))
    }
}
