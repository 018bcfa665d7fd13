import ArgumentParser

/// `loadgen tcp HOST:PORT [HOST:PORT ...]`: TCP connection churn at a rate or closed loop, from inside a netns.
struct TCPCommand: KindCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcp",
        abstract: "Open and close TCP connections at a controlled rate (connection churn) and report exact counts and latency.",
        discussion: """
        Each event is one connection: connect, optionally write --send and wait for --expect bytes, then close \
        with a FIN or an RST (--close). An event completes when its connection was established and the expected \
        bytes arrived: completed equals the server kernel's Tcp PassiveOpens (nstat -az TcpPassiveOpens in the \
        server's netns) when every connection got through. The events log (--events) has each connection's \
        src and dst, as Inspektor Gadget's trace_tcp reports them (loadgen verify --format ig-trace-tcp), and its \
        target as given. Several targets take turns: connection i goes to target i mod n. A host name is \
        resolved once, at start, with c-ares inside the target netns (servers: --dns-server, else the target's \
        resolv.conf; /etc/hosts first) to all its A and AAAA addresses, and its connections take turns over them \
        (IPv4 first, in address order): exact, predictable counts per address, which the report lists per target \
        and address (per_target in JSON). To pin one address, give it as the target.
        Examples:
          sudo loadgen tcp 127.0.0.1:7000 --netns bench --rate 2000 --duration 10s --close rst
          sudo loadgen tcp web:80 --pid 4242 --rate 1000 --duration 30s
          sudo loadgen tcp 127.0.0.1:7000 [::1]:7000 --netns bench --rate 1000 --count 10000
          sudo loadgen tcp 10.0.0.2:6379 --pid 4242 --send 'PING\\r\\n' --expect 7 --rate 500 --count 5000 --json
        """
    )

    @OptionGroup(title: "Load") var load: LoadOptions
    @OptionGroup(title: "Target namespace") var target: TargetOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Privileges") var privileges: PrivilegeOptions

    @Argument(help: ArgumentHelp("Where to connect: an IPv4 or [IPv6] literal or a host name (resolved once, at start, inside the target netns, to all its addresses), and a port; several take turns.", valueName: "HOST:PORT"))
    var endpoints: [String] = []

    @Option(name: .customLong("dns-server"),
            help: ArgumentHelp("DNS server for resolving a host name inside the netns (repeatable); default: the target's resolv.conf, as for loadgen http.", valueName: "ADDR[:PORT]"))
    var dnsServers: [String] = []

    @Option(help: ArgumentHelp("Bytes to write once connected: text with escapes (\\r \\n \\t \\0 \\\\ \\xHH) and {seq}, {thread}, {rand}, {rand:N} expanded per connection, at most 65,536 bytes.", valueName: "TEXT"))
    var send: String?

    @Option(help: ArgumentHelp("Wait for this many bytes from the server (0 to 1 GiB) before the connection counts as completed; default 0.", valueName: "BYTES"))
    var expect: Int = 0

    @Option(help: ArgumentHelp("How loadgen closes each connection: fin (an orderly close, default) or rst (SO_LINGER 0: a reset, no TIME_WAIT).", valueName: "fin|rst"))
    var close: String = "fin"

    @OptionGroup(title: "Thresholds (exit 4 when one is breached)") var thresholds: ThresholdOptions
    @OptionGroup(title: "Max-throughput search") var findMax: FindMaxOptions

    static let maxSendBytes = 65_536
    static let maxExpectBytes = 1 << 30

    func run() throws {
        try KindCommandSupport.run(self)
    }

    func makeConfig() throws -> RunConfig {
        try KindCommandSupport.makeConfig(self, kind: .tcp)
    }

    func kindSettings(into config: inout RunConfig) throws {
        let targets = try KindCommandSupport.targets(endpoints, command: "tcp")
        guard let closeMode = RunConfig.TCP.Close(rawValue: close.lowercased()) else {
            throw ValidationError("--close '\(close)': use fin (an orderly close) or rst (a reset)")
        }
        guard (0...TCPCommand.maxExpectBytes).contains(expect) else {
            throw ValidationError("--expect \(expect): give a byte count from 0 to \(TCPCommand.maxExpectBytes) (0: completed once connected)")
        }
        let payload = try KindCommandSupport.payload(send, flag: "--send", salt: UInt64.random(in: 0 ... .max))
        if let payload {
            guard payload.maxLength > 0 else { throw ValidationError("--send '': give the bytes to send, or leave --send out") }
            guard payload.maxLength <= TCPCommand.maxSendBytes else {
                throw ValidationError("--send: up to \(payload.maxLength) bytes per connection; at most \(TCPCommand.maxSendBytes) are allowed")
            }
        }
        config.tcp = .init(targets: targets, send: payload, expect: expect, close: closeMode)
    }

    static func defaultConcurrency(rate: Double?, timeoutNanos: UInt64, threads: Int) -> Int {
        guard let rate else { return max(100, threads) }
        return KindCommandSupport.openLoopConcurrency(rate: rate, timeoutNanos: timeoutNanos, threads: threads,
                                                      floor: 1_000, ceiling: 100_000)
    }

    static var filesPerEvent: Int { 1 }

    static func codeName(_ code: Int) -> String { ReportInput.tcpOutcome }

    static func header(config: RunConfig, thresholds: [ThresholdOutcome]) -> ReportHeader {
        let tcp = config.tcp!
        var parts = ["close \(tcp.close.rawValue)"]
        if let send = tcp.send { parts.append("send \(send.maxLength) bytes") }
        if tcp.expect > 0 { parts.append("expect \(tcp.expect) bytes") }
        return KindCommandSupport.header(config: config, eventNoun: "connections", targets: tcp.targets,
                                         describing: parts.joined(separator: ", "),
                                         workload: tcp.send.map { [$0.written] } ?? [], thresholds: thresholds)
    }
}
