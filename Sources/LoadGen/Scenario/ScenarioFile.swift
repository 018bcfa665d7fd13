import Yams

/// A scenario file (`loadgen run`, DESIGN.md §3) as written: the run's settings and its streams, every key with
/// the line it is on, so that whatever later refuses a value can point at it. Only the shape is checked here
/// (a mapping, a non-empty `streams` list, names and kinds); what the values mean is the commands' business.
struct ScenarioFile: Equatable {
    /// A value as written: one scalar, a list of scalars, or true/false (a flag).
    enum Value: Equatable {
        case scalar(String)
        case list([String])
        case flag(Bool)
    }

    /// One `key: value` line; keys are kept as flag names (`names_file` reads as `names-file`).
    struct Entry: Equatable {
        var key: String
        var value: Value
        var line: Int
    }

    struct Stream: Equatable {
        var name: String
        var kind: String
        var line: Int
        /// Every key but `name` and `kind`.
        var entries: [Entry]
    }

    /// How the file is named in messages.
    var path: String
    /// The top-level keys but `streams`.
    var settings: [Entry]
    var streams: [Stream]

    /// Reads `text` (the contents of `path`); throws `ScenarioError` naming the line and key of what is wrong.
    init(path: String, text: String, kinds: [String]) throws(ScenarioError) {
        self.path = path
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ScenarioFile.syntaxError(error, path: path)
        } catch {
            throw ScenarioError(path: path, line: nil, "is not readable YAML: \(error)")
        }
        guard let mapping = root?.mapping else {
            throw ScenarioError(path: path, line: root?.mark?.line,
                                "a scenario is a mapping of settings with a `streams:` list of streams (see `loadgen run --help`)")
        }
        var settings = try ScenarioFile.entries(mapping, path: path, context: nil)
        guard let at = settings.firstIndex(where: { $0.key == "streams" }) else {
            throw ScenarioError(path: path, line: nil,
                                "no `streams:` list; add one with at least one stream (name, kind, rate, …)")
        }
        let line = settings.remove(at: at).line
        self.settings = settings
        streams = try ScenarioFile.streams(mapping, line: line, path: path, kinds: kinds)
    }

    /// YAML's own complaint, at the line libyaml found it.
    private static func syntaxError(_ error: YamlError, path: String) -> ScenarioError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let around = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return ScenarioError(path: path, line: mark.line, "is not valid YAML: \(problem)\(around)")
        default:
            return ScenarioError(path: path, line: nil, "is not valid YAML: \(error)")
        }
    }

    /// The `streams:` list: mappings, each with a unique `name` and a known `kind`.
    private static func streams(_ root: Node.Mapping, line: Int, path: String, kinds: [String]) throws(ScenarioError) -> [Stream] {
        guard let list = root["streams"]?.sequence, !list.isEmpty else {
            throw ScenarioError(path: path, line: line, key: "streams",
                                "must be a list of streams, each a mapping with name:, kind: and its options")
        }
        var streams: [Stream] = []
        for node in list {
            let at = node.mark?.line ?? line
            guard let mapping = node.mapping else {
                throw ScenarioError(path: path, line: at, key: "streams",
                                    "each stream is a mapping (name:, kind:, rate:, …), not '\(node.string ?? "a list")'")
            }
            var entries = try entries(mapping, path: path, context: "stream \(streams.count + 1)")
            let name = try take("name", from: &entries, stream: streams.count + 1, line: at, path: path,
                                hint: "give every stream a unique name: (it names the stream in reports and the events log)")
            if let other = streams.first(where: { $0.name == name.value }) {
                throw ScenarioError(path: path, line: name.line, key: "name",
                                    "stream name '\(name.value)' is taken by the stream at line \(other.line); give each stream its own name")
            }
            let kind = try take("kind", from: &entries, stream: streams.count + 1, line: at, path: path,
                                hint: "give the stream's kind: one of \(kinds.joined(separator: ", "))")
            guard kinds.contains(kind.value) else {
                throw ScenarioError(path: path, line: kind.line, key: "kind",
                                    "stream '\(name.value)': unknown kind '\(kind.value)'; use one of \(kinds.joined(separator: ", "))")
            }
            streams.append(Stream(name: name.value, kind: kind.value, line: at, entries: entries))
        }
        return streams
    }

    /// Removes a required scalar key (`name`, `kind`) from a stream's entries and returns it.
    private static func take(_ key: String, from entries: inout [Entry], stream: Int, line: Int, path: String,
                             hint: String) throws(ScenarioError) -> (value: String, line: Int) {
        guard let at = entries.firstIndex(where: { $0.key == key }) else {
            throw ScenarioError(path: path, line: line, key: key, "stream \(stream) has no \(key):; \(hint)")
        }
        let entry = entries.remove(at: at)
        guard case .scalar(let value) = entry.value, !value.isEmpty else {
            throw ScenarioError(path: path, line: entry.line, key: key, "must be one word; \(hint)")
        }
        return (value, entry.line)
    }

    /// A mapping's entries in file order, each key once.
    private static func entries(_ mapping: Node.Mapping, path: String, context: String?) throws(ScenarioError) -> [Entry] {
        var entries: [Entry] = []
        for (keyNode, valueNode) in mapping {
            let line = keyNode.mark?.line ?? mapping.mark?.line ?? 0
            guard let written = keyNode.scalar?.string, !written.isEmpty else {
                throw ScenarioError(path: path, line: line, "a key must be a name such as rate or server")
            }
            let key = written.replacingOccurrences(of: "_", with: "-")
            if let first = entries.first(where: { $0.key == key }) {
                throw ScenarioError(path: path, line: line, key: written,
                                    "given twice\(context.map { " in \($0)" } ?? "") (first at line \(first.line)); give it once (a list for several values)")
            }
            if key == "streams" && context == nil {
                entries.append(Entry(key: key, value: .list([]), line: line))
                continue
            }
            entries.append(Entry(key: key, value: try value(valueNode, key: written, line: line, path: path), line: line))
        }
        return entries
    }

    /// A scalar, a list of scalars, or a plain true/false; nothing else means anything as a flag.
    private static func value(_ node: Node, key: String, line: Int, path: String) throws(ScenarioError) -> Value {
        if let scalar = node.scalar {
            let plain = scalar.style == .plain || scalar.style == .any
            if plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                throw ScenarioError(path: path, line: line, key: key, "no value; give one, or remove the key")
            }
            if plain && ["true", "false"].contains(scalar.string.lowercased()) {
                return .flag(scalar.string.lowercased() == "true")
            }
            return .scalar(scalar.string)
        }
        if let sequence = node.sequence {
            var items: [String] = []
            for item in sequence {
                guard let text = item.scalar?.string else {
                    throw ScenarioError(path: path, line: item.mark?.line ?? line, key: key,
                                        "a list item must be a single value, not a list or a mapping")
                }
                items.append(text)
            }
            return .list(items)
        }
        throw ScenarioError(path: path, line: line, key: key,
                            "must be a value or a list of values (a mapping means nothing here)")
    }
}

/// What is wrong with a scenario file, where: "FILE:LINE: key 'K': why, and what would work". Exit 2.
struct ScenarioError: Error, CustomStringConvertible, Equatable {
    var path: String
    var line: Int?
    var key: String?
    var reason: String

    init(path: String, line: Int?, key: String? = nil, _ reason: String) {
        self.path = path
        self.line = line
        self.key = key
        self.reason = reason
    }

    var description: String {
        let place = line.map { "\(path):\($0)" } ?? path
        return "\(place): " + (key.map { "key '\($0)': " } ?? "") + reason
    }
}
