/// A `--key`, `--where` or `--time` that does not parse (a usage error, exit 2).
struct VerifyUsageError: Error, CustomStringConvertible, Equatable {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Generic JSON Lines from any tracer (bpftrace printing JSON, a custom exporter): the join fields are chosen with
/// `--key`, the records with `--where`, the timestamp with `--time`.
///
/// `--key` items are `[EVENT_FIELD=]OBSERVED_PATH[:CONVERSION]`, comma-separated: `OBSERVED_PATH` is a dotted path
/// into each observed object (`dns.id`); the event field defaults to the path's last component. Values are compared
/// as text after a conversion, by default chosen from the event field: `qname` → `name`, `id` → `number`,
/// `src`/`dst` → `endpoint`, anything else `text`.
enum JSONLinesFormat {
    /// How both sides' values are normalised before they are compared.
    enum Conversion: String, CaseIterable {
        /// As written: strings verbatim, numbers as printed.
        case text
        /// Lower-cased text.
        case lower
        /// A DNS name: lower-case, no trailing dot, wire format decoded.
        case name
        /// An integer: JSON numbers, decimal strings, `0x` hex strings.
        case number
        /// An integer where strings are hex with or without `0x` (IG's `id`).
        case hex
        /// `ip:port`, `[v6]:port`.
        case endpoint

        static func defaultFor(eventField: String) -> Conversion {
            switch eventField.split(separator: ".").last.map(String.init) ?? eventField {
            case "qname": .name
            case "id": .number
            case "src", "dst": .endpoint
            default: .text
            }
        }

        func apply(_ value: JSONFieldReader.Value?) -> String? {
            guard let value, let text = value.scalarText else { return nil }
            switch self {
            case .text: return text
            case .lower: return text.lowercased()
            case .name: return VerifyText.dnsName(text)
            case .number:
                if case .int(let v) = value { return String(v) }
                if case .number = value { return text }
                return VerifyText.number(text).map { String($0) }
            case .hex:
                if case .int(let v) = value { return String(v) }
                var digits = Substring(VerifyText.trimmed(text))
                if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
                return UInt64(digits, radix: 16).map { String($0) }
            case .endpoint: return VerifyText.endpoint(text)
            }
        }
    }

    struct Key: Equatable {
        var eventField: String
        var observedPath: String
        var conversion: Conversion
    }

    struct Filter: Equatable {
        var path: String
        var value: String
        var equal: Bool
    }

    struct TimeSpec: Equatable {
        var path: String
        var clock: ObservedClock?
    }

    /// Parses `--key` values (each may hold several comma-separated items).
    static func keys(_ texts: [String]) throws(VerifyUsageError) -> [Key] {
        var keys: [Key] = []
        for text in texts {
            for item in text.split(separator: ",", omittingEmptySubsequences: false).map({ VerifyText.trimmed(String($0)) }) {
                guard !item.isEmpty else { throw VerifyUsageError("--key '\(text)': an empty item; give PATH or EVENT_FIELD=PATH, comma-separated") }
                var rest = Substring(item)
                var conversion: Conversion?
                if let colon = rest.lastIndex(of: ":") {
                    let name = String(rest[rest.index(after: colon)...])
                    guard let c = Conversion(rawValue: name) else {
                        throw VerifyUsageError("--key '\(item)': unknown conversion '\(name)'; use one of \(Conversion.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    conversion = c
                    rest = rest[..<colon]
                }
                var eventField: String
                var path: String
                if let eq = rest.firstIndex(of: "=") {
                    eventField = String(rest[..<eq])
                    path = String(rest[rest.index(after: eq)...])
                } else {
                    path = String(rest)
                    eventField = JSONFieldReader.Paths.split(path).last ?? path
                }
                eventField = VerifyText.trimmed(eventField)
                path = VerifyText.trimmed(path)
                for (what, dotted) in [("event field", eventField), ("path", path)]
                where dotted.isEmpty || JSONFieldReader.Paths.split(dotted).contains("") {
                    throw VerifyUsageError("--key '\(item)': the \(what) '\(dotted)' is not a dotted path like dns.id")
                }
                keys.append(Key(eventField: eventField, observedPath: path,
                                conversion: conversion ?? Conversion.defaultFor(eventField: eventField)))
            }
        }
        guard !keys.isEmpty else { throw VerifyUsageError("--key: give at least one PATH") }
        return keys
    }

    /// Parses a `--where PATH=VALUE` or `PATH!=VALUE`.
    static func filter(_ text: String) throws(VerifyUsageError) -> Filter {
        guard let eq = text.firstIndex(of: "=") else {
            throw VerifyUsageError("--where '\(text)': use PATH=VALUE or PATH!=VALUE, e.g. --where qr=Q")
        }
        var path = text[..<eq]
        var equal = true
        if path.hasSuffix("!") { path = path.dropLast(); equal = false }
        let value = String(text[text.index(after: eq)...])
        guard !path.isEmpty, !JSONFieldReader.Paths.split(String(path)).contains("") else {
            throw VerifyUsageError("--where '\(text)': '\(path)' is not a dotted path")
        }
        return Filter(path: String(path), value: value, equal: equal)
    }

    /// Parses a `--time PATH[:CLOCK]`.
    static func time(_ text: String) throws(VerifyUsageError) -> TimeSpec {
        var path = Substring(text)
        var clock: ObservedClock?
        if let colon = path.lastIndex(of: ":") {
            let name = String(path[path.index(after: colon)...])
            guard let c = ObservedClock(rawValue: name) else {
                throw VerifyUsageError("--time '\(text)': unknown clock '\(name)'; use wall, boottime or monotonic")
            }
            clock = c
            path = path[..<colon]
        }
        guard !path.isEmpty, !JSONFieldReader.Paths.split(String(path)).contains("") else {
            throw VerifyUsageError("--time '\(text)': '\(path)' is not a dotted path")
        }
        return TimeSpec(path: String(path), clock: clock)
    }

    /// The event fields the keys read, for `VerifyEventLog.parse(extraPaths:)`.
    static func eventPaths(_ keys: [Key]) -> [[String]] {
        keys.map { JSONFieldReader.Paths.split($0.eventField) }
    }

    /// The join key of an event whose `extra` values were read at `eventPaths(keys)`; nil when a field is missing.
    static func eventKey(_ event: VerifyEvent, keys: [Key]) -> String? {
        var parts: [String] = []
        parts.reserveCapacity(keys.count)
        for (i, key) in keys.enumerated() {
            guard i < event.extra.count, let part = key.conversion.apply(event.extra[i]) else { return nil }
            parts.append(part)
        }
        return VerifyKey.make(parts)
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String, keys: [Key], filters: [Filter] = [],
                      time: TimeSpec? = nil) throws(VerifyInputError) -> ObservedSet {
        var set = ObservedSet(keyNames: keys.map(\.eventField), noun: "records")
        var paths = keys.map { JSONFieldReader.Paths.split($0.observedPath) }
        let filterBase = paths.count
        paths += filters.map { JSONFieldReader.Paths.split($0.path) }
        let timeSlot = paths.count
        if let time { paths.append(JSONFieldReader.Paths.split(time.path)) }
        try JSONFieldReader.forEachObject(in: bytes, paths: JSONFieldReader.Paths(paths), file: file) { line, s in
            for (i, filter) in filters.enumerated() where (s[filterBase + i]?.scalarText == filter.value) != filter.equal {
                set.ignore("records left out by --where")
                return
            }
            var parts: [String] = []
            for (i, key) in keys.enumerated() {
                guard let part = key.conversion.apply(s[i]) else {
                    set.ignore(s[i] == nil ? "records without '\(key.observedPath)'"
                                           : "records whose '\(key.observedPath)' is not a \(key.conversion.rawValue)")
                    return
                }
                parts.append(part)
            }
            var observedTime: ObservedTime?
            if let time, let value = s[timeSlot] {
                guard let t = ObservedTime.read(value, clock: time.clock) else {
                    throw VerifyInputError(file: file, line: line,
                        "'\(time.path)' \(value.scalarText.map { "'\($0)'" } ?? "") is not a time (RFC 3339, Unix seconds, or ns)")
                }
                observedTime = t
            }
            set.records.append(ObservedRecord(line: line, key: VerifyKey.make(parts), time: observedTime))
        }
        return set
    }
}
