import CAres
import Glibc

/// Resolves a host name once, at start, with c-ares on the calling thread (which is already inside the target
/// netns), asking the given DNS servers. Blocking: it runs before the load starts, never on a thread pool.
enum HostLookup {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The first IPv4 address of `host` (IPv6 if it has none).
    static func resolve(_ host: String, servers: [Endpoint], timeoutMillis: Int = 3_000) throws(Failure) -> String {
        var options = ares_options()
        options.timeout = Int32(max(200, timeoutMillis / 2))
        options.tries = 2
        var channel: ares_channel?
        var rc = ares_init_options(&channel, &options, Int32(ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES))
        guard rc == ARES_SUCCESS, let channel else {
            throw Failure(description: "resolving '\(host)': c-ares: \(String(cString: ares_strerror(rc)))")
        }
        defer { ares_destroy(channel) }
        if !servers.isEmpty {
            let csv = servers.map(\.description).joined(separator: ",")
            rc = ares_set_servers_ports_csv(channel, csv)
            guard rc == ARES_SUCCESS else {
                throw Failure(description: "resolving '\(host)': bad DNS servers \(csv)")
            }
        }
        final class Box { var status: Int32 = ARES_ETIMEOUT; var address: String?; var done = false }
        for family in [AF_INET, AF_INET6] {
            let box = Box()
            let unmanaged = Unmanaged.passRetained(box)
            ares_gethostbyname(channel, host, family, { arg, status, _, hostent in
                let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
                box.done = true
                box.status = status
                guard status == ARES_SUCCESS, let hostent, let list = hostent.pointee.h_addr_list,
                      let first = list[0] else { return }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                if inet_ntop(hostent.pointee.h_addrtype, first, &text, socklen_t(text.count)) != nil {
                    box.address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }, unmanaged.toOpaque())
            let deadline = Loop.nowNanos + UInt64(timeoutMillis) * 1_000_000
            while !box.done {
                var readers = fd_set(), writers = fd_set()
                let nfds = ares_fds(channel, &readers, &writers)
                if nfds == 0 { break }
                var tv = timeval(tv_sec: 0, tv_usec: 50_000)
                _ = select(nfds, &readers, &writers, nil, &tv)
                ares_process(channel, &readers, &writers)
                if Loop.nowNanos > deadline {
                    ares_cancel(channel)
                    break
                }
            }
            if let address = box.address { return address }
            if family == AF_INET6 || box.status == ARES_ETIMEOUT || box.status == ARES_ECONNREFUSED {
                let why = String(cString: ares_strerror(box.status))
                let asked = servers.isEmpty ? "the system's resolvers" : servers.map(\.description).joined(separator: ", ")
                throw Failure(description: "'\(host)' does not resolve inside the target netns (\(why); asked \(asked)); use an IP address in the URL or --dns-server")
            }
        }
        throw Failure(description: "'\(host)' does not resolve inside the target netns")
    }
}
