/// The observed-file formats `loadgen verify` reads.
enum VerifyFormat: String, CaseIterable {
    case igTraceDNS = "ig-trace-dns"
    case igTraceTCP = "ig-trace-tcp"
    case igTraceSSL = "ig-trace-ssl"
    case tsharkFields = "tshark-fields"
    case jsonl
}

/// What `loadgen verify` was asked, validated.
struct VerifyOptions {
    var format: VerifyFormat
    /// jsonl: the join fields.
    var keys: [JSONLinesFormat.Key] = []
    /// jsonl: which records take part.
    var filters: [JSONLinesFormat.Filter] = []
    /// jsonl: the observed timestamp.
    var time: JSONLinesFormat.TimeSpec?
    /// tshark-fields: the column names, when the output has no header line.
    var columns: [String]?
}

/// Joins loadgen's ground-truth event log with what a tracer printed.
enum Verifier {
    static func run(events: UnsafeBufferPointer<UInt8>, eventsFile: String,
                    observed: UnsafeBufferPointer<UInt8>, observedFile: String,
                    options: VerifyOptions) throws(VerifyInputError) -> VerifyReport {
        let extraPaths = switch options.format {
        case .jsonl: JSONLinesFormat.eventPaths(options.keys)
        case .igTraceSSL: IGTraceSSLFormat.eventPaths
        case .igTraceDNS, .igTraceTCP, .tsharkFields: [[String]]()
        }
        let log = try VerifyEventLog.parse(events, file: eventsFile, extraPaths: extraPaths)
        let (units, otherKinds) = makeUnits(log, options: options)
        try checkGroundTruth(units: units.count, events: log.count, file: eventsFile, format: options.format)
        let set: ObservedSet
        switch options.format {
        case .igTraceDNS: set = try IGTraceDNSFormat.parse(observed, file: observedFile)
        case .igTraceTCP: set = try IGTraceTCPFormat.parse(observed, file: observedFile)
        case .igTraceSSL:
            set = try IGTraceSSLFormat.parse(observed, file: observedFile, pids: IGTraceSSLFormat.pids(log))
        case .tsharkFields: set = try TsharkFieldsFormat.parse(observed, file: observedFile, columns: options.columns)
        case .jsonl:
            set = try JSONLinesFormat.parse(observed, file: observedFile, keys: options.keys, filters: options.filters,
                                            time: options.time)
        }
        let join = VerifyJoin(units: units, observed: set.records)
        return VerifyReport(format: options.format, eventsFile: eventsFile, observedFile: observedFile,
                            units: units, otherKindEvents: otherKinds, observed: set, join: join, options: options)
    }

    /// Refuses to verify against nothing: an empty events log (or one without a single event the format joins)
    /// would otherwise report that every one of 0 events was observed.
    static func checkGroundTruth(units: Int, events: Int, file: String, format: VerifyFormat) throws(VerifyInputError) {
        guard units == 0 else { return }
        if events == 0 {
            throw .noGroundTruth(file: file, "no events to verify against (--events): the log is empty; give the file a run wrote with --events FILE, after it sent something")
        }
        let wanted = switch format {
        case .igTraceDNS, .tsharkFields: "DNS query (loadgen dns --events)"
        case .igTraceTCP: "HTTP request or TCP connection (loadgen http|tcp --events)"
        case .igTraceSSL: "HTTP/1.1 request over TLS (loadgen http --events, https:// URLs)"
        case .jsonl: "event"
        }
        throw .noGroundTruth(file: file, "no events to verify against (--events): none of its \(events) events is a \(wanted), which --format \(format.rawValue) joins")
    }

    /// Text in memory (tests, small inputs).
    static func run(events: String, eventsFile: String = "events.jsonl", observed: String,
                    observedFile: String = "observed", options: VerifyOptions) throws(VerifyInputError) -> VerifyReport {
        var e = events
        var o = observed
        let result: Result<VerifyReport, VerifyInputError> = e.withUTF8 { eb in
            o.withUTF8 { ob in
                do throws(VerifyInputError) {
                    return .success(try run(events: eb, eventsFile: eventsFile, observed: ob, observedFile: observedFile,
                                            options: options))
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }

    /// What the tracer should have seen, from the log: DNS events, TCP connections (an HTTP connection's events
    /// count as one; each `loadgen tcp` event is one), or every event (jsonl). Also
    /// the number of log lines of another kind than the format joins.
    static func makeUnits(_ log: [VerifyEvent], options: VerifyOptions) -> ([VerifyUnit], Int) {
        var units: [VerifyUnit] = []
        units.reserveCapacity(log.count)
        var other = 0
        switch options.format {
        case .igTraceDNS, .tsharkFields:
            for e in log {
                let isDNS = e.kind.map { $0 == "dns" } ?? (e.dnsID != nil || e.qname != nil)
                guard isDNS else { other += 1; continue }
                var key: String?
                if let id = e.dnsID, let qname = e.qname { key = IGTraceDNSFormat.key(id: id, qname: qname) }
                units.append(VerifyUnit(seq: e.seq, key: key, netns: e.netns, sent: e.sent))
            }
        case .igTraceTCP:
            struct Connection: Hashable {
                var number: UInt64?
                var src: String?
                var dst: String?
                var netns: UInt64?
            }
            var index: [Connection: Int] = [:]
            for e in log {
                let isConnection = e.kind.map { $0.hasPrefix("http") || $0 == "tcp" } ?? (e.connection != nil || e.src != nil)
                guard isConnection else { other += 1; continue }
                let src = e.src.flatMap(VerifyText.endpoint)
                let dst = e.dst.flatMap(VerifyText.endpoint)
                let key = src.flatMap { s in dst.map { d in VerifyKey.make([s, d]) } }
                if e.kind == "tcp" {
                    // A connection of its own, even when a later one reuses the 4-tuple.
                    units.append(VerifyUnit(seq: e.seq, key: key, netns: e.netns, sent: e.sent))
                    continue
                }
                let connection = Connection(number: e.connection, src: src, dst: e.connection == nil ? dst : nil,
                                            netns: e.netns)
                if key != nil || e.connection != nil, let u = index[connection] {
                    units[u].events += 1
                    if e.seq < units[u].seq {
                        units[u].seq = e.seq
                        units[u].sent = e.sent
                    }
                    if units[u].key == nil { units[u].key = key }
                    continue
                }
                if key != nil || e.connection != nil { index[connection] = units.count }
                units.append(VerifyUnit(seq: e.seq, key: key, netns: e.netns, sent: e.sent, connection: e.connection))
            }
        case .igTraceSSL:
            return IGTraceSSLFormat.makeUnits(log)
        case .jsonl:
            for e in log {
                units.append(VerifyUnit(seq: e.seq, key: JSONLinesFormat.eventKey(e, keys: options.keys), netns: e.netns,
                                      sent: e.sent))
            }
        }
        return (units, other)
    }
}
