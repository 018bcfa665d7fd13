/// Block-style YAML from a `JSON` tree, for manifests people read and `kubectl apply`: mappings and sequences
/// indented by two, every string double-quoted with JSON's escapes (valid YAML 1.2, and never mistaken for a
/// number, a boolean or null), keys plain when they are plain identifiers.
enum YAMLWriter {
    /// One document (no `---`), ending in a newline.
    static func document(_ value: JSON) -> String {
        var out = ""
        write(value, indent: 0, into: &out, inline: false)
        if !out.hasSuffix("\n") { out += "\n" }
        return out
    }

    private static func write(_ value: JSON, indent: Int, into out: inout String, inline: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .object(let members) where !members.isEmpty:
            for (i, (key, member)) in members.enumerated() {
                if !(inline && i == 0) { out += pad }
                out += self.key(key) + ":"
                writeChild(member, indent: indent, into: &out)
            }
        case .array(let items) where !items.isEmpty:
            for (i, item) in items.enumerated() {
                if !(inline && i == 0) { out += pad }
                out += "- "
                switch item {
                case .object(let m) where !m.isEmpty:
                    write(item, indent: indent + 2, into: &out, inline: true)
                case .array(let a) where !a.isEmpty:
                    out += "\n"
                    write(item, indent: indent + 2, into: &out, inline: false)
                default:
                    out += scalar(item) + "\n"
                }
            }
        default:
            out += scalar(value) + "\n"
        }
    }

    private static func writeChild(_ value: JSON, indent: Int, into out: inout String) {
        switch value {
        case .object(let m) where !m.isEmpty:
            out += "\n"
            write(value, indent: indent + 2, into: &out, inline: false)
        case .array(let a) where !a.isEmpty:
            out += "\n"
            write(value, indent: indent, into: &out, inline: false)
        default:
            out += " " + scalar(value) + "\n"
        }
    }

    private static func scalar(_ value: JSON) -> String {
        switch value {
        case .object: return "{}"
        case .array: return "[]"
        default: return value.serialized()
        }
    }

    /// Plain when it is letters, digits and `-_./`, starting with a letter; quoted otherwise.
    private static func key(_ text: String) -> String {
        let plain = text.first?.isLetter == true && text.allSatisfy {
            $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0))
        }
        return plain ? text : JSON.string(text).serialized()
    }
}
