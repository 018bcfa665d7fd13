import CAres
import Glibc

/// Resolves a host name once, at start, with c-ares on the calling thread (which is already inside the target
/// netns), asking the given DNS servers. Blocking: it runs before the load starts, never on a thread pool.
enum HostLookup {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The first IPv4 address of `host` (IPv6 if it has none). A failure names `host`, `place` (where it was
    /// asked) and ends with `remedy` (what would work instead).
    static func resolve(_ host: String, servers: [Endpoint], timeoutMillis: Int = 3_000, place: String = "the target netns",
                        remedy: String = "use an IP address in the URL or --dns-server") throws(Failure) -> String {
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
            wait(channel, until: { box.done }, deadlineNanos: Loop.nowNanos + UInt64(timeoutMillis) * 1_000_000)
            if let address = box.address { return address }
            if family == AF_INET6 || box.status == ARES_ETIMEOUT || box.status == ARES_ECONNREFUSED {
                let why = String(cString: ares_strerror(box.status))
                let asked = servers.isEmpty ? "the system's resolvers" : servers.map(\.description).joined(separator: ", ")
                throw Failure(description: "'\(host)' does not resolve inside \(place) (\(why); asked \(asked)); \(remedy)")
            }
        }
        throw Failure(description: "'\(host)' does not resolve inside \(place); \(remedy)")
    }

    /// Drives `channel` with poll(2) (select() cannot watch descriptors above FD_SETSIZE, 1024) until `done`, the
    /// channel has no socket left, or the deadline passes (then what is pending is cancelled).
    private static func wait(_ channel: ares_channel, until done: () -> Bool, deadlineNanos: UInt64) {
        let slots = Int(ARES_GETSOCK_MAXNUM)
        var sockets = [ares_socket_t](repeating: ARES_SOCKET_BAD, count: slots)
        var fds: [pollfd] = []
        while !done() {
            let bits = Int(ares_getsock(channel, &sockets, Int32(slots)))
            fds.removeAll(keepingCapacity: true)
            for i in 0..<slots {
                var events: Int16 = 0
                if bits & (1 << i) != 0 { events |= Int16(POLLIN) }
                if bits & (1 << (i + slots)) != 0 { events |= Int16(POLLOUT) }
                if events != 0 { fds.append(pollfd(fd: sockets[i], events: events, revents: 0)) }
            }
            if fds.isEmpty { break }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            if ready > 0 {
                for fd in fds where fd.revents != 0 {
                    let failed = fd.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
                    ares_process_fd(channel,
                                    failed || fd.revents & Int16(POLLIN) != 0 ? fd.fd : ARES_SOCKET_BAD,
                                    failed || fd.revents & Int16(POLLOUT) != 0 ? fd.fd : ARES_SOCKET_BAD)
                }
            } else {
                ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)  // retries and timeouts
            }
            if Loop.nowNanos > deadlineNanos {
                ares_cancel(channel)
                break
            }
        }
    }
}
