import ArgumentParser

/// `loadgen udp HOST:PORT [HOST:PORT ...]`: datagrams at a rate or closed loop, optionally waiting for their echoes.
struct UDPCommand: KindCommand {
    static let configuration = CommandConfiguration(
        commandName: "udp",
        abstract: "Send UDP datagrams at a controlled rate, optionally waiting for echoes, and report exact counts and latency.",
        discussion: """
        Each event is one datagram of --size bytes on the thread's connected socket to its address (batched \
        with sendmmsg). Without --expect-echo it completes when the kernel took it: completed equals the server kernel's Udp \
        InDatagrams when nothing is lost. With --expect-echo each datagram starts with a 16-byte tag (sequence, \
        slot, check) and completes when its echo comes back whole; duplicates, late, truncated and foreign \
        datagrams are counted and ignored. Several targets take turns (datagram i to target i mod n); a host name \
        is resolved once, at start, inside the target netns to all its A and AAAA addresses, which its datagrams \
        take in turn, as for loadgen tcp (--dns-server, else the target's resolv.conf). Each thread has one \
        connected socket per address, so echoes and ICMP errors stay with the address they came from.
        Examples:
          sudo loadgen udp 127.0.0.1:9000 --netns bench --rate 50k --duration 10s --size 512
          sudo loadgen udp statsd:8125 --pid 4242 --rate 1000 --duration 30s
          sudo loadgen udp 127.0.0.1:9000 127.0.0.1:9001 --netns bench --rate 2000 --count 20000
          sudo loadgen udp 127.0.0.1:7 --netns bench --expect-echo --payload 'ping {seq}' --rate 1000 --count 10000
        """
    )

    @OptionGroup(title: "Load") var load: LoadOptions
    @OptionGroup(title: "Target namespace") var target: TargetOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Privileges") var privileges: PrivilegeOptions

    @Argument(help: ArgumentHelp("Where to send: an IPv4 or [IPv6] literal or a host name (resolved once, at start, inside the target netns, to all its addresses), and a port; several take turns.", valueName: "HOST:PORT"))
    var endpoints: [String] = []

    @Option(name: .customLong("dns-server"),
            help: ArgumentHelp("DNS server for resolving a host name inside the netns (repeatable); default: the target's resolv.conf, as for loadgen http.", valueName: "ADDR[:PORT]"))
    var dnsServers: [String] = []

    @Option(help: ArgumentHelp("Each datagram's size in bytes, 1 to 65,507 (default 64, or the tag and --payload as expanded); the rest after the payload is filler.", valueName: "BYTES"))
    var size: Int?

    @Option(help: ArgumentHelp("What each datagram carries (after the echo tag): text with escapes (\\r \\n \\t \\0 \\\\ \\xHH) and {seq}, {thread}, {rand}, {rand:N} expanded per datagram.", valueName: "TEXT"))
    var payload: String?

    @Flag(help: "Wait for each datagram's echo (latency histograms as for DNS); otherwise a datagram completes when the kernel took it.")
    var expectEcho = false

    @OptionGroup(title: "Thresholds (exit 4 when one is breached)") var thresholds: ThresholdOptions
    @OptionGroup(title: "Max-throughput search") var findMax: FindMaxOptions

    /// The largest UDP payload over IPv4.
    static let maxSize = 65_507
    static let defaultSize = 64

    func run() throws {
        try KindCommandSupport.run(self)
    }

    func makeConfig() throws -> RunConfig {
        try KindCommandSupport.makeConfig(self, kind: .udp)
    }

    func kindSettings(into config: inout RunConfig) throws {
        let targets = try KindCommandSupport.targets(endpoints, command: "udp")
        let payload = try KindCommandSupport.payload(payload, flag: "--payload", salt: UInt64.random(in: 0 ... .max))
        let tag = expectEcho ? EchoMatcher.tagBytes : 0
        let needed = tag + (payload?.maxLength ?? 0)
        if let size {
            guard (1...UDPCommand.maxSize).contains(size) else {
                throw ValidationError("--size \(size): give a datagram size from 1 to \(UDPCommand.maxSize) bytes (the largest UDP payload over IPv4)")
            }
            guard size >= needed else {
                let what = [expectEcho ? "the \(tag)-byte echo tag" : nil, payload.map { _ in "--payload (up to \(needed - tag) bytes)" }]
                    .compactMap { $0 }.joined(separator: " and ")
                throw ValidationError("--size \(size) is too small for \(what); give --size \(needed) or more")
            }
        } else if needed > UDPCommand.maxSize {
            throw ValidationError("--payload: up to \(needed) bytes per datagram; at most \(UDPCommand.maxSize) fit in one")
        }
        let chosen = size ?? (payload == nil ? max(UDPCommand.defaultSize, tag) : nil)
        config.udp = .init(targets: targets, payload: payload, size: chosen, expectEcho: expectEcho)
        if config.udp!.maxDatagramBytes == 0 {
            throw ValidationError("--payload '': an empty datagram; give a payload or --size")
        }
    }

    static func defaultConcurrency(rate: Double?, timeoutNanos: UInt64, threads: Int) -> Int {
        guard let rate else { return max(100, threads) }
        return KindCommandSupport.openLoopConcurrency(rate: rate, timeoutNanos: timeoutNanos, threads: threads,
                                                      floor: 10_000, ceiling: 1_000_000)
    }

    static var filesPerEvent: Int { 0 }

    static func codeName(_ code: Int) -> String { ReportInput.udpOutcome }

    static func header(config: RunConfig, thresholds: [ThresholdOutcome]) -> ReportHeader {
        let udp = config.udp!
        let size = udp.size.map { "\($0)-byte datagrams" } ?? "datagrams of up to \(udp.maxDatagramBytes) bytes"
        return KindCommandSupport.header(config: config, eventNoun: "datagrams", targets: udp.targets,
                                         describing: "\(size), \(udp.expectEcho ? "echo awaited" : "no echo awaited")",
                                         workload: udp.payload.map { [$0.written] } ?? [], thresholds: thresholds)
    }
}
