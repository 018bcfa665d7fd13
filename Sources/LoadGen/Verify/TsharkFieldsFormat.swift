/// tshark's `-T fields` output: one frame per line, fields separated by tabs (`-E separator=/t`, the default), named
/// by a header line (`-E header=y`) or by `--columns`. Multiple occurrences in one frame (DNS over TCP) come
/// comma-separated (`-E aggregator=,`, the default) and become one record each. Values may be quoted (`-E quote=d`).
///
/// Columns used: `dns.id` (hex, `0x1234`) and `dns.qry.name` (required), `dns.flags.response` (`0`/`1`, or
/// `False`/`True` in newer tshark; only queries are joined; without it every row counts as a query) and
/// `frame.time_epoch` (Unix seconds with ns, or an RFC 3339 time; optional). Other columns are ignored.
enum TsharkFieldsFormat {
    static let keyNames = ["id", "qname"]
    static let requiredColumns = ["dns.id", "dns.qry.name"]

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String,
                      columns given: [String]? = nil) throws(VerifyInputError) -> ObservedSet {
        var set = ObservedSet(keyNames: keyNames, noun: "DNS queries")
        var columns = given
        var idColumn = 0, nameColumn = 0
        var responseColumn: Int?, timeColumn: Int?

        func configure(_ names: [String], line: Int?) throws(VerifyInputError) {
            for required in requiredColumns where !names.contains(required) {
                let source = given == nil ? "the header line" : "--columns"
                throw VerifyInputError(file: file, line: line,
                    "\(source) has no '\(required)' column (columns: \(names.joined(separator: ", "))); run tshark with -e dns.id -e dns.qry.name")
            }
            idColumn = names.firstIndex(of: "dns.id")!
            nameColumn = names.firstIndex(of: "dns.qry.name")!
            responseColumn = names.firstIndex(of: "dns.flags.response")
            timeColumn = names.firstIndex(of: "frame.time_epoch")
        }
        if let columns { try configure(columns, line: nil) }

        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self) }
        func fail(_ line: Int, _ message: String) -> VerifyInputError { VerifyInputError(file: file, line: line, message) }

        var fields: [Range<Int>] = []
        var ids: [Range<Int>] = [], names: [Range<Int>] = [], responses: [Range<Int>] = []
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            let lineStart = start
            start = end + 1
            if lineEnd == lineStart { continue }
            split(bytes, lineStart..<lineEnd, by: UInt8(ascii: "\t"), into: &fields, unquoting: true)

            guard let names0 = columns else {
                // The first non-empty line names the columns.
                let header = fields.map(text)
                guard header.contains("dns.id") || header.contains("dns.qry.name") else {
                    throw fail(lineNumber, "no header line naming the columns; run tshark with -E header=y, or give --columns frame.time_epoch,dns.id,dns.qry.name,dns.flags.response in the order of its -e options")
                }
                columns = header
                try configure(header, line: lineNumber)
                continue
            }
            guard fields.count <= names0.count else {
                throw fail(lineNumber, "\(fields.count) tab-separated fields but \(names0.count) columns (\(names0.joined(separator: ",")))")
            }
            if fields.count == names0.count, text(fields[idColumn]) == "dns.id" { continue } // a header despite --columns

            func field(_ i: Int?) -> Range<Int> {
                guard let i, i < fields.count else { return 0..<0 }
                return fields[i]
            }
            split(bytes, field(idColumn), by: UInt8(ascii: ","), into: &ids)
            if ids.isEmpty {
                set.ignore("frames without dns.id")
                continue
            }
            split(bytes, field(nameColumn), by: UInt8(ascii: ","), into: &names)
            split(bytes, field(responseColumn), by: UInt8(ascii: ","), into: &responses)
            var time: ObservedTime?
            let timeRange = field(timeColumn)
            if !timeRange.isEmpty {
                if let nanos = secondsNanos(bytes, timeRange) {
                    time = ObservedTime(clock: .wall, nanos: nanos)
                } else if let t = ObservedTime.read(.string(text(timeRange))), t.clock == .wall {
                    time = t
                } else {
                    throw fail(lineNumber, "frame.time_epoch '\(text(timeRange))' is not Unix seconds (1764310380.123456789) or an RFC 3339 time")
                }
            }
            for (i, idRange) in ids.enumerated() {
                guard let id = dnsID(bytes, idRange) else {
                    throw fail(lineNumber, "dns.id '\(text(idRange))' is not a DNS ID (0x0000-0xffff)")
                }
                if !responses.isEmpty {
                    let r = responses[i < responses.count ? i : 0]
                    if r.count == 1, bytes[r.lowerBound] == UInt8(ascii: "1") {
                        set.ignore("responses")
                        continue
                    }
                    if !(r.count == 1 && bytes[r.lowerBound] == UInt8(ascii: "0")) {
                        switch text(r).lowercased() {
                        case "true":
                            set.ignore("responses")
                            continue
                        case "false", "":
                            break
                        default:
                            throw fail(lineNumber, "dns.flags.response '\(text(r))' is not 0/1 or False/True")
                        }
                    }
                }
                guard !names.isEmpty else {
                    set.ignore("queries without dns.qry.name")
                    continue
                }
                let name = text(names[i < names.count ? i : 0])
                set.records.append(ObservedRecord(line: lineNumber,
                                                  key: VerifyKey.make([String(id), VerifyText.dnsName(name)]), time: time))
            }
        }
        if columns == nil {
            throw VerifyInputError(file: file, "empty: no header line and no rows")
        }
        if responseColumn == nil, !set.records.isEmpty {
            set.notes.append("no dns.flags.response column: every row with a dns.id counted as a query")
        }
        return set
    }

    /// The ranges of `range` between `separator`s (none for an empty range), without surrounding quotes.
    private static func split(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, by separator: UInt8,
                              into out: inout [Range<Int>], unquoting: Bool = false) {
        out.removeAll(keepingCapacity: true)
        if range.isEmpty { return }
        var from = range.lowerBound
        func add(_ r: Range<Int>) {
            if unquoting, r.count >= 2, bytes[r.lowerBound] == bytes[r.upperBound - 1],
               bytes[r.lowerBound] == UInt8(ascii: "\"") || bytes[r.lowerBound] == UInt8(ascii: "'") {
                out.append((r.lowerBound + 1)..<(r.upperBound - 1))
            } else {
                out.append(r)
            }
        }
        for i in range where bytes[i] == separator {
            add(from..<i)
            from = i + 1
        }
        add(from..<range.upperBound)
    }

    /// `0x1234` or decimal digits.
    private static func dnsID(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt16? {
        var i = range.lowerBound
        var value: UInt32 = 0
        if range.count > 2, bytes[i] == UInt8(ascii: "0"), bytes[i + 1] | 0x20 == UInt8(ascii: "x") {
            i += 2
            guard range.upperBound - i <= 8 else { return nil }
            while i < range.upperBound {
                guard let d = VerifyText.hexDigit(bytes[i]) else { return nil }
                value = value << 4 | UInt32(d)
                i += 1
            }
        } else {
            guard range.count <= 5 else { return nil }
            while i < range.upperBound {
                guard (0x30...0x39).contains(bytes[i]) else { return nil }
                value = value * 10 + UInt32(bytes[i] - 0x30)
                i += 1
            }
        }
        return value <= 0xFFFF ? UInt16(value) : nil
    }

    /// Unix seconds with an optional fraction, as frame.time_epoch prints them, in ns.
    private static func secondsNanos(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
        var i = range.lowerBound
        var seconds: Int64 = 0
        var digits = 0
        while i < range.upperBound, (0x30...0x39).contains(bytes[i]) {
            guard digits < 11 else { return nil } // before the twentieth digit overflows
            seconds = seconds * 10 + Int64(bytes[i] - 0x30)
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        var nanos: Int64 = 0
        if i < range.upperBound {
            guard bytes[i] == UInt8(ascii: ".") else { return nil }
            i += 1
            var fraction = 0
            while i < range.upperBound, (0x30...0x39).contains(bytes[i]) {
                if fraction < 9 { nanos = nanos * 10 + Int64(bytes[i] - 0x30) }
                fraction += 1
                i += 1
            }
            guard fraction > 0, i == range.upperBound else { return nil }
            for _ in min(fraction, 9)..<9 { nanos *= 10 }
        }
        return VerifyText.nanos(seconds: seconds, plus: nanos)
    }
}
