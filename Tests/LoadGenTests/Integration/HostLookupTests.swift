import Foundation
import Glibc
import Testing
@testable import LoadGen

/// `HostLookup` (an HTTP URL's host name resolved once, at start, inside the netns) against knot in a namespace
/// the test creates, with c-ares' socket numbered above FD_SETSIZE: select() could not watch it (glibc's FD_SET
/// writes past the 1024-bit set), poll() can.
@Suite(.serialized,
       .enabled(if: IntegrationEnvironment.shouldRun, "needs root (network namespaces); set CI=1 to make a missing root fail"))
struct HostLookupTests {
    @Test("resolves through knot with every descriptor below 1100 taken, so c-ares' socket is above FD_SETSIZE")
    func resolvesWithDescriptorAboveFDSetSize() async throws {
        try await DNSRun.withKnot { ns, port, knot in
            let target = try NetNamespace.open(.name(ns.name))
            let server = try Endpoint(host: "127.0.0.1", port: UInt16(port))
            let before = try await knot.stats()
            let (address, lowestFree) = try OnNewThread.run { () throws -> (String, Int32) in
                try target.enterOnCurrentThread()
                return try HighDescriptors.holding(below: 1100) { lowestFree in
                    (try HostLookup.resolve(KnotServer.existingName, servers: [server]), lowestFree)
                }
            }
            let delta = try await knot.stats() - before
            #expect(lowestFree >= 1100, "the next descriptor would have been \(lowestFree)")
            #expect(address == "192.0.2.1")
            #expect(delta.udp4 >= 1, "knot saw \(delta.counters)")
        }
    }

    @Test("a name knot does not have: a clear failure, also above FD_SETSIZE")
    func missingNameFailsClearly() async throws {
        try await DNSRun.withKnot { ns, port, _ in
            let target = try NetNamespace.open(.name(ns.name))
            let server = try Endpoint(host: "127.0.0.1", port: UInt16(port))
            let message = try OnNewThread.run { () throws -> String in
                try target.enterOnCurrentThread()
                return HighDescriptors.holding(below: 1100) { _ in
                    do {
                        let address = try HostLookup.resolve(KnotServer.missingName, servers: [server], timeoutMillis: 1_000)
                        return "resolved to \(address)"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            #expect(message.contains(KnotServer.missingName) && message.contains("does not resolve"), "\(message)")
        }
    }
}

/// Fills every free descriptor below a number, so that the next socket() gets one at or above it.
enum HighDescriptors {
    /// Raises RLIMIT_NOFILE as needed, holds every descriptor below `limit` while `body` runs (it gets the lowest
    /// free descriptor number), then closes what it opened.
    static func holding<R>(below limit: Int32, _ body: (Int32) throws -> R) rethrows -> R {
        _ = ResourceLimits.raiseOpenFiles(to: Int(limit) + 1024)
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if devNull >= 0 { held.append(devNull) }
        while let last = held.last, last < limit - 1 {
            let fd = fcntl(devNull, F_DUPFD_CLOEXEC, 0)
            if fd < 0 { break }
            held.append(fd)
        }
        let probe = fcntl(devNull, F_DUPFD_CLOEXEC, 0)
        close(probe)
        return try body(probe)
    }
}
