import ArgumentParser
import CLoadGenSys
import Foundation

/// `loadgen http`: HTTP/1.1 requests over keep-alive (or per-request) connections, at a rate or closed loop,
/// from inside a netns.
struct HTTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Send HTTP/1.1 (or, with --http2, h2c) requests at a controlled rate and report exact counts, status codes and latency.",
        discussion: """
        URLs are used round-robin. Host names are resolved once, at start, with c-ares inside the target netns \
        (servers: --dns-server, else the target's resolv.conf as for `loadgen dns`).
        Examples:
          sudo loadgen http http://127.0.0.1:8080/ --netns bench -c 50 --rate 5000 --duration 10s
          sudo loadgen http http://10.0.0.2/api --pid 4242 -c 100 --duration 30s --json
          sudo loadgen http http://127.0.0.1/ --netns bench --no-keepalive --rate 200 --count 1000
          sudo loadgen http --http2 http://127.0.0.1:8080/ --netns bench -c 10 --streams 100 --duration 10s
        """
    )

    @OptionGroup(title: "Load") var load: LoadOptions
    @OptionGroup(title: "Target namespace") var target: TargetOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    @Argument(help: ArgumentHelp("http://HOST[:PORT]/PATH?QUERY (IPv4, [IPv6] or a name), used round-robin; {seq}, {thread}, {rand}, {rand:N} in the path or header values expand per request.", valueName: "URL"))
    var urls: [String] = []

    @Option(help: ArgumentHelp("Read URLs from FILE, one per line (# comments).", valueName: "FILE"))
    var urlsFile: String?

    @Option(name: [.customShort("c"), .long],
            help: ArgumentHelp("Connections across all threads (default 10).", valueName: "N"))
    var connections: String = "10"

    @Flag(help: "A new connection per request (sends Connection: close); exercises connect/accept/close.")
    var noKeepalive = false

    @Flag(help: "HTTP/2 over cleartext with prior knowledge (h2c) on http:// URLs, through nghttp2.")
    var http2 = false

    @Option(help: ArgumentHelp("HTTP/2: most concurrent streams per connection (default 100; never more than the server allows).", valueName: "N"))
    var streams: String?

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("Request method (default GET).", valueName: "METHOD"))
    var method: String = "GET"

    @Option(name: [.customShort("H"), .customLong("header")],
            help: ArgumentHelp("A request header 'Name: value' (repeatable).", valueName: "HEADER"))
    var headers: [String] = []

    @Option(help: ArgumentHelp("Request body: a string, or @FILE for a file's contents.", valueName: "STRING|@FILE"))
    var body: String?

    @Option(name: .customLong("dns-server"),
            help: ArgumentHelp("DNS server for resolving host names inside the netns (repeatable).", valueName: "ADDR[:PORT]"))
    var dnsServers: [String] = []

    @Option(help: ArgumentHelp("Give up on a connection attempt after DUR (default 3s).", valueName: "DUR"))
    var connectTimeout: String?

    @OptionGroup(title: "Thresholds (exit 4 when one is breached)") var thresholds: ThresholdOptions

    func run() throws {
        let config = try makeConfig()
        let limits = try thresholds.thresholds(openLoop: config.load.requestedRate != nil)
        // A Ctrl-C caught during setup becomes the run's stop request (a report with nothing sent).
        CLoadGenSys_hold_stop_signals()
        let result = try Runner.run(config)
        let outcomes = Thresholds.evaluate(limits, result, requestedRate: config.load.requestedRate)
        let header = HTTPCommand.header(config: config, thresholds: outcomes)
        Reports.emit(Reports.render(header, result, output: config.output, codeNames: { String($0) }), output: config.output)
        // Not one request could be written because no connection could be made: say so (exit 1).
        let connectErrors = ErrorKind.allCases.filter { result.connectErrors[$0.rawValue] > 0 }
        if result.counters.sent == 0, !connectErrors.isEmpty, !result.interrupted {
            let hosts = config.http!.targets.map(\.url.authority).joined(separator: ", ")
            let why = connectErrors.map { "\($0.name) \(result.connectErrors[$0.rawValue])" }.joined(separator: ", ")
            throw RunExit(code: 1, description: "cannot connect to \(hosts) from inside the target netns (\(why)); is the server running there?")
        }
        if let exit = Reports.verdict(header, result) { throw exit }
    }

    func makeConfig() throws -> RunConfig {
        var parsed = try load.parsed()
        let specs = try target.specs()
        let threadsPerTarget = parsed.threads
        try target.apply(to: &parsed, targets: specs.count)
        let connectionCount: Int
        do {
            let c = try Quantity.count(connections)
            guard c <= 1_000_000 else { throw QuantityError("'\(connections)' is above 1,000,000") }
            connectionCount = Int(c)
        } catch let error as QuantityError {
            throw ValidationError("--connections: \(error.description)")
        }
        guard connectionCount >= parsed.threads else {
            throw ValidationError("--connections \(connectionCount) is below --threads \(parsed.threads); every thread needs a connection")
        }
        let method = self.method.uppercased()
        guard !method.isEmpty, method.utf8.allSatisfy(HTTP1Request.isTokenCharacter) else {
            throw ValidationError("--method: '\(self.method)' is not a method; use GET, HEAD, POST, PUT, DELETE, …")
        }
        var parsedHeaders: [HTTP1Request.Header] = []
        for header in headers {
            do {
                parsedHeaders.append(try HTTP1Request.Header(parsing: header))
            } catch {
                throw ValidationError("--header: \(error.description)")
            }
        }
        let bodyBytes = try readBody()
        var urlTexts = urls
        if let urlsFile {
            guard let data = FileManager.default.contents(atPath: urlsFile) else {
                throw ValidationError("--urls-file: '\(urlsFile)' does not exist or cannot be read")
            }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let text = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                    .trimmingCharacters(in: .whitespaces)
                if !text.isEmpty { urlTexts.append(text) }
            }
            if urlTexts.isEmpty { throw ValidationError("--urls-file: '\(urlsFile)' has no URL; write one per line") }
        }
        guard !urlTexts.isEmpty else {
            throw ValidationError("give at least one URL, e.g. http://127.0.0.1:8080/, or --urls-file FILE")
        }
        var targets: [HTTPTarget] = []
        let salt = UInt64.random(in: 0 ... .max)
        for text in urlTexts {
            let url: HTTPURL
            do {
                url = try HTTPURL(parsing: text)
            } catch {
                throw ValidationError("URL \(error.description)")
            }
            let head = HTTP1Request.head(method: method, url: url, headers: parsedHeaders,
                                         bodyLength: bodyBytes.count, keepAlive: !noKeepalive)
            var target = HTTPTarget(url: url, method: method, request: Array(head.utf8) + bodyBytes, body: bodyBytes)
            do {
                target.headTemplate = try NameTemplate(head, salt: salt)
                target.urlTemplate = try NameTemplate(url.description, salt: salt)
            } catch {
                throw ValidationError("placeholders in the URL or a header: \(error)")
            }
            targets.append(target)
        }
        var connectTimeoutNanos: UInt64 = 3_000_000_000
        if let connectTimeout {
            do {
                connectTimeoutNanos = try Quantity.timeSpan(connectTimeout)
            } catch {
                throw ValidationError("--connect-timeout: \(error.description)")
            }
        }
        let namespaces = try target.open(specs)
        // Names need DNS servers; literals do not.
        var dns: [Endpoint] = []
        if targets.contains(where: { !$0.url.hostIsLiteral }) {
            dns = try NameServers.choose(explicit: dnsServers, flag: "--dns-server", spec: specs.first).0
        }
        var streamCount = 1
        if let streams {
            guard http2 else { throw ValidationError("--streams applies to HTTP/2; add --http2") }
            do {
                let n = try Quantity.count(streams)
                guard n <= 1_000_000 else { throw QuantityError("'\(streams)' is above 1,000,000") }
                streamCount = Int(n)
            } catch let error as QuantityError {
                throw ValidationError("--streams: \(error.description)")
            }
        } else if http2 {
            streamCount = 100
        }
        if http2 && noKeepalive {
            throw ValidationError("--no-keepalive opens a connection per request, which HTTP/2 does not do; drop one of --http2 and --no-keepalive")
        }
        let concurrency = parsed.concurrency ?? connectionCount * streamCount
        // Each connection holds a socket; leave room for the loops and the process.
        let neededFiles = connectionCount + parsed.threads * 8 + 64
        let limit = ResourceLimits.raiseOpenFiles(to: neededFiles)
        guard limit >= neededFiles else {
            throw RunFailure("--connections \(connectionCount) needs \(neededFiles) open files but RLIMIT_NOFILE is \(limit) and cannot be raised; run `ulimit -n \(neededFiles)` first (or as root), or use fewer connections")
        }
        return RunConfig(
            kind: http2 ? .http2 : .http1,
            load: .init(pacer: parsed.pacer, requestedRate: parsed.requestedRate, count: parsed.count,
                        durationNanos: parsed.durationNanos, concurrency: max(concurrency, parsed.threads),
                        timeoutNanos: parsed.timeoutNanos, threads: parsed.threads, tickNanos: parsed.effectiveTickNanos),
            output: try output.settings(),
            targets: namespaces, threadsPerTarget: threadsPerTarget,
            dns: nil,
            http: .init(targets: targets, connections: connectionCount, keepAlive: !noKeepalive,
                        connectTimeoutNanos: connectTimeoutNanos, dnsServers: dns, headers: parsedHeaders,
                        body: bodyBytes, streams: streamCount, templateSalt: salt))
    }

    private func readBody() throws -> [UInt8] {
        guard let body else { return [] }
        guard body.hasPrefix("@") else { return Array(body.utf8) }
        let path = String(body.dropFirst())
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--body: '\(path)' does not exist or cannot be read; --body @FILE sends a file, --body TEXT sends TEXT")
        }
        return [UInt8](data)
    }

    static func render(config: RunConfig, result: RunResult) -> String {
        Reports.render(header(config: config), result, output: config.output, codeNames: { String($0) })
    }

    static func header(config: RunConfig, thresholds: [ThresholdOutcome] = []) -> ReportHeader {
        let http = config.http!
        return ReportHeader(
            kind: config.kind == .http2 ? "http2" : "http1", eventNoun: "requests", threads: config.load.threads, netns: config.targetsLabel,
            netnsInode: config.targets.first?.inode ?? NetNamespace.currentThreadInode,
            requestedRate: config.load.requestedRate, concurrency: config.load.concurrency,
            timeoutNanos: config.load.timeoutNanos, count: config.load.count,
            durationNanos: config.load.durationNanos, targets: http.targets.map(\.url.description),
            targetsSource: config.kind == .http2
                ? "\(http.connections) connections × \(http.streams) streams, h2c"
                : "\(http.connections) connections, \(http.keepAlive ? "keep-alive" : "one per request")",
            transport: "tcp", workload: [], thresholds: thresholds)
    }
}
