/// The bytes a `loadgen tcp` connection sends (`--send`) or a `loadgen udp` datagram carries (`--payload`): text
/// with C-style escapes (`\n`, `\r`, `\t`, `\0`, `\\`, `\xHH`) and the placeholders of `NameTemplate` (`{seq}`,
/// `{thread}`, `{rand}`, `{rand:N}`), expanded per event into a buffer the caller allocated once. A literal brace
/// is `\x7b` / `\x7d`.
struct Payload: Sendable, Hashable {
    /// The bytes when the text has no placeholder.
    let fixed: [UInt8]
    /// The template when it has one (its literals already unescaped).
    let template: NameTemplate?
    /// The text as written, for reports.
    let written: String

    init(parsing text: String, salt: UInt64) throws(PayloadError) {
        written = text
        let template: NameTemplate?
        do {
            template = try NameTemplate(text, salt: salt)
        } catch {
            throw .template(error)
        }
        if let template {
            self.template = try template.mappingLiterals(Payload.unescape)
            fixed = []
        } else {
            self.template = nil
            fixed = try Payload.unescape(Array(text.utf8))
        }
    }

    /// The most bytes one event's payload can take.
    var maxLength: Int { template?.maxLength ?? fixed.count }

    /// True when every event sends the same bytes.
    var isFixed: Bool { template == nil }

    /// Writes the payload of event `sequence` on `thread` into `buffer` (at least `maxLength` bytes); returns how
    /// many bytes it wrote. A fixed payload is copied; callers that keep a buffer per payload write it once.
    @inline(__always)
    func write(sequence: UInt64, thread: Int, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        if let template { return template.expand(sequence: sequence, thread: thread, into: buffer) }
        fixed.withUnsafeBufferPointer { bytes in
            if let base = bytes.baseAddress { buffer.update(from: base, count: bytes.count) }
        }
        return fixed.count
    }

    /// Decodes the escapes of `bytes`.
    static func unescape(_ bytes: [UInt8]) throws(PayloadError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            guard b == UInt8(ascii: "\\") else { out.append(b); continue }
            guard i < bytes.count else { throw .trailingBackslash }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "0"): out.append(0)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "x"):
                guard i + 2 <= bytes.count, let high = hexValue(bytes[i]), let low = hexValue(bytes[i + 1]) else {
                    throw .badHex
                }
                out.append(high << 4 | low)
                i += 2
            default:
                throw .unknownEscape(Character(Unicode.Scalar(e)))
            }
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

enum PayloadError: Error, CustomStringConvertible, Equatable {
    case template(NameTemplateError)
    case trailingBackslash
    case badHex
    case unknownEscape(Character)

    var description: String {
        switch self {
        case .template(let error): error.description
        case .trailingBackslash: "ends with a lone '\\'; write '\\\\' for a backslash"
        case .badHex: "'\\x' must be followed by two hex digits, e.g. '\\x0a'"
        case .unknownEscape(let c): "unknown escape '\\\(c)'; use \\n, \\r, \\t, \\0, \\\\ or \\xHH"
        }
    }
}
