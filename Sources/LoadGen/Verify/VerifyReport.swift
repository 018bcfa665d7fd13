/// The outcome of `loadgen verify`: counts, the first few missed / unexpected / duplicated keys, the capture ratio
/// and the observe-delay distribution.
struct VerifyReport {
    struct KeyPart: Equatable {
        var name: String
        var value: String
        /// Printed as a JSON number (a DNS ID, a converted integer).
        var numeric: Bool
    }

    struct Missed {
        var seq: UInt64
        var sent: SentTimes
        /// nil when the event lacks a join field.
        var key: [KeyPart]?
        var connection: UInt64?
        var events: Int
    }

    struct Unexpected {
        var line: Int
        var key: [KeyPart]
        var netns: UInt64?
    }

    struct Duplicate {
        var key: [KeyPart]
        var generated: Int
        var extra: Int
    }

    var format: VerifyFormat
    var eventsFile: String
    var observedFile: String
    /// What one generated unit is (`DNS queries`, `TCP connections`, `events`) and what one observed record is.
    var unitNoun: String
    var observedNoun: String
    var keyNames: [String]

    var generated: Int
    /// Log lines behind `generated` (more than `generated` for connections).
    var generatedEvents: Int
    /// Log lines of another kind than the format joins (HTTP events in a DNS verify).
    var otherKindEvents: Int
    /// Generated units lacking a join field (always missed).
    var unkeyed: Int
    /// Records taking part in the join, and of them those seen on the receiving side.
    var observed: Int
    var observedReceived: Int
    var ignored: [(reason: String, count: Int)]
    var matched: Int
    var matchedReceivedOnly: Int
    var missed: Int
    var missedSamples: [Missed]
    var unexpected: Int
    var unexpectedOtherNetns: Int
    var unexpectedSamples: [Unexpected]
    var duplicates: Int
    var duplicateSamples: [Duplicate]
    var delay: ObserveDelaySummary?
    /// The clocks the delays were measured on.
    var delayClocks: [ObservedClock]
    var delaysWithoutSentTime: Int
    /// Whether the tracer reported network namespaces (and they had to match).
    var netnsMatched: Bool
    var notes: [String]
    /// Observations without a readable key (`ObservedSet.countedOnly`), and how many of the units the join left
    /// unmatched they account for (included in `matched`).
    var countedOnly = 0
    var matchedByCount = 0

    /// 0 when nothing generated was missed, 3 when something was (a CI job gates on it), 1 when nothing was
    /// generated (no ground truth is never a pass; `Verifier.run` refuses such a log before it gets here).
    var exitCode: Int32 { generated == 0 ? 1 : missed == 0 ? 0 : 3 }

    /// matched / generated; nil when nothing was generated.
    var captureRatio: Double? { generated == 0 ? nil : Double(matched) / Double(generated) }

    init(format: VerifyFormat, eventsFile: String, observedFile: String, units: [VerifyUnit], otherKindEvents: Int,
         observed set: ObservedSet, join: VerifyJoin, options: VerifyOptions) {
        self.format = format
        self.eventsFile = eventsFile
        self.observedFile = observedFile
        unitNoun = VerifyReport.unitNoun(format)
        observedNoun = set.noun
        keyNames = set.keyNames
        let numeric = VerifyReport.numericKeyParts(format, options: options)
        func parts(_ key: String) -> [KeyPart] {
            zip(set.keyNames, VerifyKey.parts(key)).enumerated().map { i, pair in
                KeyPart(name: pair.0, value: pair.1, numeric: i < numeric.count && numeric[i] && Int64(pair.1) != nil)
            }
        }

        generated = units.count
        generatedEvents = units.reduce(0) { $0 + $1.events }
        self.otherKindEvents = otherKindEvents
        unkeyed = units.reduce(0) { $0 + ($1.key == nil ? 1 : 0) }
        observed = set.records.count + set.countedOnly
        observedReceived = set.records.reduce(0) { $0 + ($1.side == .received ? 1 : 0) }
        ignored = set.ignored
        matched = join.matched
        matchedReceivedOnly = join.matchedReceivedOnly
        missed = join.missed.count
        missedSamples = join.missed.prefix(VerifyJoin.sampleLimit).map { u in
            let unit = units[u]
            return Missed(seq: unit.seq, sent: unit.sent, key: unit.key.map(parts), connection: unit.connection,
                          events: unit.events)
        }
        unexpected = join.unexpected
        unexpectedOtherNetns = join.unexpectedOtherNetns
        unexpectedSamples = join.unexpectedSamples.map { r in
            let record = set.records[r]
            return Unexpected(line: record.line, key: parts(record.key), netns: record.netns)
        }
        duplicates = join.duplicates
        duplicateSamples = join.duplicateSamples.map { Duplicate(key: parts($0.key), generated: $0.generated, extra: $0.extra) }
        delay = ObserveDelaySummary(join.delays)
        delayClocks = join.delayClocks
        delaysWithoutSentTime = join.delaysWithoutSentTime
        netnsMatched = set.records.contains { $0.netns != nil && $0.side == .sent }
        notes = set.notes
        creditByCount(set.countedOnly, joined: set.records.count)
        addNotes()
    }

    private static func unitNoun(_ format: VerifyFormat) -> String {
        switch format {
        case .igTraceDNS, .tsharkFields: "DNS queries"
        case .igTraceTCP: "TCP connections"
        case .igTraceSSL: "HTTP/1.1 requests over TLS"
        case .jsonl: "events"
        }
    }

    /// Which key parts are numbers (printed as JSON numbers).
    private static func numericKeyParts(_ format: VerifyFormat, options: VerifyOptions) -> [Bool] {
        switch format {
        case .igTraceDNS, .tsharkFields: [true, false]
        case .igTraceTCP, .igTraceSSL: [false, false]
        case .jsonl: options.keys.map { $0.conversion == .number || $0.conversion == .hex }
        }
    }

    /// Counts the observations without a key against the units the join left unmatched: those they cover are
    /// matched (which ones cannot be told, so no missed unit is named), the rest are unexpected.
    private mutating func creditByCount(_ counted: Int, joined: Int) {
        guard counted > 0 else { return }
        countedOnly = counted
        matchedByCount = min(counted, missed)
        matched += matchedByCount
        missed -= matchedByCount
        unexpected += counted - matchedByCount
        missedSamples = []
        if joined == 0 {
            notes.append("the per-event join was not possible: none of the \(counted) \(observedNoun) has a readable request line; they were counted against the \(generated) \(unitNoun) generated")
        } else {
            notes.append("\(counted) \(observedNoun) without a readable request line were counted against the \(matchedByCount + missed) \(unitNoun) the join left unmatched")
        }
        if missed > 0 { notes.append("which \(unitNoun) were missed cannot be told: some observations were only counted") }
    }

    private mutating func addNotes() {
        if generated == 0 {
            notes.append("the events log has no \(unitNoun); check --events and --format")
        } else if observed == 0 {
            notes.append("no \(observedNoun) in the observed file; check --observed and --format")
        }
        if unkeyed > 0 {
            let fields = format == .igTraceTCP ? "src/dst" : format == .igTraceSSL ? "method/url" : keyNames.joined(separator: "/")
            notes.append("\(unkeyed) of the \(unitNoun) have no \(fields) in the log and cannot be matched")
        }
        if delaysWithoutSentTime > 0 {
            notes.append("\(delaysWithoutSentTime) matches have a timestamp whose clock the events log has no sent time for")
        }
    }
}
