import Foundation

/// The human report: what ran where, rates, exact counts, codes, errors and both latency views.
enum TextReport {
    static func make(_ header: ReportHeader, _ result: RunResult, codeNames: (Int) -> String) -> String {
        var lines = [title(header, result)]
        lines += RunWarnings.make(header, result).map { "WARNING " + $0 }
        lines += setup(header, result)
        lines += counts(header, result, codeNames: codeNames)
        lines += latencies(header, result)
        if let findMax = header.findMax { lines += FindMaxReport.text(findMax) }
        if let plan = header.steps, let parts = result.steps, parts.count == plan.windows.count {
            lines += StepReport.text(plan, parts, shape: header.shapeText, runWindowNanos: UInt64(result.durationSeconds * 1e9))
        }
        lines += thresholds(header.thresholds)
        lines.append(String(format: "  client CPU %.1f ms (%.2f ms per 1000 %@)", Double(result.cpuNanos) / 1e6,
                            result.cpuMillisPerThousand, header.eventNoun))
        return lines.joined(separator: "\n") + "\n"
    }

    /// "loadgen dns: 200000 queries from netns bench (inode 4026532000), 2 threads".
    static func title(_ header: ReportHeader, _ result: RunResult) -> String {
        let place = header.netns.map { "netns \($0) (inode \(header.netnsInode))" } ?? "the current netns (inode \(header.netnsInode))"
        let events = Wording.count(result.counters.sent, header.eventNounSingular, header.eventNoun, grouped: false)
        let threads = Wording.count(UInt64(header.threads), "thread")
        return "loadgen \(header.kind): \(events) from \(place), \(threads)\(result.interrupted ? " — interrupted" : "")"
    }

    /// Where the traffic went, what it asked, and the rate.
    static func setup(_ header: ReportHeader, _ result: RunResult) -> [String] {
        var lines: [String] = []
        if header.kind == "dns" {
            lines.append("  servers   \(header.targets.joined(separator: ", ")) (\(header.transport), from \(header.targetsSource))")
        } else {
            var shown = header.targets.prefix(3).joined(separator: ", ") + (header.targets.count > 3 ? " and \(header.targets.count - 3) more" : "")
            let resolved = result.targetAddresses.filter { !header.targets.contains($0) }
            if !resolved.isEmpty { shown += " (resolved to \(resolved.joined(separator: ", ")))" }
            lines.append("  targets   \(shown) (\(header.targetsSource))")
        }
        if !header.workload.isEmpty {
            let shown = header.workload.prefix(3).joined(separator: ", ")
            lines.append("  asking    \(shown)\(header.workload.count > 3 ? " and \(header.workload.count - 3) more" : "")")
        }
        let mode: String
        if let rate = header.requestedRate {
            mode = "open loop, requested \(rate: rate)/s, achieved \(rate: result.achievedRate)/s"
        } else {
            mode = "closed loop, \(header.concurrency) in flight, \(rate: result.achievedRate)/s"
        }
        lines.append("  rate      \(mode); \(String(format: "%.3f", result.durationSeconds)) s in all")
        if !header.shard.isWhole || header.startAt != nil {
            var part = header.shard.isWhole ? "the whole schedule" : "shard \(header.shard) (the events i ≡ \(header.shard.index) mod \(header.shard.count) of the global schedule)"
            if let startAt = header.startAt { part += ", event 0 at --start-at \(startAt)" }
            lines.append("  shard     \(part)")
        }
        return lines
    }

    /// Exact counts, codes, traffic, per-namespace parts, events never sent and errors.
    static func counts(_ header: ReportHeader, _ result: RunResult, codeNames: (Int) -> String) -> [String] {
        let c = result.counters
        var lines: [String] = []
        lines.append("  events    sent \(c.sent)  completed \(c.completed)  timeouts \(c.timeouts)  errors \(c.errors)  cancelled \(c.cancelled)\(c.balanced ? "" : "  (UNBALANCED: \(c.inFlight) unaccounted)")")
        let codes = c.codes.sorted { $0.key < $1.key }.map { "\(codeNames($0.key)) \($0.value)" }
        lines.append("  \(header.codesKey.padding(toLength: 9, withPad: " ", startingAt: 0)) \(codes.isEmpty ? "none" : codes.joined(separator: "  "))")
        if header.isHTTP || header.kind == "scenario" { lines += http(header, result) }
        if header.kind == "tcp" || header.kind == "udp" { lines += TargetReport.text(result.perTarget) + kindTraffic(header, result) }
        let parts = result.byNetns
        if parts.count > 1 {
            for part in parts {
                let pc = part.counters
                let name = part.threads.first.map { $0.netns.isEmpty ? "(own)" : $0.netns } ?? ""
                lines.append("  netns     \(name): sent \(pc.sent)  completed \(pc.completed)  timeouts \(pc.timeouts)  errors \(pc.errors)  cancelled \(pc.cancelled), \(rate: part.achievedRate)/s, p50 \(duration(Double(part.responseTime.percentileNanos(50)))) p99 \(duration(Double(part.responseTime.percentileNanos(99))))")
            }
        }
        if c.notSent > 0 {
            let reasons = NotSentReason.allCases.filter { c.notSentCount($0) > 0 }.map { "\($0.name) \(c.notSentCount($0))" }
            let intended = Wording.count(c.intended, "intended event", grouped: false)
            lines.append("  not sent  \(c.notSent) of \(intended) never went out: \(reasons.joined(separator: "  ")) (not counted in sent)")
        }
        let errors = ErrorKind.allCases.filter { c.errorCount($0) > 0 }.map { "\($0.name) \(c.errorCount($0))" }
        lines.append("  errors    \(errors.isEmpty ? "none" : errors.joined(separator: "  "))")
        if result.truncated > 0 && header.kind != "udp" {
            lines.append("  truncated \(Wording.count(result.truncated, "answer", grouped: false)) had the TC bit set")
        }
        if result.retried > 0 {
            lines.append("  retried   \(Wording.count(result.retried, "event", grouped: false)) went out once more on a new connection (each counted once)")
        }
        if result.dns.any && header.kind != "udp" {
            let d = result.dns
            lines.append("  answers   no query took: duplicates \(d.duplicateAnswers)  late \(d.lateAnswers)  id_mismatch \(d.idMismatches); sent again over TCP: tc_fallbacks \(d.tcFallbacks)")
        }
        if result.socketsOutsideNetns > 0 {
            lines.append("  WARNING   \(result.socketsOutsideNetns) of \(Wording.count(UInt64(result.socketsOpened), "socket", grouped: false)) \(result.socketsOutsideNetns == 1 ? "was" : "were") outside the target netns")
        }
        return lines
    }

    /// tcp: bytes read and connections established; udp: echoes and what arrived that completed nothing.
    static func kindTraffic(_ header: ReportHeader, _ result: RunResult) -> [String] {
        let bytes = Wording.count(result.bytesReceived, "byte", grouped: false)
        let refusals = ErrorKind.allCases.filter { result.connectErrors[$0.rawValue] > 0 }
            .map { "\($0.name) \(result.connectErrors[$0.rawValue])" }
        if header.kind == "tcp" {
            let connections = Wording.count(result.connectionsOpened, "connection", grouped: false)
            return ["  traffic   \(bytes) received, \(connections) established"]
        }
        var lines = ["  traffic   \(bytes) received; ICMP errors: \(refusals.isEmpty ? "none" : refusals.joined(separator: "  "))"]
        if result.dns.any || result.truncated > 0 {
            let d = result.dns
            lines.append("  echoes    no event took: duplicates \(d.duplicateAnswers)  late \(d.lateAnswers)  truncated \(result.truncated)  foreign \(d.idMismatches)")
        }
        return lines
    }

    /// HTTP status classes, traffic and HTTP/2 bookkeeping.
    static func http(_ header: ReportHeader, _ result: RunResult) -> [String] {
        var lines: [String] = []
        let classes = JSONReport.statusClasses(result.counters).map { "\($0.0) \($0.1)" }.joined(separator: "  ")
        lines.append("  classes   \(classes)")
        let connectErrors = ErrorKind.allCases.filter { result.connectErrors[$0.rawValue] > 0 }
            .map { "\($0.name) \(result.connectErrors[$0.rawValue])" }
        let bytes = Wording.count(result.bytesReceived, "byte", grouped: false)
        let connections = Wording.count(result.connectionsOpened, "connection", grouped: false)
        lines.append("  traffic   \(bytes) received, \(connections) opened, connect errors: \(connectErrors.isEmpty ? "none" : connectErrors.joined(separator: "  "))")
        if header.transport == "tls" || header.transport == "https" { lines.append(TLSReport.line(result.tls)) }
        if header.kind == "http2" {
            let h = result.h2
            let counted = [Wording.count(h.streamsOpened, "stream", grouped: false), Wording.count(h.goAwaysReceived, "GOAWAY", grouped: false),
                           Wording.count(h.resetsReceived, "reset", grouped: false) + " received", "\(h.retried) retried"]
            lines.append(String(format: "  http/2    %@; HPACK saved %.1f%% of header bytes",
                                counted.joined(separator: ", "), H2Counters.saving(h) * 100))
        }
        return lines
    }

    /// Response time (leading) and service time, and what each measures.
    static func latencies(_ header: ReportHeader, _ result: RunResult) -> [String] {
        // Closed loop: an event is intended when loadgen issues it; it is sent when it goes out (after waiting
        // for a connection or a batch), so response time includes that wait and service time does not.
        let responseTitle = header.requestedRate != nil
            ? "response time (from the intended send time: coordinated omission corrected)"
            : "response time (closed loop: from when the event was issued, including any wait for a connection or a send)"
        var lines = ["  \(responseTitle)"]
        lines += table(result.responseTime)
        lines.append("  service time (from the actual send)")
        lines += table(result.serviceTime)
        lines.append(scheduleLagLine(result.scheduleLag))
        if let warmup = header.warmupNanos { lines.append(warmupLine(result.warmup ?? EventPart(), nanos: warmup, noun: header.eventNoun)) }
        if result.responseTime.overRange > 0 {
            lines.append("  \(Wording.count(result.responseTime.overRange, "latency", "latencies", grouped: false)) above the 1 h range \(result.responseTime.overRange == 1 ? "was" : "were") counted at its top")
        }
        return lines
    }

    /// The warmup's events, counted in the totals above but not in the latencies.
    static func warmupLine(_ w: EventPart, nanos: UInt64, noun: String) -> String {
        var line = "  warmup    the first \(TimeSpan(nanos: nanos)): sent \(w.sent)  completed \(w.completed)  timeouts \(w.timeouts)  errors \(w.errors)  cancelled \(w.cancelled)"
        if !w.responseTime.isEmpty {
            line += "; response p50 \(duration(Double(w.responseTime.percentileNanos(50))))  p99 \(duration(Double(w.responseTime.percentileNanos(99))))"
        }
        return line + " (in the counts, not in the latencies above)"
    }

    /// Actual send − intended send per event: how closely the sends kept the schedule.
    static func scheduleLagLine(_ h: LatencyHistogram) -> String {
        guard !h.isEmpty else { return "  schedule lag (actual send - intended): nothing sent" }
        let p = h.percentilesNanos([50, 90, 99, 99.9])
        let values = [("p50", p[0]), ("p90", p[1]), ("p99", p[2]), ("p99.9", p[3]), ("max", h.maxNanos)]
        return "  schedule lag (actual send - intended): " + values.map { "\($0.0) \(duration(Double($0.1)))" }.joined(separator: "  ")
    }

    static func table(_ h: LatencyHistogram) -> [String] {
        let names = ["min", "mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"]
        if h.isEmpty { return ["            no answers"] }
        let p = h.percentilesNanos([50, 90, 99, 99.9, 99.99]).map { Double($0) }
        let values: [Double] = [Double(h.minNanos), h.meanNanos] + p + [Double(h.maxNanos)]
        let head = names.map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined()
        let row = values.map { duration($0).padding(toLength: 10, withPad: " ", startingAt: 0) }.joined()
        return ["            " + head, "            " + row]
    }

    /// 812ns, 41.2us, 12.34ms, 1.234s.
    static func duration(_ nanos: Double) -> String {
        switch nanos {
        case ..<1_000: String(format: "%.0fns", nanos)
        case ..<1_000_000: String(format: nanos < 100_000 ? "%.1fus" : "%.0fus", nanos / 1e3)
        case ..<1_000_000_000: String(format: "%.2fms", nanos / 1e6)
        default: String(format: "%.3fs", nanos / 1e9)
        }
    }
}

extension DefaultStringInterpolation {
    /// A rate with thousands grouping and at most one decimal: 20,000 or 9,999.8.
    mutating func appendInterpolation(rate value: Double) {
        let whole = value.rounded(.towardZero)
        let tenth = Int(((value - whole) * 10).rounded())
        var digits = String(Int64(whole) + (tenth == 10 ? 1 : 0))
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        appendLiteral(tenth == 0 || tenth == 10 ? grouped : "\(grouped).\(tenth)")
    }
}
