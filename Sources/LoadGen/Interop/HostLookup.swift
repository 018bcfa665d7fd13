import CAres
import Glibc

/// Resolves a host name once, at start, with c-ares on the calling thread (which is already inside the target
/// netns), asking the given DNS servers. Blocking: it runs before the load starts, never on a thread pool.
enum HostLookup {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// One address of `host`: the first of `resolveAll`'s (the lowest IPv4 address, else the lowest IPv6). A failure
    /// names `host`, `place` (where it was asked) and ends with `remedy` (what would work instead).
    static func resolve(_ host: String, servers: [Endpoint], timeoutMillis: Int = 3_000, place: String = "the target netns",
                        remedy: String = "use an IP address in the URL or --dns-server") throws(Failure) -> String {
        try resolveAll(host, servers: servers, timeoutMillis: timeoutMillis, place: place, remedy: remedy)[0]
    }

    /// A channel asking `servers` (c-ares' defaults when empty) with half the time limit per try, two tries.
    private static func makeChannel(_ host: String, servers: [Endpoint], timeoutMillis: Int) throws(Failure) -> ares_channel {
        AresMemory.install()
        var options = ares_options()
        options.timeout = Int32(max(200, timeoutMillis / 2))
        options.tries = 2
        var channel: ares_channel?
        let rc = ares_init_options(&channel, &options, Int32(ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES))
        guard rc == ARES_SUCCESS, let channel else {
            throw Failure(description: "resolving '\(host)': c-ares: \(String(cString: ares_strerror(rc)))")
        }
        if !servers.isEmpty {
            let csv = servers.map(\.description).joined(separator: ",")
            guard ares_set_servers_ports_csv(channel, csv) == ARES_SUCCESS else {
                ares_destroy(channel)
                throw Failure(description: "resolving '\(host)': bad DNS servers \(csv)")
            }
        }
        return channel
    }

    /// Every IPv4 and IPv6 address of `host` (c-ares' getaddrinfo: the hosts file first, else A and AAAA queries),
    /// each once, IPv4 before IPv6 and each family in address order, so that every thread and every run that
    /// resolves the same records spreads its events over them the same way. A failure reads as for `resolve`.
    static func resolveAll(_ host: String, servers: [Endpoint], timeoutMillis: Int = 3_000, place: String = "the target netns",
                           remedy: String) throws(Failure) -> [String] {
        let channel = try makeChannel(host, servers: servers, timeoutMillis: timeoutMillis)
        defer { ares_destroy(channel) }
        final class Box { var status: Int32 = ARES_ETIMEOUT; var found: [(Int32, [UInt8], String)] = []; var done = false }
        let box = Box()
        var hints = ares_addrinfo_hints()
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = ARES_AI_NOSORT
        ares_getaddrinfo(channel, host, nil, &hints, { arg, status, _, info in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.done = true
            box.status = status
            defer { ares_freeaddrinfo(info) }
            var node = status == ARES_SUCCESS ? info?.pointee.nodes : nil
            while let n = node {
                if let address = n.pointee.ai_addr, let found = HostLookup.numeric(address) { box.found.append(found) }
                node = n.pointee.ai_next
            }
        }, Unmanaged.passRetained(box).toOpaque())
        wait(channel, until: { box.done }, deadlineNanos: Loop.nowNanos + UInt64(timeoutMillis) * 1_000_000)
        let sorted = box.found.sorted { a, b in a.0 != b.0 ? a.0 == AF_INET : a.1.lexicographicallyPrecedes(b.1) }
        var seen = Set<String>()
        let addresses = sorted.map(\.2).filter { seen.insert($0).inserted }
        guard addresses.isEmpty else { return addresses }
        let why = String(cString: ares_strerror(box.done ? box.status : ARES_ETIMEOUT))
        let asked = servers.isEmpty ? "the system's resolvers" : servers.map(\.description).joined(separator: ", ")
        throw Failure(description: "'\(host)' does not resolve inside \(place) (\(why); asked \(asked)); \(remedy)")
    }

    /// An IPv4 or IPv6 socket address as (family, address bytes, text); nil for another family.
    private static func numeric(_ address: UnsafePointer<sockaddr>) -> (Int32, [UInt8], String)? {
        let family = Int32(address.pointee.sa_family)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let bytes: [UInt8]
        switch family {
        case AF_INET:
            var a = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self).sin_addr
            bytes = withUnsafeBytes(of: &a) { Array($0) }
            guard inet_ntop(AF_INET, &a, &text, socklen_t(text.count)) != nil else { return nil }
        case AF_INET6:
            var a = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in6.self).sin6_addr
            bytes = withUnsafeBytes(of: &a) { Array($0) }
            guard inet_ntop(AF_INET6, &a, &text, socklen_t(text.count)) != nil else { return nil }
        default:
            return nil
        }
        return (family, bytes, String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
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
