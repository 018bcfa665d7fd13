import ArgumentParser

extension DNSTransport: ExpressibleByArgument {}
extension RunConfig.DoH.Method: ExpressibleByArgument {}

/// `loadgen dns --transport`: which transport, the options that only apply to some, and the pool's settings
/// for DNS over TLS and HTTPS.
extension DNSCommand {
    /// --transport, with --tcp as its synonym for tcp.
    func chosenTransport() throws(ValidationError) -> DNSTransport {
        guard tcp else { return transport ?? .udp }
        if let transport, transport != .tcp {
            throw ValidationError("--tcp means --transport tcp; it cannot go with --transport \(transport.rawValue)")
        }
        return .tcp
    }

    /// Refuses options the transport does not use; for tls and https returns the run's TLS context (ALPN: none
    /// for DNS over TLS, h2 for DNS over HTTPS).
    func checkTransportOptions(_ transport: DNSTransport, threads: Int) throws(ValidationError) -> TLSContext? {
        if tcFallback && transport != .udp {
            throw ValidationError("--tc-fallback applies to --transport udp (a truncated UDP answer goes again over TCP)")
        }
        if transport != .https, dohMethod != nil || dohPath != nil {
            throw ValidationError("\(dohMethod != nil ? "--doh-method" : "--doh-path") applies to --transport https")
        }
        if let dohPath, !dohPath.hasPrefix("/") || dohPath.contains(where: { $0 == " " || $0 == "#" }) {
            throw ValidationError("--doh-path '\(dohPath)': give an absolute path such as /dns-query")
        }
        guard transport == .tls || transport == .https else {
            if connections != nil { throw ValidationError("--connections applies to --transport tls or https") }
            if connectTimeout != nil { throw ValidationError("--connect-timeout applies to --transport tls or https") }
            try tls.checkUnused(without: "add --transport tls or --transport https")
            return nil
        }
        if let connections, Int(connections.value) < threads {
            throw ValidationError("--connections \(connections.value) is below --threads \(threads); every thread needs a connection")
        }
        return try tls.context(alpn: transport == .https ? ["h2"] : [])
    }

    /// DNS over TLS: the pool's settings in `config.dns`. DNS over HTTPS: an HTTP/2 run (`config.http`) whose
    /// requests carry the queries, one target per server.
    func configurePool(_ config: inout RunConfig, transport: DNSTransport, tls context: TLSContext?) throws {
        guard var dns = config.dns else { return }
        dns.transport = transport
        dns.connections = connections.map { Int($0.value) } ?? config.load.threads
        dns.connectTimeoutNanos = connectTimeout?.nanos ?? 3_000_000_000
        if transport == .tls { dns.tls = context }
        config.dns = dns
        guard transport == .https else { return }
        let doh = RunConfig.DoH(method: dohMethod ?? .post, path: dohPath ?? "/dns-query", questions: dns.questions)
        var targets: [HTTPTarget] = []
        for server in dns.servers {
            let url: HTTPURL
            do {
                url = try HTTPURL(parsing: "https://\(server)\(doh.path)")
            } catch {
                throw ValidationError("--doh-path: \(error.description)")
            }
            targets.append(HTTPTarget(url: url, method: doh.method == .post ? "POST" : "GET", request: []))
        }
        config.http = RunConfig.HTTP(targets: targets, connections: dns.connections, keepAlive: true,
                                     connectTimeoutNanos: dns.connectTimeoutNanos, dnsServers: [], streams: 100,
                                     tls: context, doh: doh)
    }

    /// How the report describes where the servers came from, with the connections for tls and https.
    static func source(_ dns: RunConfig.DNS) -> String {
        switch dns.transport {
        case .udp, .tcp: dns.serversSource
        case .tls: "\(dns.serversSource); \(Wording.count(UInt64(dns.connections), "connection")), pipelined"
        case .https: "\(dns.serversSource); \(Wording.count(UInt64(dns.connections), "connection")), HTTP/2"
        }
    }
}
