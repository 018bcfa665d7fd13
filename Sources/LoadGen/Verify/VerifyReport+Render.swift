extension VerifyReport {
    /// The text report (stdout).
    func text() -> String {
        var out = "loadgen verify (\(format.rawValue)): \(observedFile) against \(eventsFile)\n"
        func row(_ label: String, _ value: Int, _ rest: String = "") {
            let number = String(value)
            out += label + String(repeating: " ", count: max(1, 24 - label.count - number.count)) + number
            out += rest.isEmpty ? "\n" : "  " + rest + "\n"
        }
        var generatedNote = unitNoun
        if format == .igTraceTCP { generatedNote += " (\(generatedEvents) events)" }
        if otherKindEvents > 0 { generatedNote += "; \(otherKindEvents) events of other kinds left out" }
        row("generated", generated, generatedNote)
        var observedNote = observedNoun
        if observedReceived > 0 { observedNote += " (\(observedReceived) on the receiving side)" }
        if !ignored.isEmpty {
            observedNote += "; ignored: " + ignored.map { "\($0.count) \($0.reason)" }.joined(separator: ", ")
        }
        row("observed", observed, observedNote)
        var matchedNote = captureRatio.map { _ in "capture ratio \(VerifyReport.ratioText(matched, generated)) (\(VerifyReport.percentText(matched, generated)))" } ?? ""
        if matchedReceivedOnly > 0 { matchedNote += "; \(matchedReceivedOnly) seen only on the receiving side" }
        if countedOnly > 0 { matchedNote += "; \(matchedByCount) by count only (\(countedOnly) observed without a key)" }
        row("matched", matched, matchedNote)
        row("missed", missed)
        row("unexpected", unexpected, unexpectedOtherNetns > 0 ? "\(unexpectedOtherNetns) with a key generated in another netns" : "")
        row("duplicates", duplicates, duplicates > 0 ? "observations beyond the times a key was generated" : "")
        if let delay {
            out += "observe delay           min \(VerifyReport.human(delay.min))  p50 \(VerifyReport.human(delay.p50))"
            out += "  p90 \(VerifyReport.human(delay.p90))  p99 \(VerifyReport.human(delay.p99))  max \(VerifyReport.human(delay.max))\n"
            out += "                        \(delay.count) matches; \(delayBasis)\n"
        } else {
            out += "observe delay           n/a (no tracer timestamps on matched records)\n"
        }
        if netnsMatched { out += "netns                   the tracer's network namespace had to match the event's\n" }
        out += samplesText()
        for note in notes { out += "note: \(note)\n" }
        if generated == 0 {
            out += "result: no \(unitNoun) to verify against (exit 1)\n"
        } else if missed == 0 {
            out += "result: every one of the \(generated) \(unitNoun) was observed (exit 0)\n"
        } else {
            out += "result: \(missed) of \(generated) \(unitNoun) missed (exit 3)\n"
        }
        return out
    }

    /// The first missed, unexpected and duplicated keys, a section each.
    private func samplesText() -> String {
        var out = ""
        if !missedSamples.isEmpty {
            out += "missed (first \(missedSamples.count) of \(missed), by seq):\n"
            for m in missedSamples {
                var line = "  seq \(m.seq)"
                if let wall = m.sent.wallText { line += "  sent_wall \(wall)" } else if let mono = m.sent.monotonicNanos { line += "  sent \(mono)" }
                if let c = m.connection { line += "  connection \(c) (\(m.events) events)" }
                line += "  " + (m.key.map(VerifyReport.keyText) ?? "(no \(keyNames.joined(separator: "/")) in the log)")
                out += line + "\n"
            }
        }
        if !unexpectedSamples.isEmpty {
            out += "unexpected (first \(unexpectedSamples.count) of \(unexpected)):\n"
            for u in unexpectedSamples {
                out += "  line \(u.line)  \(VerifyReport.keyText(u.key))" + (u.netns.map { "  netns \($0)" } ?? "") + "\n"
            }
        }
        if !duplicateSamples.isEmpty {
            out += "duplicated keys (first \(duplicateSamples.count)):\n"
            for d in duplicateSamples {
                out += "  \(VerifyReport.keyText(d.key))  generated \(d.generated), observed \(d.extra) more\n"
            }
        }
        return out
    }

    /// What the delays were measured against.
    var delayBasis: String {
        let clocks = delayClocks.map { "\($0.rawValue) clock − \($0.sentField)" }.joined(separator: ", ")
        var text = "tracer time on the \(clocks)"
        if format == .igTraceTCP { text += " of the connection's first request (the connect precedes it)" }
        if format == .igTraceSSL { text += " (trace_ssl stamps the SSL_write's return)" }
        return text
    }

    /// `observe_delay_us`: the clocks compared and the percentiles, or null.
    private func delayJSON() -> JSON {
        guard let delay else { return .null }
        let micros = VerifyReport.microsText
        return .object([
            ("clock", .string(delayClocks.map(\.rawValue).joined(separator: "+"))),
            ("compared_with", .string(delayClocks.map(\.sentField).joined(separator: "+"))),
            ("count", .int(Int64(delay.count))),
            ("min", .number(micros(delay.min))),
            ("p50", .number(micros(delay.p50))),
            ("p90", .number(micros(delay.p90))),
            ("p99", .number(micros(delay.p99))),
            ("max", .number(micros(delay.max))),
        ])
    }

    /// The JSON report: one object.
    func json() -> JSON {
        func key(_ parts: [KeyPart]) -> JSON {
            .object(parts.map { ($0.name, $0.numeric ? .number($0.value) : .string($0.value)) })
        }
        var members: [(String, JSON)] = [
            ("tool", .string("loadgen")),
            ("command", .string("verify")),
            ("version", .string(LoadGenVersion.current)),
            ("format", .string(format.rawValue)),
            ("events_file", .string(eventsFile)),
            ("observed_file", .string(observedFile)),
            ("unit", .string(unitNoun)),
            ("key", .array(keyNames.map(JSON.string))),
            ("generated", .int(Int64(generated))),
            ("generated_events", .int(Int64(generatedEvents))),
            ("other_kind_events", .int(Int64(otherKindEvents))),
            ("unkeyed", .int(Int64(unkeyed))),
            ("observed", .int(Int64(observed))),
            ("observed_received_side", .int(Int64(observedReceived))),
            ("ignored", .object(ignored.map { ($0.reason, .int(Int64($0.count))) })),
            ("matched", .int(Int64(matched))),
            ("matched_received_side_only", .int(Int64(matchedReceivedOnly))),
            ("matched_by_count", .int(Int64(matchedByCount))),
            ("observed_counted_only", .int(Int64(countedOnly))),
            ("missed", .int(Int64(missed))),
            ("capture_ratio", generated == 0 ? .null : .number(VerifyReport.ratioText(matched, generated))),
            ("unexpected", .int(Int64(unexpected))),
            ("unexpected_other_netns", .int(Int64(unexpectedOtherNetns))),
            ("duplicates", .int(Int64(duplicates))),
            ("netns_matched", .bool(netnsMatched)),
        ]
        members.append(("observe_delay_us", delayJSON()))
        members.append(("missed_first", .array(missedSamples.map { m in
            var o: [(String, JSON)] = [("seq", .number(String(m.seq)))]
            if let c = m.connection { o.append(("connection", .number(String(c)))); o.append(("events", .int(Int64(m.events)))) }
            o.append(("sent", m.sent.monotonicNanos.map { .number(String($0)) } ?? .null))
            o.append(("sent_wall", m.sent.wallText.map(JSON.string) ?? .null))
            o.append(("key", m.key.map(key) ?? .null))
            return .object(o)
        })))
        members.append(("unexpected_first", .array(unexpectedSamples.map { u in
            var o: [(String, JSON)] = [("line", .int(Int64(u.line))), ("key", key(u.key))]
            if let n = u.netns { o.append(("netns", .number(String(n)))) }
            return .object(o)
        })))
        members.append(("duplicates_first", .array(duplicateSamples.map { d in
            .object([("key", key(d.key)), ("generated", .int(Int64(d.generated))), ("extra", .int(Int64(d.extra)))])
        })))
        members.append(("notes", .array(notes.map(JSON.string))))
        members.append(("exit_code", .int(Int64(Int(exitCode)))))
        return .object(members)
    }

    static func keyText(_ parts: [KeyPart]) -> String {
        parts.map { part in
            if part.name == "id", part.numeric, let v = UInt64(part.value) {
                return "id=\(part.value) (0x\(String(v, radix: 16)))"
            }
            return "\(part.name)=\(part.value)"
        }.joined(separator: " ")
    }

    /// matched / generated rounded down to 6 decimals, so that anything missed never reads as 1.
    static func ratioText(_ matched: Int, _ generated: Int) -> String {
        guard generated > 0 else { return "0" }
        if matched >= generated { return "1" }
        let millionths = Int((Double(matched) * 1_000_000 / Double(generated)).rounded(.down))
        var digits = String(millionths)
        digits = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return digits.isEmpty ? "0" : "0." + digits
    }

    /// The ratio as a percentage with up to 4 decimals, rounded down.
    static func percentText(_ matched: Int, _ generated: Int) -> String {
        guard generated > 0 else { return "0%" }
        if matched >= generated { return "100%" }
        let tenThousandths = Int((Double(matched) * 1_000_000 / Double(generated)).rounded(.down))
        var fraction = String(tenThousandths % 10_000)
        fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(tenThousandths / 10_000)" + (fraction.isEmpty ? "" : "." + fraction) + "%"
    }

    /// Nanoseconds as microseconds with up to 3 decimals (exact).
    static func microsText(_ nanos: Int64) -> String {
        let magnitude = nanos.magnitude
        var text = String(magnitude / 1000)
        var fraction = String(magnitude % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        if !fraction.isEmpty { text += "." + fraction }
        return (nanos < 0 ? "-" : "") + text
    }

    /// A duration for people: `850ns`, `12.3us`, `4.5ms`, `1.2s`.
    static func human(_ nanos: Int64) -> String {
        let sign = nanos < 0 ? "-" : ""
        let m = nanos.magnitude
        func tenths(_ unit: UInt64, _ suffix: String) -> String {
            let t = (m + unit / 20) / (unit / 10)
            return "\(sign)\(t / 10).\(t % 10)\(suffix)"
        }
        if m < 1_000 { return "\(sign)\(m)ns" }
        if m < 1_000_000 { return tenths(1_000, "us") }
        if m < 1_000_000_000 { return tenths(1_000_000, "ms") }
        return tenths(1_000_000_000, "s")
    }
}
