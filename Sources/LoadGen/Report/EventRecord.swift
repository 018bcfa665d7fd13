/// Writes one JSON object per line into a byte buffer, field by field, with no allocation: the per-event
/// ground-truth log. Integers are formatted by hand; strings are escaped.
struct EventRecord {
    private let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    private(set) var count = 0
    private var firstField = true

    init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    mutating func reset() { count = 0 }

    /// Room left; a record needs at most `maxRecordBytes`.
    var room: Int { capacity - count }
    static let maxRecordBytes = 2_048

    @inline(__always)
    private mutating func byte(_ b: UInt8) {
        if count < capacity { base[count] = b; count += 1 }
    }

    private mutating func ascii(_ s: StaticString) {
        s.withUTF8Buffer { for b in $0 { byte(b) } }
    }

    mutating func begin() {
        byte(UInt8(ascii: "{"))
        firstField = true
    }

    mutating func end() {
        byte(UInt8(ascii: "}"))
        byte(UInt8(ascii: "\n"))
    }

    private mutating func key(_ name: StaticString) {
        if !firstField { byte(UInt8(ascii: ",")) }
        firstField = false
        byte(UInt8(ascii: "\""))
        ascii(name)
        byte(UInt8(ascii: "\""))
        byte(UInt8(ascii: ":"))
    }

    mutating func field(_ name: StaticString, _ value: UInt64) {
        key(name)
        digits(value)
    }

    mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        if value < 0 { byte(UInt8(ascii: "-")) }
        digits(value.magnitude.toUInt64)
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        ascii(value ? "true" : "false")
    }

    /// JSON null.
    mutating func nullField(_ name: StaticString) {
        key(name)
        ascii("null")
    }

    mutating func field(_ name: StaticString, _ value: StaticString) {
        key(name)
        byte(UInt8(ascii: "\""))
        ascii(value)
        byte(UInt8(ascii: "\""))
    }

    mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        var v = value
        v.withUTF8 { string($0) }
    }

    mutating func field(_ name: StaticString, bytes value: UnsafeRawBufferPointer) {
        key(name)
        string(UnsafeBufferPointer(start: value.baseAddress?.assumingMemoryBound(to: UInt8.self), count: value.count))
    }

    /// RFC 3339 UTC with nanoseconds, from nanoseconds since the epoch.
    mutating func field(_ name: StaticString, wallNanos: UInt64) {
        key(name)
        byte(UInt8(ascii: "\""))
        let seconds = Int64(wallNanos / 1_000_000_000)
        let nanos = wallNanos % 1_000_000_000
        let (y, m, d) = EventRecord.civilDate(daysSinceEpoch: seconds / 86_400)
        let secondOfDay = seconds % 86_400
        padded(UInt64(y), 4); byte(UInt8(ascii: "-")); padded(UInt64(m), 2); byte(UInt8(ascii: "-")); padded(UInt64(d), 2)
        byte(UInt8(ascii: "T"))
        padded(UInt64(secondOfDay / 3600), 2); byte(UInt8(ascii: ":"))
        padded(UInt64(secondOfDay / 60 % 60), 2); byte(UInt8(ascii: ":"))
        padded(UInt64(secondOfDay % 60), 2); byte(UInt8(ascii: "."))
        padded(nanos, 9)
        byte(UInt8(ascii: "Z"))
        byte(UInt8(ascii: "\""))
    }

    /// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; Howard Hinnant's civil algorithm).
    static func civilDate(daysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private mutating func digits(_ value: UInt64) {
        var v = value
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { buffer in
            repeat {
                buffer[n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
        }
        withUnsafeBytes(of: &tmp) { buffer in
            for i in stride(from: n - 1, through: 0, by: -1) { byte(buffer[i]) }
        }
    }

    private mutating func padded(_ value: UInt64, _ width: Int) {
        var divisor: UInt64 = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            byte(UInt8(ascii: "0") + UInt8(v / divisor % 10))
            v %= divisor
            divisor /= 10
        }
    }

    private mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) {
        byte(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                byte(UInt8(ascii: "\\")); byte(b)
            case 0..<0x20:
                ascii("\\u00")
                let hex: StaticString = "0123456789abcdef"
                hex.withUTF8Buffer { h in byte(h[Int(b >> 4)]); byte(h[Int(b & 0xF)]) }
            default:
                byte(b)
            }
        }
        byte(UInt8(ascii: "\""))
    }
}

private extension UInt {
    var toUInt64: UInt64 { UInt64(self) }
}
