/// What one loop thread measured; handed to the main thread after join and merged into a `RunResult`.
struct ThreadResult: Sendable {
    var threadIndex = 0
    /// The namespace label this thread ran in ("" for the caller's own).
    var netns = ""
    var netnsInode: UInt64 = 0
    var tid: Int32 = 0
    var counters = Counters()
    /// Completion − intended send time (coordinated-omission corrected).
    var responseTime = LatencyHistogram()
    /// Completion − actual send time.
    var serviceTime = LatencyHistogram()
    /// First actual send − intended send time, per sent event (in closed loop: the wait from issue to send).
    var scheduleLag = LatencyHistogram()
    /// The warmup's events (`--warmup`), apart: the histograms above leave them out. Nil until the first one ends
    /// (its two histograms are not allocated in runs without a warmup).
    var warmup: EventPart?
    /// A shaped run's step windows (`StepPlan`), in order; nil without a shape.
    var steps: [StepPart]?
    /// Monotonic times of the first and last send, 0 when nothing was sent.
    var firstSentNanos: UInt64 = 0
    var lastSentNanos: UInt64 = 0
    /// When the last event finished.
    var endNanos: UInt64 = 0
    /// user+sys CPU of this thread while it ran the load.
    var cpuNanos: UInt64 = 0
    /// Sockets the thread opened and how many were outside its namespace (must be 0).
    var socketsOpened = 0
    var socketsOutsideNetns = 0
    /// Answers with the TC bit (DNS), counted within `completed`.
    var truncated: UInt64 = 0
    /// DNS answers that matched no query in flight, and queries sent again (zero for other protocols).
    var dns = DNSCounters()
    /// tcp and udp: the addresses this thread sent to (`ip:port`; a host name's as resolved in its netns).
    var targetAddresses: [String] = []
    /// tcp and udp: the sent events of each target and address (`EventLedger` counts them).
    var perAddress: [AddressPart] = []
    /// Connections opened (HTTP; 0 for DNS over UDP).
    var connectionsOpened: UInt64 = 0
    /// Response bytes received.
    var bytesReceived: UInt64 = 0
    /// When this thread stopped issuing (its count or duration used up, or a stop request), monotonic ns.
    var issuingEndNanos: UInt64 = 0
    /// Sent events the server did not process that went out once more on another connection (counted once).
    var retried: UInt64 = 0
    /// HTTP/2 bookkeeping (zero for other protocols).
    var h2 = H2Counters()
    /// TLS handshakes and SSL_write calls (zero without TLS).
    var tls = TLSCounters()
    /// Connection attempts that failed, by kind (not requests: a request is sent only on a connected socket).
    var connectErrors = [UInt64](repeating: 0, count: ErrorKind.allCases.count)
    /// When each kind of connection failure first happened (monotonic ns, 0: never).
    var firstConnectErrorNanos = [UInt64](repeating: 0, count: ErrorKind.allCases.count)

    /// Counts a failed connection attempt.
    mutating func recordConnectError(_ kind: ErrorKind, atNanos now: UInt64) {
        connectErrors[kind.rawValue] += 1
        if firstConnectErrorNanos[kind.rawValue] == 0 { firstConnectErrorNanos[kind.rawValue] = now }
    }
}
