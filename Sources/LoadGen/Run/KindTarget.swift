/// One target of a tcp or udp run: `HOST:PORT` as given and, for a host name, the DNS servers it is resolved
/// with — once per loop thread, on that thread, after it entered its netns (as loadgen http resolves URL hosts).
struct KindTarget: Sendable, CustomStringConvertible {
    var given: HostPort
    /// Asked for a name (`--dns-server`, else the target's resolv.conf); empty for an IP literal.
    var dnsServers: [Endpoint] = []

    /// The addresses to send to: the literal, or every address of the name resolved inside `netns` (a label for
    /// the message; nil: the caller's own netns), IPv4 first, in address order (`HostLookup.resolveAll`). Call it
    /// on the loop thread, inside the netns. Failure: one line naming the name, the namespace and what would work.
    func resolve(netns: String?) throws(RunFailure) -> [Endpoint] {
        if let literal = given.literal { return [literal] }
        do {
            let addresses = try HostLookup.resolveAll(
                given.host, servers: dnsServers, place: netns.map { "netns \($0)" } ?? "the current netns",
                remedy: "give an IP address as HOST:PORT (e.g. 127.0.0.1:\(given.port)) or a DNS server that knows it with --dns-server ADDR[:PORT]")
            var endpoints: [Endpoint] = []
            for address in addresses { endpoints.append(try given.endpoint(address: address)) }
            return endpoints
        } catch {
            throw RunFailure("\(error)")
        }
    }

    var description: String { given.description }
}
