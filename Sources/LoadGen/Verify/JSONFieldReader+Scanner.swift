extension JSONFieldReader {
    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var line = 1
        static let maxDepth = 256

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func error(_ message: String) -> SyntaxError { SyntaxError(line: line, message: message) }

        static func show(_ c: UInt8) -> String {
            (0x21...0x7E).contains(c) ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
        }

        @inline(__always) func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        @inline(__always) mutating func next() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }

        @inline(__always) mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
                case UInt8(ascii: "\n"): index += 1; line += 1
                default: return
                }
            }
        }

        mutating func expect(_ c: UInt8, _ what: String) throws {
            skipWhitespace()
            guard let got = next() else { throw error("unexpected end of input; expected \(what)") }
            guard got == c else { throw error("expected \(what), found \(Scanner.show(got))") }
        }

        /// At `{`: parses an object, filling the slots of the paths below trie node `node`.
        mutating func parseObject(node: Int, paths: Paths, slots: inout [Value?], depth: Int) throws {
            guard depth < Scanner.maxDepth else { throw error("nested too deeply") }
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else {
                    if let c = peek() { throw error("expected a key in quotes, found \(Scanner.show(c))") }
                    throw error("unexpected end of input in an object")
                }
                let key = try stringRange()
                try expect(UInt8(ascii: ":"), "':' after a key")
                skipWhitespace()
                if let child = findChild(node: node, key: key, paths: paths) {
                    let childNode = paths.nodes[child]
                    if let slot = childNode.slot {
                        let value = try parseValue(depth: depth + 1)
                        slots[slot] = value
                        if !childNode.children.isEmpty { Scanner.fill(value, node: child, paths: paths, slots: &slots) }
                    } else if peek() == UInt8(ascii: "{") {
                        try parseObject(node: child, paths: paths, slots: &slots, depth: depth + 1)
                    } else {
                        try skipValue(depth: depth + 1)
                    }
                } else {
                    try skipValue(depth: depth + 1)
                }
                skipWhitespace()
                guard let c = next() else { throw error("unexpected end of input in an object") }
                if c == UInt8(ascii: "}") { return }
                guard c == UInt8(ascii: ",") else { throw error("expected ',' or '}' in an object, found \(Scanner.show(c))") }
            }
        }

        /// Fills the slots below `node` from an already parsed value (a path that is a prefix of another).
        static func fill(_ value: Value, node: Int, paths: Paths, slots: inout [Value?]) {
            guard case .object(let members) = value else { return }
            for (key, member) in members {
                let bytes = Array(key.utf8)
                guard let child = paths.nodes[node].children.first(where: { $0.key == bytes })?.node else { continue }
                if let slot = paths.nodes[child].slot { slots[slot] = member }
                fill(member, node: child, paths: paths, slots: &slots)
            }
        }

        func findChild(node: Int, key: StringRange, paths: Paths) -> Int? {
            let children = paths.nodes[node].children
            if children.isEmpty { return nil }
            if key.escaped {
                let decoded = Array(decode(key).utf8)
                return children.first { $0.key == decoded }?.node
            }
            let length = key.end - key.start
            outer: for child in children where child.key.count == length {
                for i in 0..<length where child.key[i] != bytes[key.start + i] { continue outer }
                return child.node
            }
            return nil
        }

        struct StringRange {
            var start: Int
            var end: Int
            var escaped: Bool
        }

        /// At `"`: the range of the string's contents, checked, without decoding.
        mutating func stringRange() throws -> StringRange {
            index += 1
            let start = index
            var escaped = false
            while index < bytes.count {
                let c = bytes[index]
                if c == UInt8(ascii: "\"") {
                    index += 1
                    return StringRange(start: start, end: index - 1, escaped: escaped)
                }
                if c == UInt8(ascii: "\\") {
                    escaped = true
                    index += 2
                    continue
                }
                if c < 0x20 {
                    throw error(c == UInt8(ascii: "\n") ? "a string runs past the end of the line" : "control character in a string")
                }
                index += 1
            }
            throw error("unexpected end of input in a string")
        }

        func decode(_ range: StringRange) -> String {
            let raw = UnsafeBufferPointer(rebasing: bytes[range.start..<range.end])
            if !range.escaped { return String(decoding: raw, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            var i = 0
            func hex4(_ at: Int) -> UInt32? {
                guard at + 4 <= raw.count else { return nil }
                var v: UInt32 = 0
                for k in at..<at + 4 {
                    guard let d = VerifyText.hexDigit(raw[k]) else { return nil }
                    v = v << 4 | UInt32(d)
                }
                return v
            }
            func append(_ scalar: UInt32) {
                let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(s)).utf8))
            }
            while i < raw.count {
                let c = raw[i]
                guard c == UInt8(ascii: "\\"), i + 1 < raw.count else { out.append(c); i += 1; continue }
                let e = raw[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard let high = hex4(i) else { out.append(contentsOf: Array("\u{FFFD}".utf8)); continue }
                    i += 4
                    if (0xD800..<0xDC00).contains(high), i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"),
                       raw[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), (0xDC00..<0xE000).contains(low) {
                        i += 6
                        append(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                    } else {
                        append(high)
                    }
                default: out.append(e) // \" \\ \/ and, leniently, anything else
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func parseValue(depth: Int) throws -> Value {
            guard depth < Scanner.maxDepth else { throw error("nested too deeply") }
            skipWhitespace()
            guard let c = peek() else { throw error("unexpected end of input; expected a value") }
            switch c {
            case UInt8(ascii: "\""):
                return .string(decode(try stringRange()))
            case UInt8(ascii: "{"):
                index += 1
                var members: [(String, Value)] = []
                skipWhitespace()
                if peek() == UInt8(ascii: "}") { index += 1; return .object(members) }
                while true {
                    skipWhitespace()
                    guard peek() == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
                    let key = decode(try stringRange())
                    try expect(UInt8(ascii: ":"), "':' after a key")
                    members.append((key, try parseValue(depth: depth + 1)))
                    skipWhitespace()
                    guard let n = next() else { throw error("unexpected end of input in an object") }
                    if n == UInt8(ascii: "}") { return .object(members) }
                    guard n == UInt8(ascii: ",") else { throw error("expected ',' or '}' in an object, found \(Scanner.show(n))") }
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [Value] = []
                skipWhitespace()
                if peek() == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    items.append(try parseValue(depth: depth + 1))
                    skipWhitespace()
                    guard let n = next() else { throw error("unexpected end of input in an array") }
                    if n == UInt8(ascii: "]") { return .array(items) }
                    guard n == UInt8(ascii: ",") else { throw error("expected ',' or ']' in an array, found \(Scanner.show(n))") }
                }
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                let (start, isInteger) = try numberRange()
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
                if isInteger, raw.count <= 19, let v = Scanner.integer(raw) { return .int(v) }
                return .number(String(decoding: raw, as: UTF8.self))
            }
        }

        static func integer(_ raw: UnsafeBufferPointer<UInt8>) -> Int64? {
            var negative = false
            var i = 0
            if raw.first == UInt8(ascii: "-") { negative = true; i = 1 }
            var v: Int64 = 0
            while i < raw.count {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(raw[i] &- 0x30))
                if o1 || o2 { return nil }
                v = s
                i += 1
            }
            return negative ? -v : v
        }

        mutating func literal(_ word: StaticString) throws {
            let n = word.utf8CodeUnitCount
            guard index + n <= bytes.count else { throw error("expected \(word)") }
            let matches = word.withUTF8Buffer { w in (0..<n).allSatisfy { bytes[index + $0] == w[$0] } }
            guard matches else { throw error("expected a JSON value, found \(Scanner.show(bytes[index]))") }
            index += n
        }

        /// A number per JSON's grammar; returns its start and whether it has no fraction or exponent.
        mutating func numberRange() throws -> (Int, Bool) {
            let start = index
            var isInteger = true
            func digits() -> Int {
                let from = index
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                return index - from
            }
            if peek() == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else {
                index = start
                throw error("expected a JSON value, found \(peek().map(Scanner.show) ?? "end of input")")
            }
            if peek() == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard digits() > 0 else { throw error("malformed number") }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw error("malformed number") }
            }
            return (start, isInteger)
        }

        /// Skips a value without building it.
        mutating func skipValue(depth: Int) throws {
            guard depth < Scanner.maxDepth else { throw error("nested too deeply") }
            skipWhitespace()
            guard let c = peek() else { throw error("unexpected end of input; expected a value") }
            switch c {
            case UInt8(ascii: "\""): _ = try stringRange()
            case UInt8(ascii: "{"):
                index += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "}") { index += 1; return }
                while true {
                    skipWhitespace()
                    guard peek() == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
                    _ = try stringRange()
                    try expect(UInt8(ascii: ":"), "':' after a key")
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    guard let n = next() else { throw error("unexpected end of input in an object") }
                    if n == UInt8(ascii: "}") { return }
                    guard n == UInt8(ascii: ",") else { throw error("expected ',' or '}' in an object, found \(Scanner.show(n))") }
                }
            case UInt8(ascii: "["):
                index += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "]") { index += 1; return }
                while true {
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    guard let n = next() else { throw error("unexpected end of input in an array") }
                    if n == UInt8(ascii: "]") { return }
                    guard n == UInt8(ascii: ",") else { throw error("expected ',' or ']' in an array, found \(Scanner.show(n))") }
                }
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: _ = try numberRange()
            }
        }
    }
}
