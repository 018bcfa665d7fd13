/// The JSON document of DESIGN.md §5: one object, times in microseconds.
enum JSONReport {
    static func make(_ header: ReportHeader, _ result: RunResult, codeNames: (Int) -> String) -> JSON {
        let c = result.counters
        var members: [(String, JSON)] = [
            ("tool", .string(header.tool)),
            ("version", .string(header.version)),
            ("kind", .string(header.kind)),
            ("netns", header.netns.map(JSON.string) ?? .null),
            ("netns_inode", .uint(header.netnsInode)),
            ("threads", .int(Int64(header.threads))),
            ("duration_s", precise(result.durationSeconds)),
            ("requested_rate", header.requestedRate.map(JSON.double) ?? .null),
            ("achieved_rate", .double(result.achievedRate)),
            ("throughput", .double(result.throughput)),
            ("concurrency", .int(Int64(header.concurrency))),
            ("timeout_s", .double(Double(header.timeoutNanos) / 1e9)),
            ("run_s", precise(result.runSeconds)),
            ("intended", .uint(c.intended)),
            ("sent", .uint(c.sent)),
            ("not_sent", .uint(c.notSent)),
            ("not_sent_reasons", .object(NotSentReason.allCases.map { ($0.name, .uint(c.notSentCount($0))) })),
            ("completed", .uint(c.completed)),
            ("timeouts", .uint(c.timeouts)),
            ("errors", .uint(c.errors)),
            ("cancelled", .uint(c.cancelled)),
            ("interrupted", .bool(result.interrupted)),
            ("warnings", .array(RunWarnings.make(header, result).map(JSON.string))),
            ("thresholds", .array(header.thresholds.map(threshold))),
            ("error_kinds", .object(ErrorKind.allCases.map { ($0.name, .uint(c.errorCount($0))) })),
        ]
        let codes = c.codes.sorted { $0.key < $1.key }.map { (codeNames($0.key), JSON.uint($0.value)) }
        members.append((header.codesKey, .object(codes)))
        if header.codesKey == "status" {
            members.append(("status_classes", .object(statusClasses(c).map { ($0.0, JSON.uint($0.1)) })))
        }
        members += [
            ("latency_us", latency(result.responseTime)),
            ("service_time_us", latency(result.serviceTime)),
            ("schedule_lag_us", latency(result.scheduleLag)),
            ("latency_over_range", .uint(result.responseTime.overRange)),
            ("servers", .array(header.targets.map(JSON.string))),
            ("servers_source", .string(header.targetsSource)),
            ("transport", .string(header.transport)),
            ("truncated", .uint(result.truncated)),
            ("duplicate_answers", .uint(result.dns.duplicateAnswers)),
            ("late_answers", .uint(result.dns.lateAnswers)),
            ("id_mismatch", .uint(result.dns.idMismatches)),
            ("tc_fallbacks", .uint(result.dns.tcFallbacks)),
            ("bytes_received", .uint(result.bytesReceived)),
            ("connections_opened", .uint(result.connectionsOpened)),
            ("retried", .uint(result.retried)),
            ("connect_errors", .object(ErrorKind.allCases.map { ($0.name, .uint(result.connectErrors[$0.rawValue])) })),
            ("sockets_opened", .int(Int64(result.socketsOpened))),
            ("sockets_outside_netns", .int(Int64(result.socketsOutsideNetns))),
            ("client_cpu_ms", precise(Double(result.cpuNanos) / 1e6)),
            ("cpu_ms_per_1k", .double(result.cpuMillisPerThousand)),
            ("per_thread", .array(result.threads.map(thread))),
            ("per_netns", .array(result.byNetns.map(netnsPart))),
        ]
        return .object(members + optionalSections(header, result))
    }

    /// What only some runs have: warm-up, shard, shape and find-max, TLS, HTTP/2, udp echoes, targets.
    private static func optionalSections(_ header: ReportHeader, _ result: RunResult) -> [(String, JSON)] {
        var members: [(String, JSON)] = []
        if let warmup = header.warmupNanos { members.append(("warmup", JSONReport.warmup(result.warmup ?? EventPart(), nanos: warmup))) }
        if !header.shard.isWhole {
            members.append(("shard", .object([("index", .int(Int64(header.shard.index))), ("count", .int(Int64(header.shard.count)))])))
        }
        if let startAt = header.startAt { members.append(("start_at", .string(startAt))) }
        if let findMax = header.findMax { members.append(("find_max", FindMaxReport.json(findMax))) }
        if let plan = header.steps, let parts = result.steps, parts.count == plan.windows.count {
            members.append(("rate_shape", header.shapeText.map(JSON.string) ?? .null))
            members.append(("steps", StepReport.json(plan, parts, runWindowNanos: UInt64(result.durationSeconds * 1e9))))
        }
        if header.transport == "tls" || header.transport == "https" { members.append(("tls", TLSReport.json(result.tls))) }
        if header.kind == "http2" { members.append(("http2", http2(result.h2))) }
        if header.kind == "udp" { members.append(("echoes", echoes(result))) }
        if !result.targetAddresses.isEmpty { members.append(("addresses", .array(result.targetAddresses.map(JSON.string)))) }
        if !result.perAddress.isEmpty && header.kind != "scenario" { members.append(("per_target", TargetReport.json(result.perTarget))) }
        return members
    }

    /// `loadgen udp --expect-echo`: datagrams that completed no event (the DNS answer counters, by their UDP names).
    static func echoes(_ result: RunResult) -> JSON {
        .object([
            ("duplicates", .uint(result.dns.duplicateAnswers)),
            ("late", .uint(result.dns.lateAnswers)),
            ("truncated", .uint(result.truncated)),
            ("foreign", .uint(result.dns.idMismatches)),
        ])
    }

    /// HTTP/2 bookkeeping: streams, GOAWAYs, resets, retries and what HPACK saved.
    static func http2(_ h: H2Counters) -> JSON {
        .object([
            ("streams_opened", .uint(h.streamsOpened)),
            ("goaways_received", .uint(h.goAwaysReceived)),
            ("resets_received", .uint(h.resetsReceived)),
            ("retried", .uint(h.retried)),
            ("request_header_bytes", .uint(h.requestHeaderBytes)),
            ("request_header_bytes_hpack", .uint(h.requestHeaderBlockBytes)),
            ("response_header_bytes", .uint(h.responseHeaderBytes)),
            ("response_header_bytes_hpack", .uint(h.responseHeaderBlockBytes)),
            ("header_compression_saved", .double(H2Counters.saving(h))),
        ])
    }

    /// Answers per status class: 1xx … 5xx (HTTP).
    static func statusClasses(_ c: Counters) -> [(String, UInt64)] {
        (1...5).map { cls in
            ("\(cls)xx", c.codes.filter { $0.key / 100 == cls }.reduce(0) { $0 + $1.value })
        }
    }

    /// The warmup's events apart (`--warmup`): its span, counts and latencies.
    static func warmup(_ w: EventPart, nanos: UInt64) -> JSON {
        .object([
            ("duration_s", precise(Double(nanos) / 1e9)),
            ("sent", .uint(w.sent)), ("completed", .uint(w.completed)), ("timeouts", .uint(w.timeouts)),
            ("errors", .uint(w.errors)), ("cancelled", .uint(w.cancelled)),
            ("latency_us", latency(w.responseTime)), ("service_time_us", latency(w.serviceTime)),
        ])
    }

    static func latency(_ h: LatencyHistogram) -> JSON {
        func us(_ nanos: UInt64) -> JSON { .double(Double(nanos) / 1000) }
        let p = h.percentilesNanos([50, 90, 99, 99.9, 99.99])
        return .object([
            ("count", .uint(h.count)),
            ("min", us(h.minNanos)),
            ("mean", .double(h.meanNanos / 1000)),
            ("stddev", .double(h.stdDeviationNanos / 1000)),
            ("p50", us(p[0])),
            ("p90", us(p[1])),
            ("p99", us(p[2])),
            ("p99.9", us(p[3])),
            ("p99.99", us(p[4])),
            ("max", us(h.maxNanos)),
            // Every count, for exact merges (`loadgen merge`) and HdrHistogram's tools: values in nanoseconds.
            ("hdr", .string(h.encoded)),
        ])
    }

    /// {name, limit, measured, held, unit}; `measured` is null when the run gave nothing to measure.
    static func threshold(_ outcome: ThresholdOutcome) -> JSON {
        .object([
            ("name", .string(outcome.threshold.name)),
            ("limit", precise(outcome.threshold.limit)),
            ("measured", outcome.measured.map(precise) ?? .null),
            ("held", .bool(outcome.held)),
            ("unit", .string(outcome.threshold.unit)),
        ])
    }

    /// A number with up to nine decimals (ratios such as 0.000045 would round to 0 at three).
    static func precise(_ value: Double) -> JSON {
        guard value.isFinite else { return .number("0") }
        var text = String(format: "%.9f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return .number(text)
    }

    private static func netnsPart(_ part: RunResult) -> JSON {
        let c = part.counters
        return .object([
            ("netns", .string(part.threads.first?.netns ?? "")),
            ("netns_inode", .uint(part.threads.first?.netnsInode ?? 0)),
            ("threads", .int(Int64(part.threads.count))),
            ("sent", .uint(c.sent)),
            ("completed", .uint(c.completed)),
            ("timeouts", .uint(c.timeouts)),
            ("errors", .uint(c.errors)),
            ("cancelled", .uint(c.cancelled)),
            ("not_sent", .uint(part.notSent)),
            ("achieved_rate", .double(part.achievedRate)),
            ("latency_us", latency(part.responseTime)),
        ])
    }

    private static func thread(_ t: ThreadResult) -> JSON {
        let c = t.counters
        return .object([
            ("thread", .int(Int64(t.threadIndex))),
            ("tid", .int(Int64(t.tid))),
            ("netns", .string(t.netns)),
            ("netns_inode", .uint(t.netnsInode)),
            ("sent", .uint(c.sent)),
            ("completed", .uint(c.completed)),
            ("timeouts", .uint(c.timeouts)),
            ("errors", .uint(c.errors)),
            ("cancelled", .uint(c.cancelled)),
            ("cpu_ms", .double(Double(t.cpuNanos) / 1e6)),
        ])
    }
}
