/// What a report says about the run besides its measurements: what was generated, where, and how.
struct ReportHeader: Sendable {
    var tool = "loadgen"
    var version = LoadGenVersion.current
    /// "dns", "http1", "http2", "tcp", "udp".
    var kind: String
    /// The event noun for text: "queries", "requests".
    var eventNoun: String
    var threads: Int
    var netns: String?
    var netnsInode: UInt64
    var requestedRate: Double?
    var concurrency: Int
    var timeoutNanos: UInt64
    var count: UInt64?
    var durationNanos: UInt64?
    /// Where the traffic went: DNS servers as `ip:port`.
    var targets: [String]
    /// Where the targets came from ("--server", "/etc/netns/x/resolv.conf").
    var targetsSource: String
    /// "udp", "tcp", "tls" or "https" for DNS; "tcp" or "tls" for HTTP.
    var transport: String
    /// The questions or URLs, for the report (at most a few are shown).
    var workload: [String]
    /// How each threshold given on the command line fared (empty without thresholds).
    var thresholds: [ThresholdOutcome] = []
    /// This process's part of a sharded run (`requestedRate` is its share of the global rate).
    var shard = Shard.whole
    /// `--start-at` as given.
    var startAt: String?
    /// `--warmup`: the first this-many ns of the schedule are reported apart.
    var warmupNanos: UInt64?
    /// A shaped rate (`--steps`, `--ramp`) as written, and its report windows.
    var shapeText: String?
    var steps: StepPlan?
    /// `--find-max`: what the search found; the rest of the report is the step at the highest rate that held.
    var findMax: FindMaxSummary?

    /// The event noun for one event: "query", "request".
    var eventNounSingular: String { Wording.singular(eventNoun) }

    /// An HTTP run (http1, http2): its codes are statuses, with status classes and traffic lines.
    var isHTTP: Bool { kind.hasPrefix("http") }

    /// What the report calls the answer codes: rcodes (dns), status (http), outcomes (tcp, udp).
    var codesKey: String { kind == "dns" ? "rcodes" : isHTTP || kind == "scenario" ? "status" : "outcomes" }
}

enum LoadGenVersion {
    static let current = "0.1.0"
}
