import ArgumentParser
import CLoadGenSys
import Foundation

/// `loadgen dns`: DNS queries through c-ares (UDP, TCP), or over TLS (RFC 7858) or HTTPS (RFC 8484) on the
/// connection pool, at a rate or closed loop, from inside a netns.
struct DNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Send DNS queries (c-ares) at a controlled rate and report exact counts and latency.",
        discussion: """
        Without --server, the nameservers of the target's resolv.conf are used: /etc/netns/NAME/resolv.conf for \
        --netns NAME when it exists, /proc/PID/root/etc/resolv.conf for --pid PID, else /etc/resolv.conf.
        Examples:
          sudo loadgen dns --netns bench --server 127.0.0.1 --name a.example.test --rate 20k --duration 10s
          sudo loadgen dns --pid 4242 --names-file queries.txt --concurrency 100 --count 1M --json
          sudo loadgen dns --netns bench --transport tls --server 127.0.0.1 --cacert ca.pem -c 2 --rate 2000 --duration 10s
          sudo loadgen dns --netns bench --transport https --doh-method get --server 127.0.0.1 -k --rate 1000
        DNS over TLS pipelines queries on --connections kept-open connections (port 853 by default), matching \
        answers by ID and question; DNS over HTTPS sends each query as an HTTP/2 request (ALPN h2, port 443 by \
        default) with DNS ID 0. Both verify the server's certificate against --sni, else the server's address.
        """
    )

    @OptionGroup(title: "Load") var load: LoadOptions
    @OptionGroup(title: "Target namespace") var target: TargetOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Privileges") var privileges: PrivilegeOptions

    @Option(name: .customLong("server"),
            help: ArgumentHelp("A DNS server, ADDR[:PORT] or [V6ADDR][:PORT] (repeatable; queries go round-robin).", valueName: "ADDR[:PORT]"))
    var servers: [String] = []

    @Option(name: .customLong("name"),
            help: ArgumentHelp("A name to query (repeatable, used round-robin); {seq}, {thread}, {rand}, {rand:N} expand per query, e.g. 'q{seq}.example.test'. Default: localhost.", valueName: "NAME"))
    var names: [String] = []

    @Option(help: ArgumentHelp("Questions in dnsperf's datafile format: 'name [type]' per line, # comments.", valueName: "FILE"))
    var namesFile: String?

    @Option(help: ArgumentHelp("Query type for --name and for lines without one: A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA, HTTPS, SVCB, ANY, TYPEnnn.", valueName: "TYPE"))
    var type: String = "A"

    @Flag(help: "DNS over TCP (one pipelined connection per server and thread); the same as --transport tcp.")
    var tcp = false

    @Option(help: ArgumentHelp("How queries travel: udp (default), tcp, tls (DNS over TLS, RFC 7858; port 853) or https (DNS over HTTPS, RFC 8484; port 443).", valueName: "TRANSPORT"))
    var transport: DNSTransport?

    @Option(name: [.customShort("c"), .long],
            help: ArgumentHelp("--transport tls|https: connections across all threads, up to 100,000 (default one per thread); queries are spread over them, many in flight on each.", valueName: "N"),
            transform: Count.parser(max: 100_000))
    var connections: Count?

    @Option(help: ArgumentHelp("--transport https: post (the query as an application/dns-message body, default) or get (base64url in ?dns=).", valueName: "METHOD"))
    var dohMethod: RunConfig.DoH.Method?

    @Option(help: ArgumentHelp("--transport https: the path of the DNS endpoint (default /dns-query).", valueName: "PATH"))
    var dohPath: String?

    @Option(help: ArgumentHelp("--transport tls|https: give up on a connection attempt after DUR, from 1ms to 1h (default 3s).", valueName: "DUR"),
            transform: TimeSpan.parser(from: .millisecond, to: .hour))
    var connectTimeout: TimeSpan?

    @Flag(help: "Over UDP, send a query whose answer has the TC bit set again over TCP (counted once; tc_fallbacks).")
    var tcFallback = false

    @OptionGroup(title: "TLS (--transport tls|https)") var tls: TLSOptions

    @OptionGroup(title: "Thresholds (exit 4 when one is breached)") var thresholds: ThresholdOptions
    @OptionGroup(title: "Max-throughput search") var findMax: FindMaxOptions

    func run() throws {
        let plan = try privileges.plan()
        var config = try makeConfig()
        config.privileges = plan
        if let search = try findMax.settings(load, thresholds: thresholds) {
            CLoadGenSys_hold_stop_signals()
            // Each step's rate needs room for a timeout's worth of queries, as a run at that rate would have.
            let given = load.concurrency != nil
            try FindMax.runAndReport(config, search, concurrency: { rate in
                given ? config.load.concurrency : DNSCommand.openLoopConcurrency(rate: rate, timeoutNanos: config.load.timeoutNanos, threads: config.load.threads)
            }, header: { DNSCommand.header(config: $0) }, codeNames: DNSRcode.name)
            return
        }
        let (header, result) = try Reports.runOnce(config, thresholds: thresholds,
                                                   header: { DNSCommand.header(config: $0, thresholds: $1) },
                                                   codeNames: DNSRcode.name)
        if let exit = Reports.verdict(header, result) { throw exit }
    }

    /// Validates every option (usage errors, exit 2) and opens the namespace (exit 1 when it cannot be used).
    func makeConfig() throws -> RunConfig {
        var parsed = try load.parsed()
        let specs = try target.specs()
        let threadsPerTarget = parsed.threads
        try target.apply(to: &parsed, targets: specs.count)
        let questions = try makeQuestions()
        let transport = try chosenTransport()
        let tlsContext = try checkTransportOptions(transport, threads: parsed.threads)
        // Open the namespaces first: a missing one is the error to report, not its missing resolv.conf.
        let targets = try target.open(specs)
        let found = try makeServers(specs: specs, defaultPort: UInt16(transport.defaultPort))
        let concurrency = try DNSCommand.concurrency(parsed)
        try DNSCommand.reserveFiles(threads: parsed.threads, servers: found.servers.count + (connections.map { Int($0.value) } ?? 0))
        var config = RunConfig(
            kind: .dns,
            load: parsed.settings(concurrency: concurrency),
            output: try output.settings(threads: parsed.threads),
            targets: targets, threadsPerTarget: threadsPerTarget,
            dns: .init(servers: found.servers, serversByTarget: found.byTarget, serversSource: found.source,
                       questions: questions, tcp: transport == .tcp, tcFallback: tcFallback))
        try configurePool(&config, transport: transport, tls: tlsContext)
        return config
    }

    /// The servers of every target (each target's own list, and all of them without repeats) and where they came
    /// from.
    private func makeServers(specs: [NetNamespace.Spec], defaultPort: UInt16) throws -> (servers: [Endpoint], byTarget: [[Endpoint]], source: String) {
        var byTarget: [[Endpoint]] = []
        var sources: [String] = []
        for spec in specs.isEmpty ? [nil] : specs.map(Optional.some) {
            let (found, source) = try NameServers.choose(explicit: servers, flag: "--server", spec: spec, defaultPort: defaultPort)
            byTarget.append(found)
            if !sources.contains(source) { sources.append(source) }
        }
        var servers: [Endpoint] = []
        for list in byTarget { for s in list where !servers.contains(s) { servers.append(s) } }
        return (servers, byTarget, sources.joined(separator: ", "))
    }

    /// The most queries in flight: --concurrency, else 100 closed loop (as dnsperf) and, open loop, room for every
    /// query of one timeout per thread (a server that drops queries must not throttle the rate), up to the 16-bit
    /// ID space.
    static func concurrency(_ parsed: LoadOptions.Parsed) throws(ValidationError) -> Int {
        var concurrency = 100
        if let rate = parsed.requestedRate {
            concurrency = openLoopConcurrency(rate: rate, timeoutNanos: parsed.timeoutNanos, threads: parsed.threads)
        }
        guard let given = parsed.concurrency else { return max(concurrency, parsed.threads) }
        guard given >= parsed.threads else {
            throw ValidationError("--concurrency \(given) is below --threads \(parsed.threads); every thread needs at least one event in flight")
        }
        let perThread = (given + parsed.threads - 1) / parsed.threads
        guard perThread <= IDAllocator.space else {
            throw ValidationError("--concurrency \(given): at most 65,536 queries can be in flight per thread (16-bit DNS IDs); add --threads \((given + IDAllocator.space - 1) / IDAllocator.space) or more")
        }
        return given
    }

    /// Open loop: room for every query of one timeout per thread, from 10,000 up to the 16-bit ID space.
    static func openLoopConcurrency(rate: Double, timeoutNanos: UInt64, threads: Int) -> Int {
        let perThread = rate * Double(timeoutNanos) / 1e9 / Double(threads)
        return Int(min(Double(IDAllocator.space), max(10_000, perThread.rounded(.up)))) * threads
    }

    /// Raises RLIMIT_NOFILE for one UDP (or TCP) socket per server and thread, plus the loops' own descriptors.
    private static func reserveFiles(threads: Int, servers: Int) throws {
        let neededFiles = threads * servers * 2 + 64
        let limit = ResourceLimits.raiseOpenFiles(to: neededFiles)
        guard limit >= neededFiles else {
            throw RunFailure("--threads \(threads) with \(servers) servers needs \(neededFiles) open files but RLIMIT_NOFILE is \(limit) and cannot be raised; raise it with `ulimit -n \(neededFiles)` or use fewer threads")
        }
    }

    private func makeQuestions() throws -> [DNSQuestion] {
        let salt = UInt64.random(in: 0 ... .max)
        let defaultType: DNSType
        do {
            defaultType = try DNSType(type)
        } catch {
            throw ValidationError("--type: \(error.description)")
        }
        var questions: [DNSQuestion] = []
        for name in names {
            do {
                questions.append(try DNSQuestion.parsing(name, type: defaultType, salt: salt))
            } catch {
                throw ValidationError("--name: \(error)")
            }
        }
        if let namesFile {
            guard let data = FileManager.default.contents(atPath: namesFile) else {
                let why = FileManager.default.fileExists(atPath: namesFile) ? "cannot be read" : "does not exist"
                throw ValidationError("--names-file: '\(namesFile)' \(why); give a file with one 'name [type]' per line")
            }
            do {
                questions += try NamesFile.parse(String(decoding: data, as: UTF8.self), defaultType: defaultType, salt: salt)
            } catch {
                throw ValidationError("--names-file '\(namesFile)': \(error.description)")
            }
        }
        if questions.isEmpty {
            questions.append(DNSQuestion(name: try! DNSName("localhost"), type: defaultType))
        }
        return questions
    }

    static func render(config: RunConfig, result: RunResult) -> String {
        Reports.render(header(config: config), result, output: config.output, codeNames: DNSRcode.name)
    }

    /// What the report says about the run: questions shown as written (a template, not its longest expansion).
    static func header(config: RunConfig, thresholds: [ThresholdOutcome] = []) -> ReportHeader {
        ReportHeader(
            kind: "dns", eventNoun: "queries", threads: config.load.threads, netns: config.targetsLabel,
            netnsInode: config.targets.first?.inode ?? NetNamespace.currentThreadInode,
            requestedRate: config.load.requestedRate, concurrency: config.load.concurrency,
            timeoutNanos: config.load.timeoutNanos, count: config.load.count,
            durationNanos: config.load.durationNanos, targets: config.dns!.servers.map(\.description),
            targetsSource: DNSCommand.source(config.dns!), transport: config.dns!.transport.rawValue,
            workload: config.dns!.questions.map { "\($0.template?.written ?? $0.name.description) \($0.type)" },
            thresholds: thresholds, shard: config.load.shard, startAt: config.load.startAt?.text,
            warmupNanos: config.load.warmupNanos,
            shapeText: config.load.shapeText, steps: config.load.steps)
    }
}
