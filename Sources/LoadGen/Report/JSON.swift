import Foundation

/// A JSON value that keeps object keys in the order they were written (reports read better that way).
indirect enum JSON: Equatable {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    /// A number's JSON text, written as given (when three decimals are not the right precision).
    case number(String)
    case bool(Bool)
    case null

    static func == (lhs: JSON, rhs: JSON) -> Bool { lhs.serialized() == rhs.serialized() }

    /// Pretty-printed with two-space indentation, one document, trailing newline not included.
    func serialized(indent: Int = 0) -> String {
        var out = ""
        write(to: &out, indent: indent)
        return out
    }

    /// On one line without spaces (JSON Lines).
    func compact() -> String {
        switch self {
        case .object(let members):
            return "{" + members.map { key, value in
                var text = ""
                JSON.writeString(key, to: &text)
                return text + ":" + value.compact()
            }.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map { $0.compact() }.joined(separator: ",") + "]"
        default: return serialized()
        }
    }

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                JSON.writeString(key, to: &out)
                out += ": "
                value.write(to: &out, indent: indent + 2)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                item.write(to: &out, indent: indent + 2)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .string(let s): JSON.writeString(s, to: &out)
        case .int(let v): out += String(v)
        case .uint(let v): out += String(v)
        case .double(let v): out += JSON.number(v)
        case .number(let text): out += text
        case .bool(let v): out += v ? "true" : "false"
        case .null: out += "null"
        }
    }

    /// A finite number with at most three decimals and no exponent; non-finite numbers become 0.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 1000).rounded() / 1000
        if rounded == rounded.rounded(.towardZero) {
            // Whole: print every digit (no fraction, no exponent), however large.
            if abs(rounded) < 9e15 { return String(Int64(rounded)) }
            return String(format: "%.0f", rounded)
        }
        if abs(rounded) >= 9e12 { return String(format: "%.0f", rounded) }
        var text = String(Int64((abs(rounded) * 1000).rounded()))
        while text.count < 4 { text = "0" + text }
        let cut = text.index(text.endIndex, offsetBy: -3)
        var fraction = String(text[cut...])
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (rounded < 0 ? "-" : "") + text[..<cut] + "." + fraction
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
