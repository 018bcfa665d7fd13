/// Where an HTTP run's requests go: each distinct address and port is a group with its own connections, and
/// each target belongs to one group. Host names are resolved here, on the calling loop thread, inside its netns.
struct HTTPEndpoints {
    private(set) var endpoints: [Endpoint] = []
    private(set) var groupOfTarget: [Int] = []

    init() {}

    init(targets: [HTTPTarget], dnsServers: [Endpoint]) throws {
        var groupOf: [String: Int] = [:]
        for target in targets {
            let address = target.url.hostIsLiteral
                ? target.url.host
                : try HostLookup.resolve(target.url.host, servers: dnsServers)
            let endpoint = try Endpoint(host: address, port: target.url.port)
            if let group = groupOf[endpoint.description] {
                groupOfTarget.append(group)
            } else {
                groupOf[endpoint.description] = endpoints.count
                groupOfTarget.append(endpoints.count)
                endpoints.append(endpoint)
            }
        }
    }

    var description: String { endpoints.map(\.description).joined(separator: ", ") }
}
