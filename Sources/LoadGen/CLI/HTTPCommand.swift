import ArgumentParser
import CLoadGenSys
import Foundation

/// `loadgen http`: HTTP/1.1 requests over keep-alive (or per-request) connections, at a rate or closed loop,
/// from inside a netns.
struct HTTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Send HTTP/1.1 or HTTP/2 requests (h2c, or h2 over TLS for https://) at a controlled rate and report exact counts, status codes and latency.",
        discussion: """
        URLs are used round-robin. Host names are resolved once, at start, with c-ares inside the target netns \
        (servers: --dns-server, else the target's resolv.conf as for `loadgen dns`).
        Examples:
          sudo loadgen http http://127.0.0.1:8080/ --netns bench -c 50 --rate 5000 --duration 10s
          sudo loadgen http http://10.0.0.2/api --pid 4242 -c 100 --duration 30s --json
          sudo loadgen http http://127.0.0.1/ --netns bench --no-keepalive --rate 200 --count 1000
          sudo loadgen http --http2 http://127.0.0.1:8080/ --netns bench -c 10 --streams 100 --duration 10s
          sudo loadgen http https://app.test:8443/ --cacert ca.pem --netns bench --rate 2000 --duration 10s
          sudo loadgen http --http2 https://127.0.0.1:8443/ -k --netns bench -c 10 --duration 10s
        https:// URLs verify the server's certificate as curl does (system CA store or --cacert, the URL's host, \
        SNI); HTTP/1.1 writes each request to OpenSSL with exactly one SSL_write; --http2 negotiates h2 by ALPN.
        """
    )

    @OptionGroup(title: "Load") var load: LoadOptions
    @OptionGroup(title: "Target namespace") var target: TargetOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Privileges") var privileges: PrivilegeOptions
    @OptionGroup(title: "TLS (https:// URLs)") var tls: TLSOptions

    @Argument(help: ArgumentHelp("http[s]://HOST[:PORT]/PATH?QUERY (IPv4, [IPv6] or a name), used round-robin, all of one scheme; {seq}, {thread}, {rand}, {rand:N} in the path or header values expand per request.", valueName: "URL"))
    var urls: [String] = []

    @Option(help: ArgumentHelp("Read URLs from FILE, one per line (# comments).", valueName: "FILE"))
    var urlsFile: String?

    @Option(name: [.customShort("c"), .long],
            help: ArgumentHelp("Connections across all threads, up to 1,000,000 (default 10). Without --concurrency, HTTP/1.1 keeps one request in flight per connection (concurrency N) and HTTP/2 up to --streams per connection (N × streams).", valueName: "N"),
            transform: Count.parser(max: 1_000_000))
    var connections: Count = Count(10)

    @Flag(help: "A new connection per request (sends Connection: close); exercises connect/accept/close.")
    var noKeepalive = false

    @Flag(help: "HTTP/2 through nghttp2: over cleartext with prior knowledge (h2c) on http:// URLs, negotiated by ALPN (h2) on https:// URLs.")
    var http2 = false

    @Option(help: ArgumentHelp("HTTP/2: most concurrent streams per connection, up to 1,000,000 (default 100; never more than the server allows).", valueName: "N"),
            transform: Count.parser(max: 1_000_000))
    var streams: Count?

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("Request method (default GET).", valueName: "METHOD"))
    var method: String = "GET"

    @Option(name: [.customShort("H"), .customLong("header")],
            help: ArgumentHelp("A request header 'Name: value' (repeatable). loadgen adds Host, User-Agent and, with a body (or for POST, PUT, PATCH), Content-Length unless given; a Content-Length given must equal the body's length, and Transfer-Encoding is refused: every body goes out whole with Content-Length.", valueName: "HEADER"))
    var headers: [String] = []

    @Option(help: ArgumentHelp("Request body: a string, or @FILE for a file's contents.", valueName: "STRING|@FILE"))
    var body: String?

    @Option(name: .customLong("dns-server"),
            help: ArgumentHelp("DNS server for resolving host names inside the netns (repeatable).", valueName: "ADDR[:PORT]"))
    var dnsServers: [String] = []

    @Option(help: ArgumentHelp("Give up on a connection attempt after DUR, from 1ms to 1h (default 3s).", valueName: "DUR"),
            transform: TimeSpan.parser(from: .millisecond, to: .hour))
    var connectTimeout: TimeSpan?

    @OptionGroup(title: "Thresholds (exit 4 when one is breached)") var thresholds: ThresholdOptions
    @OptionGroup(title: "Max-throughput search") var findMax: FindMaxOptions

    func run() throws {
        let plan = try privileges.plan()
        var config = try makeConfig()
        config.privileges = plan
        if let search = try findMax.settings(load, thresholds: thresholds) {
            CLoadGenSys_hold_stop_signals()
            try FindMax.runAndReport(config, search, concurrency: { _ in config.load.concurrency },
                                     header: { HTTPCommand.header(config: $0) }, codeNames: { String($0) })
            return
        }
        let (header, result) = try Reports.runOnce(config, thresholds: thresholds,
                                                   header: { HTTPCommand.header(config: $0, thresholds: $1) },
                                                   codeNames: { String($0) })
        // Not one request could be written because no connection could be made: say so (exit 1).
        let connectErrors = ErrorKind.allCases.filter { result.connectErrors[$0.rawValue] > 0 }
        if result.counters.sent == 0, !connectErrors.isEmpty, !result.interrupted {
            let hosts = config.http!.targets.map(\.url.authority).joined(separator: ", ")
            let why = connectErrors.map { "\($0.name) \(result.connectErrors[$0.rawValue])" }.joined(separator: ", ")
            if connectErrors.contains(where: \.isTLS), let message = result.tls.firstFailure {
                throw RunExit(code: 1, description: "cannot connect to \(hosts) from inside the target netns (\(why)): \(message)")
            }
            throw RunExit(code: 1, description: "cannot connect to \(hosts) from inside the target netns (\(why)); is the server running there?")
        }
        if let exit = Reports.verdict(header, result) { throw exit }
    }

    /// Validates every option (usage errors, exit 2) and opens the namespaces (exit 1 when one cannot be used).
    func makeConfig() throws -> RunConfig {
        var parsed = try load.parsed()
        let specs = try target.specs()
        let threadsPerTarget = parsed.threads
        try target.apply(to: &parsed, targets: specs.count)
        let connectionCount = Int(connections.value)
        guard connectionCount >= parsed.threads else {
            throw ValidationError("--connections \(connectionCount) is below --threads \(parsed.threads); every thread needs a connection")
        }
        let request = try makeRequestParts()
        let salt = UInt64.random(in: 0 ... .max)
        let targets = try makeTargets(try urlTexts(), request: request, salt: salt)
        let tlsContext = try makeTLSContext(targets)
        let namespaces = try target.open(specs)
        // Names need DNS servers; literals do not.
        var dns: [Endpoint] = []
        if targets.contains(where: { !$0.url.hostIsLiteral }) {
            dns = try NameServers.choose(explicit: dnsServers, flag: "--dns-server", spec: specs.first).0
        }
        let streamCount = try self.streamCount()
        let concurrency = parsed.concurrency ?? connectionCount * streamCount
        try HTTPCommand.reserveFiles(connections: connectionCount, threads: parsed.threads)
        return RunConfig(
            kind: http2 ? .http2 : .http1,
            load: parsed.settings(concurrency: max(concurrency, parsed.threads)),
            output: try output.settings(threads: parsed.threads),
            targets: namespaces, threadsPerTarget: threadsPerTarget,
            dns: nil,
            http: .init(targets: targets, connections: connectionCount, keepAlive: !noKeepalive,
                        connectTimeoutNanos: connectTimeout?.nanos ?? 3_000_000_000, dnsServers: dns,
                        headers: request.headers, body: request.body, streams: streamCount, templateSalt: salt,
                        tls: tlsContext))
    }

    /// https:// runs: the TLS context, offering h2 (with --http2) or http/1.1 by ALPN. URLs of both schemes in
    /// one run, and TLS flags without https://, are refused.
    private func makeTLSContext(_ targets: [HTTPTarget]) throws -> TLSContext? {
        let tlsCount = targets.filter(\.url.isTLS).count
        guard tlsCount > 0 else {
            try tls.checkUnused(without: "give https:// URLs")
            return nil
        }
        guard tlsCount == targets.count else {
            throw ValidationError("the URLs mix http:// and https://; give URLs of one scheme per run (run two loadgens for both)")
        }
        return try tls.context(alpn: http2 ? ["h2"] : ["http/1.1"])
    }

    /// What every request shares: the method, the user's headers and the body.
    struct RequestParts {
        var method: String
        var headers: [HTTP1Request.Header]
        var body: [UInt8]
    }

    private func makeRequestParts() throws -> RequestParts {
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
        let body = try readBody()
        do {
            try HTTP1Request.checkFraming(parsedHeaders, bodyLength: body.count)
        } catch {
            throw ValidationError("--header: \(error.description)")
        }
        return RequestParts(method: method, headers: parsedHeaders, body: body)
    }

    /// The URLs given as arguments, then those of --urls-file.
    private func urlTexts() throws -> [String] {
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
        return urlTexts
    }

    /// One target per URL, its request built once (and templated when the URL or a header has placeholders).
    private func makeTargets(_ urlTexts: [String], request: RequestParts, salt: UInt64) throws -> [HTTPTarget] {
        var targets: [HTTPTarget] = []
        for text in urlTexts {
            let url: HTTPURL
            do {
                url = try HTTPURL(parsing: text)
            } catch {
                throw ValidationError("URL \(error.description)")
            }
            let head = HTTP1Request.head(method: request.method, url: url, headers: request.headers,
                                         bodyLength: request.body.count, keepAlive: !noKeepalive)
            var target = HTTPTarget(url: url, method: request.method, request: Array(head.utf8) + request.body,
                                    body: request.body)
            do {
                target.headTemplate = try NameTemplate(head, salt: salt)
                target.urlTemplate = try NameTemplate(url.description, salt: salt)
            } catch {
                throw ValidationError("placeholders in the URL or a header: \(error)")
            }
            targets.append(target)
        }
        return targets
    }

    /// Streams per connection: 1 for HTTP/1.1, --streams (default 100) for HTTP/2.
    private func streamCount() throws(ValidationError) -> Int {
        if streams != nil && !http2 { throw ValidationError("--streams applies to HTTP/2; add --http2") }
        if http2 && noKeepalive {
            throw ValidationError("--no-keepalive opens a connection per request, which HTTP/2 does not do; drop one of --http2 and --no-keepalive")
        }
        guard http2 else { return 1 }
        return Int(streams?.value ?? 100)
    }

    /// Raises RLIMIT_NOFILE for a socket per connection, plus room for the loops and the process.
    private static func reserveFiles(connections: Int, threads: Int) throws {
        let neededFiles = connections + threads * 8 + 64
        let limit = ResourceLimits.raiseOpenFiles(to: neededFiles)
        guard limit >= neededFiles else {
            throw RunFailure("--connections \(connections) needs \(neededFiles) open files but RLIMIT_NOFILE is \(limit) and cannot be raised; run `ulimit -n \(neededFiles)` first (or as root), or use fewer connections")
        }
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
                ? "\(http.connections) connections × \(http.streams) streams, \(http.tls == nil ? "h2c" : "h2 over TLS")"
                : "\(http.connections) connections, \(http.keepAlive ? "keep-alive" : "one per request")",
            transport: http.tls == nil ? "tcp" : "tls", workload: [], thresholds: thresholds,
            shard: config.load.shard, startAt: config.load.startAt?.text, warmupNanos: config.load.warmupNanos,
            shapeText: config.load.shapeText, steps: config.load.steps)
    }
}
