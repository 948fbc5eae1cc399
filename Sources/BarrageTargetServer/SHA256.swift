/// SHA-256 (FIPS 180-4 §6.2) and HMAC-SHA256 (RFC 2104), written here so the target server's demo API can sign its
/// tokens without pulling in swift-crypto (which compiles BoringSSL: minutes on a small machine).
///
/// Incremental: ``update(_:)`` any number of times, then ``finalize()``. A value type; copying it forks the state.
/// Not hardened against side channels beyond what the demo needs (token checks compare with
/// ``constantTimeEquals(_:_:)``).
struct SHA256: Sendable {
    /// Bytes per compressed block.
    static let blockByteCount = 64
    /// Bytes in a digest.
    static let digestByteCount = 32

    /// The first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 §4.2.2).
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// The initial hash value H(0) (FIPS 180-4 §5.3.3).
    private var state: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    /// Bytes of a block not yet compressed (fewer than 64).
    private var pending: [UInt8] = []
    /// Message bytes compressed so far (whole blocks; `pending` holds the rest).
    private var messageByteCount: UInt64 = 0

    init() {
        pending.reserveCapacity(Self.blockByteCount)
    }

    /// The digest of `message` in one call.
    static func hash<Bytes: Sequence>(_ message: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(message)
        return hasher.finalize()
    }

    /// Adds `bytes` to the message.
    mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            pending.append(byte)
            if pending.count == Self.blockByteCount {
                compressPending()
            }
        }
    }

    /// Pads the message (a 1 bit, zeros, the 64-bit bit length) and returns the 32-byte digest.
    mutating func finalize() -> [UInt8] {
        let bitLength = (messageByteCount &+ UInt64(pending.count)) &* 8
        pending.append(0x80)
        if pending.count > Self.blockByteCount - 8 {
            pending.append(contentsOf: repeatElement(0, count: Self.blockByteCount - pending.count))
            compressPending()
        }
        pending.append(contentsOf: repeatElement(0, count: Self.blockByteCount - 8 - pending.count))
        for shift in stride(from: 56, through: 0, by: -8) {
            pending.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        compressPending()
        var digest: [UInt8] = []
        digest.reserveCapacity(Self.digestByteCount)
        for word in state {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    /// Compresses the 64 bytes in `pending` into `state` (FIPS 180-4 §6.2.2) and empties `pending`.
    private mutating func compressPending() {
        precondition(pending.count == Self.blockByteCount)
        messageByteCount &+= UInt64(Self.blockByteCount)
        var schedule = [UInt32](repeating: 0, count: 64)
        for t in 0..<16 {
            schedule[t] = UInt32(pending[4 * t]) << 24 | UInt32(pending[4 * t + 1]) << 16
                | UInt32(pending[4 * t + 2]) << 8 | UInt32(pending[4 * t + 3])
        }
        for t in 16..<64 {
            let w15 = schedule[t - 15]
            let w2 = schedule[t - 2]
            let sigma0 = Self.rotateRight(w15, 7) ^ Self.rotateRight(w15, 18) ^ (w15 >> 3)
            let sigma1 = Self.rotateRight(w2, 17) ^ Self.rotateRight(w2, 19) ^ (w2 >> 10)
            schedule[t] = sigma1 &+ schedule[t - 7] &+ sigma0 &+ schedule[t - 16]
        }
        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        for t in 0..<64 {
            let bigSigma1 = Self.rotateRight(e, 6) ^ Self.rotateRight(e, 11) ^ Self.rotateRight(e, 25)
            let choose = (e & f) ^ (~e & g)
            let t1 = h &+ bigSigma1 &+ choose &+ Self.roundConstants[t] &+ schedule[t]
            let bigSigma0 = Self.rotateRight(a, 2) ^ Self.rotateRight(a, 13) ^ Self.rotateRight(a, 22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            let t2 = bigSigma0 &+ majority
            h = g
            g = f
            f = e
            e = d &+ t1
            d = c
            c = b
            b = a
            a = t1 &+ t2
        }
        state[0] &+= a
        state[1] &+= b
        state[2] &+= c
        state[3] &+= d
        state[4] &+= e
        state[5] &+= f
        state[6] &+= g
        state[7] &+= h
        pending.removeAll(keepingCapacity: true)
    }

    private static func rotateRight(_ word: UInt32, _ count: UInt32) -> UInt32 {
        (word >> count) | (word << (32 - count))
    }

    /// HMAC-SHA256 of `message` under `key` (RFC 2104); see ``HMAC``.
    static func hmac<Key: Collection, Message: Sequence>(key: Key, message: Message) -> [UInt8]
    where Key.Element == UInt8, Message.Element == UInt8 {
        HMAC(key: key).authenticationCode(for: message)
    }

    /// HMAC-SHA256 under one key (RFC 2104): `H((K' ^ opad) ‖ H((K' ^ ipad) ‖ message))`, where `K'` is the key,
    /// hashed first when longer than a block, zero-padded to 64 bytes. The two padded key blocks are compressed once
    /// here, so each code costs two compressions fewer than starting from scratch (a server signs with one key).
    struct HMAC: Sendable {
        /// The state after the `K' ^ ipad` block.
        private let inner: SHA256
        /// The state after the `K' ^ opad` block.
        private let outer: SHA256

        init<Key: Collection>(key: Key) where Key.Element == UInt8 {
            var blockKey = key.count > SHA256.blockByteCount ? SHA256.hash(key) : Array(key)
            blockKey.append(contentsOf: repeatElement(0, count: SHA256.blockByteCount - blockKey.count))
            var inner = SHA256()
            inner.update(blockKey.map { $0 ^ 0x36 })
            var outer = SHA256()
            outer.update(blockKey.map { $0 ^ 0x5c })
            self.inner = inner
            self.outer = outer
        }

        /// The 32-byte code of `message`.
        func authenticationCode<Message: Sequence>(for message: Message) -> [UInt8] where Message.Element == UInt8 {
            var inner = self.inner
            inner.update(message)
            var outer = self.outer
            outer.update(inner.finalize())
            return outer.finalize()
        }
    }

    /// Whether `a` and `b` hold the same bytes, in time that depends only on their lengths (not on where they first
    /// differ), so a token check does not tell an attacker how much of a guessed MAC was right.
    static func constantTimeEquals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) {
            difference |= x ^ y
        }
        return difference == 0
    }

    /// `bytes` as lower-case hexadecimal.
    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
