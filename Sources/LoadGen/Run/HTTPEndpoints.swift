/// Where an HTTP run's requests go: each distinct address and port is a group with its own connections, and
/// each target belongs to one group. Host names are resolved here, on the calling loop thread, inside its netns.
/// Over TLS the host name is part of the group too: it is the SNI and what the certificate is checked against.
struct HTTPEndpoints {
    private(set) var endpoints: [Endpoint] = []
    /// The URL host of each group (a name or an IP literal).
    private(set) var hosts: [String] = []
    private(set) var groupOfTarget: [Int] = []

    init() {}

    init(targets: [HTTPTarget], dnsServers: [Endpoint]) throws {
        var groupOf: [String: Int] = [:]
        for target in targets {
            let address = target.url.hostIsLiteral
                ? target.url.host
                : try HostLookup.resolve(target.url.host, servers: dnsServers)
            let endpoint = try Endpoint(host: address, port: target.url.port)
            let key = target.url.isTLS ? "\(target.url.host) \(endpoint)" : endpoint.description
            if let group = groupOf[key] {
                groupOfTarget.append(group)
            } else {
                groupOf[key] = endpoints.count
                groupOfTarget.append(endpoints.count)
                endpoints.append(endpoint)
                hosts.append(target.url.host)
            }
        }
    }

    /// DNS servers (IP literals), one group each; queries go round-robin over them.
    init(servers: [Endpoint]) {
        endpoints = servers
        hosts = servers.map(\.host)
        groupOfTarget = Array(servers.indices)
    }

    var description: String { endpoints.map(\.description).joined(separator: ", ") }
}

extension LoadWorker {
    /// The HTTP fields every request's event record has: method, URL (expanded when it has placeholders) and,
    /// when answered, the status.
    final func describeRequest(slot: Int32, _ target: HTTPTarget, _ completion: Completion,
                               scratch: UnsafeMutablePointer<UInt8>, into record: inout EventRecord) {
        record.field("method", target.method)
        if let template = target.urlTemplate {
            let n = template.expand(sequence: slots.sequence[Int(slot)], thread: result.threadIndex, into: scratch)
            record.field("url", bytes: UnsafeRawBufferPointer(start: scratch, count: n))
        } else {
            record.field("url", target.urlText)
        }
        if case .answered(let status) = completion { record.field("status", status) }
    }
}
