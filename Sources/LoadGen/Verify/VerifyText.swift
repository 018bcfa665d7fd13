/// Normalisation of the values `loadgen verify` joins on, and the time formats tracers print.
enum VerifyText {
    @inline(__always)
    static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// A DNS name as joined: ASCII lower-case, without the trailing dot (`Q0.Example.TEST.` → `q0.example.test`);
    /// the root stays `.`. A name in wire format (length-prefixed labels, as IG's raw eBPF events carry it:
    /// `\u{10}inspektor-gadget\u{2}io`) is decoded first.
    static func dnsName(_ name: String) -> String {
        var bytes = Array(name.utf8)
        if let first = bytes.first, first > 0, first < 0x20, let decoded = decodeWireName(bytes) { bytes = decoded }
        for i in bytes.indices where (0x41...0x5A).contains(bytes[i]) { bytes[i] += 0x20 }
        if bytes.count > 1, bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func decodeWireName(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let length = Int(bytes[i])
            if length == 0 { break }
            guard length < 64, i + 1 + length <= bytes.count else { return nil }
            if !out.isEmpty { out.append(UInt8(ascii: ".")) }
            out.append(contentsOf: bytes[(i + 1)..<(i + 1 + length)])
            i += 1 + length
        }
        return out.isEmpty ? nil : out
    }

    /// A DNS message ID from text: `0x1234` (tshark) or bare hex digits (Inspektor Gadget prints `%.4x`).
    static func dnsIDFromHex(_ text: String) -> UInt16? {
        var digits = Substring(trimmed(text))
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 8, let v = UInt32(digits, radix: 16), v <= 0xFFFF else { return nil }
        return UInt16(v)
    }

    /// An unsigned number from text: `0x…` hex, else decimal digits.
    static func number(_ text: String) -> UInt64? {
        let t = trimmed(text)
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return UInt64(t.dropFirst(2), radix: 16) }
        return UInt64(t)
    }

    /// `ADDR:PORT` as joined: `[v6]:port` for IPv6, IPv4-mapped IPv6 reduced to IPv4, lower-case; nil when it is not
    /// `host:port`.
    static func endpoint(_ text: String) -> String? {
        let t = Substring(trimmed(text))
        var host: Substring
        var port: Substring
        if t.hasPrefix("[") {
            guard let close = t.firstIndex(of: "]") else { return nil }
            host = t[t.index(after: t.startIndex)..<close]
            let rest = t[t.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            port = rest.dropFirst()
        } else {
            guard let colon = t.lastIndex(of: ":") else { return nil }
            host = t[..<colon]
            port = t[t.index(after: colon)...]
            if host.contains(":") { return nil } // a bare IPv6 address without a port
        }
        guard let p = UInt16(port) else { return nil }
        return endpoint(host: String(host), port: p)
    }

    /// The joined form of an address and a port (IG prints them as separate fields).
    static func endpoint(host: String, port: UInt16) -> String {
        var h = host.lowercased()
        if h.hasPrefix("::ffff:"), !h.dropFirst(7).contains(":") { h = String(h.dropFirst(7)) }
        return h.contains(":") ? "[\(h)]:\(port)" : "\(h):\(port)"
    }

    /// Nanoseconds since the Unix epoch from RFC 3339 (`2026-11-28T06:13:00.123456789Z`, `…+02:00`); fractions
    /// beyond nanoseconds are cut.
    static func rfc3339Nanos(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for i in from..<from + count {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard let year = num(0, 4), b[4] == UInt8(ascii: "-"), let month = num(5, 2), b[7] == UInt8(ascii: "-"),
              let day = num(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let hour = num(11, 2), b[13] == UInt8(ascii: ":"), let minute = num(14, 2), b[16] == UInt8(ascii: ":"),
              let second = num(17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
              second <= 60 else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, (0x30...0x39).contains(b[i]) {
                if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 9)..<9 { nanos *= 10 }
        }
        guard i < b.count else { return nil }
        var offsetSeconds: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2) else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Self.nanos(seconds: seconds, plus: nanos)
    }

    /// `seconds` in ns plus `nanos`, or nil beyond what Int64 ns hold (after 2262 or before 1678).
    static func nanos(seconds: Int64, plus nanos: Int64) -> Int64? {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflowSum) = scaled.addingReportingOverflow(nanos)
        return overflow || overflowSum ? nil : sum
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (the inverse of the civil-from-days algorithm).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Nanoseconds from decimal seconds (`1764310380.123456789`, as tshark's `frame.time_epoch`), exactly.
    static func secondsNanos(_ text: String) -> Int64? {
        let t = trimmed(text)
        var negative = false
        var body = Substring(t)
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 11, let seconds = Int64(whole),
              whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var nanos: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            var digits = 0
            for c in fraction.utf8 where digits < 9 {
                nanos = nanos * 10 + Int64(c - 0x30)
                digits += 1
            }
            for _ in digits..<9 { nanos *= 10 }
        }
        guard let total = Self.nanos(seconds: seconds, plus: nanos) else { return nil }
        return negative ? -total : total
    }

    /// Without leading and trailing spaces, tabs and line ends.
    static func trimmed(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[first...last])
    }
}
