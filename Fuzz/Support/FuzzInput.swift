/// The fuzzer's bytes read front to back: choices (a byte, a number, a field) first, the rest as the payload.
struct FuzzInput {
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = UnsafeBufferPointer(start: size > 0 ? data : nil, count: size)
    }

    var isEmpty: Bool { position >= bytes.count }

    /// The next byte, or 0 past the end.
    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next 8 bytes as a little-endian number (missing bytes read as 0).
    mutating func uint64() -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(byte()) << UInt64(shift) }
        return value
    }

    /// The bytes up to the next `separator` (dropped) or the end.
    mutating func field(separator: UInt8 = 0) -> [UInt8] {
        let start = position
        while position < bytes.count, bytes[position] != separator { position += 1 }
        defer { if position < bytes.count { position += 1 } }
        return Array(bytes[start..<position])
    }

    /// `field` as text (invalid UTF-8 repaired, as `String(decoding:)` does for files and arguments).
    mutating func text(separator: UInt8 = 0) -> String {
        String(decoding: field(separator: separator), as: UTF8.self)
    }

    /// Everything not read yet.
    mutating func rest() -> UnsafeBufferPointer<UInt8> {
        defer { position = bytes.count }
        return UnsafeBufferPointer(rebasing: bytes[Swift.min(position, bytes.count)...])
    }
}

/// A broken invariant: a crash libFuzzer reports, with the reason in its log.
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz invariant: \(message())") }
}
