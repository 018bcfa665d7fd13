/// Text with placeholders expanded per event: `{seq}` (the event's sequence number), `{thread}` (its loop
/// thread), `{rand}` (8 random hex digits) and `{rand:N}` (N of them, 1–32). The random digits are a hash of
/// the sequence number and a per-run salt, so the same event always expands the same way: the event log can
/// write the expanded text again at completion without storing it. Expansion writes into a caller's buffer and
/// allocates nothing.
struct NameTemplate: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case literal([UInt8])
        case sequence
        case thread
        case random(Int)
    }

    let parts: [Part]
    let salt: UInt64

    /// nil when the text has no placeholder.
    init?(_ text: String, salt: UInt64) throws(NameTemplateError) {
        var parts: [Part] = []
        var literal: [UInt8] = []
        var rest = Substring(text)
        var found = false
        while let open = rest.firstIndex(of: "{") {
            literal += Array(rest[..<open].utf8)
            guard let close = rest[open...].firstIndex(of: "}") else { throw .unclosed(text) }
            let name = rest[rest.index(after: open)..<close]
            let part: Part
            switch name {
            case "seq": part = .sequence
            case "thread": part = .thread
            case "rand": part = .random(8)
            default:
                if name.hasPrefix("rand:"), let n = Int(name.dropFirst(5)), (1...32).contains(n) {
                    part = .random(n)
                } else {
                    throw .unknown(text, String(name))
                }
            }
            if !literal.isEmpty { parts.append(.literal(literal)); literal = [] }
            parts.append(part)
            found = true
            rest = rest[rest.index(after: close)...]
        }
        guard found else {
            if rest.contains("}") { throw .unclosed(text) }
            return nil
        }
        literal += Array(rest.utf8)
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
        self.salt = salt
    }

    /// The longest expansion (for validating limits once, up front).
    var longestExample: String {
        expandToString(sequence: .max, thread: 999)
    }

    var maxLength: Int {
        parts.reduce(0) { total, part in
            switch part {
            case .literal(let bytes): total + bytes.count
            case .sequence: total + 20
            case .thread: total + 3
            case .random(let n): total + n
            }
        }
    }

    /// Writes the expansion into `buffer` (at least `maxLength` bytes); returns the bytes written.
    @inline(__always)
    func expand(sequence: UInt64, thread: Int, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        for part in parts {
            switch part {
            case .literal(let bytes):
                for b in bytes { buffer[n] = b; n += 1 }
            case .sequence:
                n += NameTemplate.writeDecimal(sequence, into: buffer + n)
            case .thread:
                n += NameTemplate.writeDecimal(UInt64(thread), into: buffer + n)
            case .random(let count):
                var state = sequence ^ salt
                var word = NameTemplate.mix(&state)
                var left = 16
                for _ in 0..<count {
                    if left == 0 { word = NameTemplate.mix(&state); left = 16 }
                    let digit = UInt8(word & 0xF)
                    buffer[n] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                    n += 1
                    word >>= 4
                    left -= 1
                }
            }
        }
        return n
    }

    func expandToString(sequence: UInt64, thread: Int) -> String {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: maxLength)
        defer { buffer.deallocate() }
        let n = expand(sequence: sequence, thread: thread, into: buffer)
        return String(decoding: UnsafeBufferPointer(start: buffer, count: n), as: UTF8.self)
    }

    @inline(__always)
    static func writeDecimal(_ value: UInt64, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var digits = 1
        var v = value
        while v >= 10 { v /= 10; digits += 1 }
        v = value
        for i in stride(from: digits - 1, through: 0, by: -1) {
            buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
        }
        return digits
    }

    /// SplitMix64: a fast, well-mixed step.
    @inline(__always)
    static func mix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum NameTemplateError: Error, CustomStringConvertible, Equatable {
    case unclosed(String)
    case unknown(String, String)

    var description: String {
        switch self {
        case .unclosed(let text): "'\(text)' has an unclosed '{'; placeholders are {seq}, {thread}, {rand} and {rand:N}"
        case .unknown(let text, let name): "'\(text)': unknown placeholder {\(name)}; use {seq}, {thread}, {rand} or {rand:N} (N 1–32)"
        }
    }
}

extension NameTemplate {
    /// The same template with every literal part rewritten by `transform` (e.g. a payload's escapes decoded once
    /// its placeholders were found); the placeholders stay as they are.
    func mappingLiterals<E: Error>(_ transform: ([UInt8]) throws(E) -> [UInt8]) throws(E) -> NameTemplate {
        var mapped: [Part] = []
        for part in parts {
            if case .literal(let bytes) = part {
                let rewritten = try transform(bytes)
                if !rewritten.isEmpty { mapped.append(.literal(rewritten)) }
            } else {
                mapped.append(part)
            }
        }
        return NameTemplate(parts: mapped, salt: salt)
    }

    private init(parts: [Part], salt: UInt64) {
        self.parts = parts
        self.salt = salt
    }
}
