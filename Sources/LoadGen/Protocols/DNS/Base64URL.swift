/// base64url without padding (RFC 4648 §5), as DNS over HTTPS GET requests carry the query (RFC 8484 §4.1).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The encoded length of `count` bytes.
    static func encodedLength(_ count: Int) -> Int { (count * 4 + 2) / 3 }

    /// Encodes `bytes` at `out` (room for `encodedLength(bytes.count)`); returns the bytes written.
    static func encode(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        var i = 0
        alphabet.withUnsafeBufferPointer { table in
            while i + 3 <= bytes.count {
                let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out[n] = table[Int(v >> 18)]; out[n + 1] = table[Int(v >> 12 & 63)]
                out[n + 2] = table[Int(v >> 6 & 63)]; out[n + 3] = table[Int(v & 63)]
                n += 4
                i += 3
            }
            let left = bytes.count - i
            guard left > 0 else { return }
            let v = UInt32(bytes[i]) << 16 | (left == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out[n] = table[Int(v >> 18)]; out[n + 1] = table[Int(v >> 12 & 63)]
            n += 2
            if left == 2 {
                out[n] = table[Int(v >> 6 & 63)]
                n += 1
            }
        }
        return n
    }

    /// Encodes `bytes` as a string (for building requests once).
    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: encodedLength(bytes.count))
        let n = bytes.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { encode(raw, into: $0.baseAddress!) } }
        return String(decoding: out[0..<n], as: UTF8.self)
    }
}
