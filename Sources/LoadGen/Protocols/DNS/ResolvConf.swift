/// The `nameserver` lines of a resolv.conf.
enum ResolvConf {
    /// The servers in order; entries that are not IP literals (or carry a `%scope`) are skipped.
    static func nameservers(in text: String, port: UInt16 = 53) -> [Endpoint] {
        var servers: [Endpoint] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            if let endpoint = try? Endpoint(host: String(fields[1]), port: port) {
                servers.append(endpoint)
            }
        }
        return servers
    }
}
