import Foundation

/// Reading JSON documents loadgen did not necessarily write (merge inputs): split a stream of concatenated
/// documents (what `kubectl logs` of a Job's pods gives), and typed access to members with errors that name the
/// source, the key path and what was expected.
enum JSONInput {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The top-level documents in `text`, each an object `{...}` (strings and escapes respected), with the line
    /// each starts on. Anything else between documents is an error naming its line.
    /// The most documents `loadgen merge` and `plot` add up: with every count at most 2^53, no total overflows.
    static let maxDocuments = 1_000

    static func documents(in text: String, source: String) throws(Failure) -> [(text: Substring, line: Int)] {
        var found: [(Substring, Int)] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start = text.startIndex
        var line = 1
        var startLine = 1
        for index in text.indices {
            let ch = text[index]
            if ch == "\n" || ch == "\r\n" { line += 1 }
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                continue
            }
            switch ch {
            case "{":
                if depth == 0 { start = index; startLine = line }
                depth += 1
            case "}":
                guard depth > 0 else { throw Failure(description: "\(source):\(line): a '}' outside any JSON object") }
                depth -= 1
                if depth == 0 { found.append((text[start...index], startLine)) }
            case "\"" where depth > 0:
                inString = true
            case " ", "\n", "\t", "\r", "\r\n":
                break
            default:
                if depth == 0 {
                    throw Failure(description: "\(source):\(line): '\(ch)' outside a JSON object: expected loadgen --json reports only")
                }
            }
        }
        if depth > 0 { throw Failure(description: "\(source):\(startLine): a JSON object that never ends (truncated?)") }
        return found
    }

    /// True for what JSONSerialization made of `true` and `false` (NSNumber's 0 and 1 also cast to Bool).
    static func isBoolean(_ value: Any) -> Bool {
        String(describing: type(of: value)).hasSuffix("Boolean") || type(of: value) == Bool.self
    }

    /// One parsed object and where it came from, for messages.
    struct Object {
        let members: [String: Any]
        /// "FILE:LINE" and the key path inside, e.g. "shard0.json:1 latency_us".
        let path: String

        init(parsing text: Substring, path: String) throws(Failure) {
            let value: Any
            do {
                value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [])
            } catch {
                throw Failure(description: "\(path): not valid JSON (\(error.localizedDescription))")
            }
            guard let members = value as? [String: Any] else { throw Failure(description: "\(path): not a JSON object") }
            self.members = members
            self.path = path
        }

        init(_ members: [String: Any], path: String) {
            self.members = members
            self.path = path
        }

        func has(_ key: String) -> Bool { members[key] != nil && !(members[key] is NSNull) }

        private func missing(_ key: String, _ what: String) -> Failure {
            Failure(description: "\(path): '\(key)' must be \(what)" + (has(key) ? "" : " (missing)"))
        }

        func object(_ key: String) throws(Failure) -> Object {
            guard let value = members[key] as? [String: Any] else { throw missing(key, "an object") }
            return Object(value, path: "\(path) \(key)")
        }

        func objects(_ key: String) throws(Failure) -> [Object] {
            guard let value = members[key] as? [Any] else { throw missing(key, "an array") }
            var out: [Object] = []
            for (i, item) in value.enumerated() {
                guard let member = item as? [String: Any] else { throw missing(key, "an array of objects") }
                out.append(Object(member, path: "\(path) \(key)[\(i)]"))
            }
            return out
        }

        func string(_ key: String) throws(Failure) -> String {
            guard let value = members[key] as? String else { throw missing(key, "a string") }
            return value
        }

        func optionalString(_ key: String) throws(Failure) -> String? {
            has(key) ? try string(key) : nil
        }

        func strings(_ key: String) throws(Failure) -> [String] {
            guard let value = members[key] as? [String] else { throw missing(key, "an array of strings") }
            return value
        }

        /// A JSON number (Foundation also bridges `true` and `false` to NSNumber: those are not numbers here).
        private func number(_ key: String) -> NSNumber? {
            guard let value = members[key], !JSONInput.isBoolean(value) else { return nil }
            return value as? NSNumber
        }

        func double(_ key: String) throws(Failure) -> Double {
            guard let number = number(key), number.doubleValue.isFinite,
                  number.doubleValue >= 0 else { throw missing(key, "a number ≥ 0") }
            return number.doubleValue
        }

        func optionalDouble(_ key: String) throws(Failure) -> Double? {
            has(key) ? try double(key) : nil
        }

        /// A whole number ≥ 0 (JSON numbers written without a fraction).
        func uint(_ key: String) throws(Failure) -> UInt64 {
            guard let number = number(key) else { throw missing(key, "a whole number ≥ 0") }
            let d = number.doubleValue
            guard d >= 0, d == d.rounded() else { throw missing(key, "a whole number ≥ 0") }
            // Counts loadgen writes stay within 2^53 (the most --count allows, and what JSON numbers hold exactly),
            // so that merging up to `maxDocuments` reports cannot overflow a total.
            guard d <= 9_007_199_254_740_992 else { throw missing(key, "a whole number ≥ 0 and at most 2^53") }
            return UInt64(d)
        }

        func bool(_ key: String) throws(Failure) -> Bool {
            guard let value = members[key], JSONInput.isBoolean(value), let flag = value as? Bool else {
                throw missing(key, "true or false")
            }
            return flag
        }

        /// An object of counts: `{"NOERROR": 5, ...}`.
        func counts(_ key: String) throws(Failure) -> [(String, UInt64)] {
            let inner = try object(key)
            var out: [(String, UInt64)] = []
            for name in inner.members.keys.sorted() { out.append((name, try inner.uint(name))) }
            return out
        }
    }
}
