/// Reads a stream of JSON objects (JSON Lines, pretty-printed objects one after another, or arrays of objects)
/// and hands over, per object, only the values at chosen dotted paths; everything else is skipped unparsed.
///
/// Built for files of hundreds of thousands of records: one pass over the bytes, no allocation for skipped values,
/// keys compared as bytes. Errors carry the line they were found on. Foundation's readers take 27–45 s of CPU for
/// 1 M Inspektor Gadget lines where `loadgen verify` as a whole takes about 4 s (Benchmarks/verify_decoder.sh,
/// numbers in Benchmarks/README.md), which is why this reader exists.
struct JSONFieldReader {
    /// A syntax error at a line (1-based).
    struct SyntaxError: Error {
        var line: Int
        var message: String
    }

    /// Calls `body(line, slots)` for every top-level object, and for every object element of a top-level array;
    /// `slots[i]` is the value at `paths.paths[i]` or nil. `line` is where the object starts.
    static func forEachObject(in bytes: UnsafeBufferPointer<UInt8>, paths: Paths,
                              _ body: (Int, [Value?]) throws -> Void) throws {
        var scanner = Scanner(bytes: bytes)
        var slots = [Value?](repeating: nil, count: paths.count)
        let aliases = paths.aliases
        func record(_ line: Int) throws {
            for i in slots.indices { slots[i] = nil }
            do {
                try scanner.parseObject(node: 0, paths: paths, slots: &slots, depth: 0)
            } catch var error as SyntaxError where error.line != line {
                // A truncated record (the tracer was killed mid-line) is the record's fault, not the next line's.
                if error.message.hasPrefix("unexpected end of input") {
                    error.line = line
                } else {
                    error.message += " (in the object that starts on line \(line))"
                }
                throw error
            }
            for (slot, sameAs) in aliases { slots[slot] = slots[sameAs] }
            try body(line, slots)
        }
        while true {
            scanner.skipWhitespace()
            guard let c = scanner.peek() else { return }
            let line = scanner.line
            switch c {
            case UInt8(ascii: "{"):
                try record(line)
            case UInt8(ascii: "["):
                scanner.index += 1
                scanner.skipWhitespace()
                if scanner.peek() == UInt8(ascii: "]") { scanner.index += 1; continue }
                while true {
                    scanner.skipWhitespace()
                    guard scanner.peek() == UInt8(ascii: "{") else {
                        throw scanner.error("expected a JSON object in the array")
                    }
                    try record(scanner.line)
                    scanner.skipWhitespace()
                    guard let next = scanner.next() else { throw scanner.error("unexpected end of input in an array") }
                    if next == UInt8(ascii: "]") { break }
                    guard next == UInt8(ascii: ",") else { throw scanner.error("expected ',' or ']' after an array element") }
                }
            default:
                throw scanner.error("expected a JSON object, found \(Scanner.show(c))")
            }
        }
    }

    /// Parses one complete JSON value (for tests and small inputs).
    static func parse(_ text: String) throws -> Value {
        var text = text
        return try text.withUTF8 { bytes in
            var scanner = Scanner(bytes: bytes)
            scanner.skipWhitespace()
            let value = try scanner.parseValue(depth: 0)
            scanner.skipWhitespace()
            if let c = scanner.peek() { throw scanner.error("unexpected \(Scanner.show(c)) after the value") }
            return value
        }
    }
}
