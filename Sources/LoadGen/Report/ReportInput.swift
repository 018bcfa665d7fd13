/// One `loadgen --json` report read back (DESIGN.md §5) for `loadgen merge`: its header, its threads as the
/// report lists them, and every total, with the histograms decoded from their `hdr` members. The totals are
/// carried by the first thread of the document (and, for runs across several namespaces, each namespace's response
/// time and not-sent events by the first thread of that namespace), so that summing threads reproduces the
/// document's totals, per thread and per namespace, exactly.
struct ReportInput {
    var header: ReportHeader
    var threads: [ThreadResult]
    var runNanos: UInt64
    var windowNanos: UInt64
    var cpuNanos: UInt64
    var interrupted: Bool
    /// Where the document came from ("FILE:LINE"), for messages about it.
    var source: String
    /// A sharded run's `shard` (nil for a whole run).
    var shard: Shard?

    init(_ doc: JSONInput.Object) throws(JSONInput.Failure) {
        guard try doc.string("tool") == "loadgen" else {
            throw JSONInput.Failure(description: "\(doc.path): not a loadgen report ('tool' is not \"loadgen\")")
        }
        source = doc.path
        shard = try ReportInput.shard(doc)
        header = try ReportInput.header(doc)
        runNanos = ReportInput.nanos(seconds: try doc.double("run_s"))
        windowNanos = ReportInput.nanos(seconds: try doc.double("duration_s"))
        cpuNanos = ReportInput.nanos(millis: try doc.double("client_cpu_ms"))
        interrupted = try doc.bool("interrupted")
        threads = try ReportInput.threads(doc)
        try ReportInput.checkFates(doc)
        try ReportInput.checkThreadsAddUp(doc, threads)
        if header.kind == "udp" { try ReportInput.checkEchoes(doc) }
        try ReportInput.attachTotals(doc, kind: header.kind, to: &threads[0])
        // tcp and udp: the addresses and each target's counts (reports of loadgen before them have neither).
        if doc.has("addresses") { threads[0].targetAddresses = try doc.strings("addresses") }
        if doc.has("per_target") { threads[0].perAddress = try TargetReport.read(doc) }
        try ReportInput.attachNetnsParts(doc, to: &threads)
        try ReportInput.attachShape(doc, header: &header, to: &threads[0])
        if doc.has("warmup") {
            let warmup = try doc.object("warmup")
            header.warmupNanos = ReportInput.nanos(seconds: try warmup.double("duration_s"))
            threads[0].warmup = try ReportInput.warmup(warmup)
        }
    }

    /// A report's `warmup` object: its counts (within the document's totals) and histograms.
    static func warmup(_ o: JSONInput.Object) throws(JSONInput.Failure) -> EventPart {
        var w = EventPart()
        (w.sent, w.completed, w.timeouts) = (try o.uint("sent"), try o.uint("completed"), try o.uint("timeouts"))
        (w.errors, w.cancelled) = (try o.uint("errors"), try o.uint("cancelled"))
        guard w.sent == w.completed + w.timeouts + w.errors + w.cancelled else {
            throw JSONInput.Failure(description: "\(o.path): sent \(w.sent) is not completed + timeouts + errors + cancelled")
        }
        w.responseTime = try histogram(o.object("latency_us"), overRange: 0)
        w.serviceTime = try histogram(o.object("service_time_us"), overRange: 0)
        return w
    }

    // Times read back saturate at about 292 years (Int64.max ns): a report cannot hold more, and hostile values
    // must not trap the conversion.
    static func nanos(seconds: Double) -> UInt64 { saturated(seconds * 1e9) }
    static func nanos(millis: Double) -> UInt64 { saturated(millis * 1e6) }
    static func nanos(micros: Double) -> UInt64 { saturated(micros * 1e3) }
    private static func saturated(_ nanos: Double) -> UInt64 { UInt64(min(max(nanos, 0), 9.2e18).rounded()) }

    private static func header(_ doc: JSONInput.Object) throws(JSONInput.Failure) -> ReportHeader {
        let kind = try doc.string("kind")
        guard kinds.contains(kind) else {
            throw JSONInput.Failure(description: "\(doc.path): kind '\(kind)' is not \(kinds.dropLast().joined(separator: ", ")) or \(kinds.last!)")
        }
        return ReportHeader(
            version: try doc.string("version"), kind: kind, eventNoun: eventNoun(kind: kind),
            threads: Int(clamping: try doc.uint("threads")), netns: try doc.optionalString("netns"),
            netnsInode: try doc.uint("netns_inode"), requestedRate: try doc.optionalDouble("requested_rate"),
            concurrency: Int(clamping: try doc.uint("concurrency")), timeoutNanos: nanos(seconds: try doc.double("timeout_s")),
            count: nil, durationNanos: nil, targets: try doc.strings("servers"),
            targetsSource: try doc.string("servers_source"), transport: try doc.string("transport"), workload: [])
    }

    /// The threads of `per_thread` with their own counts; a document without any gets one that carries it all.
    private static func threads(_ doc: JSONInput.Object) throws(JSONInput.Failure) -> [ThreadResult] {
        var threads: [ThreadResult] = []
        for part in try doc.objects("per_thread") {
            var t = ThreadResult()
            t.threadIndex = Int(clamping: try part.uint("thread"))
            t.tid = Int32(clamping: try part.uint("tid"))
            t.netns = try part.string("netns")
            t.netnsInode = try part.uint("netns_inode")
            t.counters.sent = try part.uint("sent")
            t.counters.completed = try part.uint("completed")
            t.counters.timeouts = try part.uint("timeouts")
            t.counters.errors = try part.uint("errors")
            t.counters.cancelled = try part.uint("cancelled")
            t.cpuNanos = nanos(millis: try part.double("cpu_ms"))
            threads.append(t)
        }
        if threads.isEmpty {
            var t = ThreadResult()
            t.netnsInode = try doc.uint("netns_inode")
            t.netns = try doc.optionalString("netns") ?? ""
            t.counters.sent = try doc.uint("sent")
            t.counters.completed = try doc.uint("completed")
            t.counters.timeouts = try doc.uint("timeouts")
            t.counters.errors = try doc.uint("errors")
            t.counters.cancelled = try doc.uint("cancelled")
            threads.append(t)
        }
        return threads
    }

    /// A document whose threads do not add up to its totals is damaged (or edited): merging it would be wrong.
    private static func checkThreadsAddUp(_ doc: JSONInput.Object, _ threads: [ThreadResult]) throws(JSONInput.Failure) {
        let sums: [(String, KeyPath<Counters, UInt64>)] = [("sent", \.sent), ("completed", \.completed),
                                                         ("timeouts", \.timeouts), ("errors", \.errors), ("cancelled", \.cancelled)]
        for (key, path) in sums {
            let total = try doc.uint(key)
            let (sum, overflow) = threads.reduce((UInt64(0), false)) { acc, t in
                let (s, o) = acc.0.addingReportingOverflow(t.counters[keyPath: path])
                return (s, acc.1 || o)
            }
            guard !overflow, sum == total else {
                throw JSONInput.Failure(description: "\(doc.path): '\(key)' is \(total) but per_thread adds up to \(overflow ? "more than 2^64" : String(sum))")
            }
        }
        let notSent = try doc.uint("not_sent")
        let reasons = try doc.object("not_sent_reasons")
        var byReason: UInt64 = 0
        for reason in NotSentReason.allCases { byReason &+= try reasons.uint(reason.name) }
        guard byReason == notSent, try doc.uint("intended") == (try doc.uint("sent")) &+ notSent else {
            throw JSONInput.Failure(description: "\(doc.path): intended, sent, not_sent and not_sent_reasons do not add up")
        }
    }

    /// The document's totals that no thread lists: kinds, codes, histograms and the protocol counters.
    private static func attachTotals(_ doc: JSONInput.Object, kind: String, to t: inout ThreadResult) throws(JSONInput.Failure) {
        for (name, count) in try doc.counts("error_kinds") {
            guard let k = ErrorKind.allCases.first(where: { $0.name == name }) else {
                throw JSONInput.Failure(description: "\(doc.path): unknown error kind '\(name)' in error_kinds")
            }
            t.counters.errorKinds[k.rawValue] = count
        }
        let errors = try doc.uint("errors")
        guard t.counters.errorKinds.reduce(0, +) == errors else {
            throw JSONInput.Failure(description: "\(doc.path): error_kinds add up to \(t.counters.errorKinds.reduce(0, +)), not errors \(errors)")
        }
        try readCodes(doc, kind: kind, into: &t.counters)
        t.responseTime = try histogram(doc.object("latency_us"), overRange: try doc.uint("latency_over_range"))
        t.serviceTime = try histogram(doc.object("service_time_us"), overRange: 0)
        // Reports of loadgen before schedule lag was measured have none.
        if doc.has("schedule_lag_us") { t.scheduleLag = try histogram(doc.object("schedule_lag_us"), overRange: 0) }
        t.truncated = try doc.uint("truncated")
        t.dns = DNSCounters(duplicateAnswers: try doc.uint("duplicate_answers"), lateAnswers: try doc.uint("late_answers"),
                            idMismatches: try doc.uint("id_mismatch"), tcFallbacks: try doc.uint("tc_fallbacks"))
        t.bytesReceived = try doc.uint("bytes_received")
        t.connectionsOpened = try doc.uint("connections_opened")
        t.retried = try doc.uint("retried")
        t.socketsOpened = Int(clamping: try doc.uint("sockets_opened"))
        t.socketsOutsideNetns = Int(clamping: try doc.uint("sockets_outside_netns"))
        for (name, count) in try doc.counts("connect_errors") {
            guard let k = ErrorKind.allCases.first(where: { $0.name == name }) else {
                throw JSONInput.Failure(description: "\(doc.path): unknown error kind '\(name)' in connect_errors")
            }
            t.connectErrors[k.rawValue] = count
        }
        if doc.has("tls") { t.tls = try tls(doc.object("tls")) }
        if doc.has("http2") { t.h2 = try http2(doc.object("http2")) }
    }

    /// A latency object (`count`, `min`, `mean`, `stddev`, `max` in µs, `hdr`) as a histogram; `coarse` for a step
    /// window's (two digits, as `LatencyHistogram.coarse()`).
    static func histogram(_ o: JSONInput.Object, overRange: UInt64,
                          coarse: Bool = false) throws(JSONInput.Failure) -> LatencyHistogram {
        let decoded: HdrEncoding.Decoded
        do {
            decoded = try HdrEncoding.decode(try o.string("hdr"))
        } catch let failure as HdrEncoding.Failure {
            throw JSONInput.Failure(description: "\(o.path) hdr: \(failure.description)")
        } catch let failure as JSONInput.Failure {
            throw failure
        } catch {
            throw JSONInput.Failure(description: "\(o.path) hdr: \(error)")
        }
        let count = try o.uint("count")
        guard decoded.totalCount == count else {
            throw JSONInput.Failure(description: "\(o.path): hdr holds \(decoded.totalCount) values, count says \(count)")
        }
        return LatencyHistogram(decoded: decoded, minNanos: nanos(micros: try o.double("min")),
                                maxNanos: nanos(micros: try o.double("max")), meanNanos: try o.double("mean") * 1000,
                                stdDeviationNanos: try o.double("stddev") * 1000, overRange: overRange, coarse: coarse)
    }

    private static func tls(_ o: JSONInput.Object) throws(JSONInput.Failure) -> TLSCounters {
        var t = TLSCounters()
        t.handshakesFull = try o.uint("handshakes_full")
        t.handshakesResumed = try o.uint("handshakes_resumed")
        t.handshakeTime = try histogram(o.object("handshake_us"), overRange: 0)
        t.versions = Dictionary(uniqueKeysWithValues: try o.counts("versions"))
        t.ciphers = Dictionary(uniqueKeysWithValues: try o.counts("ciphers"))
        // Only the most common ALPN protocol is reported: every handshake is credited to it.
        t.alpn = [try o.optionalString("alpn") ?? "": t.handshakes]
        t.sslWriteCalls = try o.uint("ssl_write_calls")
        return t
    }

    private static func http2(_ o: JSONInput.Object) throws(JSONInput.Failure) -> H2Counters {
        H2Counters(streamsOpened: try o.uint("streams_opened"), goAwaysReceived: try o.uint("goaways_received"),
                   resetsReceived: try o.uint("resets_received"), retried: try o.uint("retried"),
                   requestHeaderBytes: try o.uint("request_header_bytes"),
                   requestHeaderBlockBytes: try o.uint("request_header_bytes_hpack"),
                   responseHeaderBytes: try o.uint("response_header_bytes"),
                   responseHeaderBlockBytes: try o.uint("response_header_bytes_hpack"))
    }

    /// Not-sent events by reason, and for runs across namespaces each namespace's response time, go to the first
    /// thread of their namespace: `per_netns` then reads back as the document wrote it. The reasons are dealt out
    /// in order so that both each namespace's `not_sent` and each reason's total hold.
    private static func attachNetnsParts(_ doc: JSONInput.Object, to threads: inout [ThreadResult]) throws(JSONInput.Failure) {
        var reasons = NotSentReason.allCases.map { _ in UInt64(0) }
        let notSent = try doc.object("not_sent_reasons")
        for reason in NotSentReason.allCases { reasons[reason.rawValue] = try notSent.uint(reason.name) }
        let parts = try doc.objects("per_netns")
        let split = parts.count > 1
        if split {
            let overRange = threads[0].responseTime.overRange
            for i in threads.indices { threads[i].responseTime = LatencyHistogram() }
            threads[0].responseTime = LatencyHistogram(overRangeOnly: overRange)
        }
        var reason = 0
        for part in parts {
            let inode = try part.uint("netns_inode")
            guard let first = threads.firstIndex(where: { $0.netnsInode == inode }) else {
                throw JSONInput.Failure(description: "\(part.path): netns inode \(inode) has no thread in per_thread")
            }
            if split { threads[first].responseTime.add(try histogram(part.object("latency_us"), overRange: 0)) }
            var owed = parts.count == 1 ? reasons.reduce(0, +) : try part.uint("not_sent")
            while owed > 0 && reason < reasons.count {
                let take = min(owed, reasons[reason])
                threads[first].counters.notSentReasons[reason] += take
                reasons[reason] -= take
                owed -= take
                if reasons[reason] == 0 { reason += 1 }
            }
        }
        // Reasons no namespace part claimed (a document without per_netns) stay with the first thread.
        for r in reasons.indices { threads[0].counters.notSentReasons[r] += reasons[r] }
    }
}
