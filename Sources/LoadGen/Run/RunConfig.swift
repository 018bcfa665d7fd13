/// A validated run, built by the CLI and handed to every loop thread. Immutable and Sendable.
struct RunConfig: Sendable {
    enum Kind: String, Sendable { case dns, http1, http2, tcp, udp }

    struct Load: Sendable {
        /// nil: closed loop.
        var pacer: Pacer?
        /// The rate as the user asked for it, for reports.
        var requestedRate: Double?
        var count: UInt64?
        var durationNanos: UInt64?
        /// Most events in flight across all threads.
        var concurrency: Int
        var timeoutNanos: UInt64
        var threads: Int
        /// Shortest time between two scheduler wake-ups: events due in between go out together (`--pacing
        /// batch`); 0 wakes for each event at its own intended time (`--pacing precise`, the default).
        var tickNanos: UInt64 = 0
        /// This process's part of the global schedule (`--shard`); the rate and count above are global.
        var shard = Shard.whole
        /// Event 0's intended wall-clock time (`--start-at`); nil: just after every thread is ready.
        var startAt: StartTime?
        /// `--warmup`: events intended in the first this-many ns are counted but kept out of the histograms.
        var warmupNanos: UInt64?
        /// A shaped run's report windows (`--steps`, `--ramp`); nil for a constant rate.
        var steps: StepPlan?
        /// The shape as written, for reports.
        var shapeText: String?
    }

    struct Output: Sendable {
        var json = false
        var latencySpectrum = false
        var progress = false
        var quiet = false
        /// The per-event ground-truth log (`--events`), shared by every thread.
        var events: EventSink?
        /// The HdrHistogram interval log (`--hlog`), fed by every thread; without a file for `--progress-json` alone.
        var hlog: IntervalLog?
        /// One JSON line per second on stderr (`--progress-json`).
        var progressJSON = false

        var eventsOnStdout: Bool { events?.isStdout ?? false }
    }

    struct DNS: Sendable {
        /// Every server asked (for reports).
        var servers: [Endpoint]
        /// The servers of each target (its own resolv.conf, or --server for all), in target order.
        var serversByTarget: [[Endpoint]] = []
        /// Where the servers came from: "--server", or the resolv.conf path.
        var serversSource: String
        var questions: [DNSQuestion]
        var tcp: Bool
        /// A truncated UDP answer sends its query again over TCP (`--tc-fallback`).
        var tcFallback = false
        /// How queries travel: udp and tcp through c-ares, tls (RFC 7858) and https (RFC 8484) on the pool.
        var transport = DNSTransport.udp
        /// DNS over TLS: the connections across all threads and how long a connect may take.
        var connections = 1
        var connectTimeoutNanos: UInt64 = 3_000_000_000
        /// DNS over TLS: the run's TLS context (DNS over HTTPS has it in `http.tls`).
        var tls: TLSContext?

        /// The servers loop thread `index` asks: its target's own, or every server.
        func servers(ofThread index: Int, in config: RunConfig) -> [Endpoint] {
            serversByTarget.isEmpty ? servers : serversByTarget[config.target(ofThread: index)]
        }
    }

    /// DNS over HTTPS (RFC 8484): how the queries travel as HTTP/2 requests.
    struct DoH: Sendable {
        enum Method: String, Sendable { case post, get }
        var method: Method
        /// The path of the DNS endpoint, e.g. /dns-query.
        var path: String
        var questions: [DNSQuestion]
    }

    struct HTTP: Sendable {
        /// Requests go round-robin over these targets.
        var targets: [HTTPTarget]
        /// Persistent connections across all threads.
        var connections: Int
        var keepAlive: Bool
        var connectTimeoutNanos: UInt64
        /// Servers for resolving host names inside the netns (empty: c-ares' defaults).
        var dnsServers: [Endpoint]
        /// Extra request headers and the body (HTTP/2 builds its header lists from them; HTTP/1.1 requests are
        /// prebuilt in `targets`).
        var headers: [HTTP1Request.Header] = []
        var body: [UInt8] = []
        /// HTTP/2: most concurrent streams per connection (never more than the server allows).
        var streams = 1
        /// The per-run salt of {rand} placeholders.
        var templateSalt: UInt64 = 0
        /// https:// targets: the run's one TLS context (verification, client certificate, sessions), shared by every
        /// connection of every thread; nil for http://.
        var tls: TLSContext?
        /// DNS over HTTPS: the requests carry DNS queries (`loadgen dns --transport https`).
        var doh: DoH?
    }

    /// `loadgen tcp`: connection churn to one or more endpoints.
    struct TCP: Sendable {
        enum Close: String, Sendable, CaseIterable { case fin, rst }
        /// Connections go round-robin over these, a name's over its addresses (`KindAddresses`).
        var targets: [KindTarget]
        /// Sent once the connection is up (`--send`); nil: nothing.
        var send: Payload?
        /// Bytes to wait for before the event completes (`--expect`); 0: completed when established.
        var expect: Int
        var close: Close
    }

    /// `loadgen udp`: datagrams to one or more endpoints.
    struct UDP: Sendable {
        /// Datagrams go round-robin over these, a name's over its addresses (`KindAddresses`).
        var targets: [KindTarget]
        /// What each datagram carries after the echo tag (`--payload`); nil: filler only.
        var payload: Payload?
        /// Every datagram's size (`--size`); nil: the tag and the payload as expanded.
        var size: Int?
        /// Wait for each datagram's echo (`--expect-echo`); otherwise an event completes when the kernel took it.
        var expectEcho: Bool

        /// The most bytes one datagram takes.
        var maxDatagramBytes: Int {
            size ?? ((expectEcho ? EchoMatcher.tagBytes : 0) + (payload?.maxLength ?? 0))
        }
    }

    var kind: Kind
    var load: Load
    var output: Output
    /// The namespaces to generate from; empty: the caller's own.
    var targets: [NetNamespace] = []
    /// Loop threads per target (`load.threads` is the total).
    var threadsPerTarget = 1
    var dns: DNS?
    var http: HTTP?
    var tcp: TCP?
    var udp: UDP?
    /// What the run gives up once every loop thread is in its netns (`--user`, `--no-drop-privileges`).
    var privileges = PrivilegePlan.keep
    /// Only the loop threads give up the privileges (`--find-max`, whose main thread enters the namespaces anew for
    /// each step; it reads no network input).
    var privilegesOnLoopThreadsOnly = false
    /// In a scenario (`loadgen run`): which stream this config is; nil for a single command's run.
    var stream: StreamID?

    /// A scenario stream: its name marks its event records; its index places its interval-log lanes after the
    /// previous streams' (one lane per stream and thread, as every worker hands in its own seconds).
    struct StreamID: Sendable {
        var name: String
        var index: Int
    }

    /// The target index of loop thread `index`.
    func target(ofThread index: Int) -> Int { index / max(1, threadsPerTarget) }

    /// The namespace of loop thread `index` (nil: the caller's own).
    func netns(ofThread index: Int) -> NetNamespace? {
        targets.isEmpty ? nil : targets[target(ofThread: index)]
    }

    /// How reports name the target(s).
    var targetsLabel: String? {
        targets.isEmpty ? nil : targets.map(\.label).joined(separator: ",")
    }

    /// The plan of thread `index`: its share of the events and of the concurrency. With shards, thread k of T in
    /// shard I of N is lane k·N + I of T·N: it takes the global events i ≡ k·N + I (mod T·N), so the shard's threads
    /// together take exactly the events i ≡ I (mod N), whatever the other shards' thread counts.
    func plan(thread index: Int) -> LoadPlan {
        LoadPlan(pacer: load.pacer, totalEvents: load.count, durationNanos: load.durationNanos,
                 threadIndex: UInt64(index * load.shard.count + load.shard.index),
                 threadCount: UInt64(load.threads * load.shard.count),
                 maxInFlight: Int(LoadPlan.share(of: UInt64(load.concurrency), thread: UInt64(index),
                                                 of: UInt64(load.threads))))
    }

    /// The connection pool's connections, connect timeout and TLS context: HTTP's, or DNS over TLS's.
    var pool: (connections: Int, connectTimeoutNanos: UInt64, tls: TLSContext?) {
        if let http { return (http.connections, http.connectTimeoutNanos, http.tls) }
        let dns = dns!
        return (dns.connections, dns.connectTimeoutNanos, dns.tls)
    }

    /// How long a stopped run waits for answers before cancelling what is still in flight.
    var stopGraceNanos: UInt64 { min(load.timeoutNanos, 1_000_000_000) }
}
