import Foundation
import Glibc

/// tshark on the namespace's loopback writing every UDP datagram sent to `port` into a capture file, to be read
/// back afterwards with display filters and `-T fields` (`fields(_:filter:)`), as a tracer tester would.
///
/// Fenced like `PacketCapture`, but the probes (one-byte datagrams) go to `probePort`, where nothing listens, so
/// the probes never reach the server on `port`: the capture counts as running once the first probe shows up, and
/// everything sent before the last probe is in the file once that one shows up. Use
/// `PcapCapture.with(in:port:) { capture in ... }`, which stops tshark and removes the file whatever the body did.
final class PcapCapture {
    private let namespace: NetworkNamespace
    let port: Int
    let probePort: Int
    private let directory: URL
    private let process: ChildProcess
    private var finished = false

    /// The capture file (pcapng).
    var file: String { directory.appendingPathComponent("capture.pcapng").path }

    static func with<R>(in namespace: NetworkNamespace, port: Int,
                        _ body: (PcapCapture) async throws -> R) async throws -> R {
        let tshark = try IntegrationEnvironment.requireTool("tshark", package: "tshark")
        var probePort = try await TestPorts.freeOnHost()
        while probePort == port { probePort = try await TestPorts.freeOnHost() }
        guard try await !namespace.isListening(port: probePort) else {
            throw FixtureError("something listens on the probe port \(probePort) in \(namespace.name)")
        }
        let directory = try TemporaryDirectory.make(prefix: "pcap")
        let path = directory.appendingPathComponent("capture.pcapng").path
        let process: ChildProcess
        do {
            // -P prints a line per packet while writing the file: the fences watch those lines.
            process = try namespace.spawn([tshark, "-i", "lo", "-n", "-l", "-f", "udp dst port \(port) or udp dst port \(probePort)",
                                           "-w", path, "-P", "-T", "fields", "-e", "udp.dstport"])
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let capture = PcapCapture(namespace: namespace, port: port, probePort: probePort, directory: directory, process: process)
        defer {
            capture.process.stop(signal: SIGINT, grace: 5)
            try? FileManager.default.removeItem(at: directory)
        }
        try await capture.fence(what: "start")
        return try await body(capture)
    }

    private init(namespace: NetworkNamespace, port: Int, probePort: Int, directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.port = port
        self.probePort = probePort
        self.directory = directory
        self.process = process
    }

    private var probesSeen: Int { Tshark.printedNumbers(process).filter { $0 == probePort }.count }

    /// Sends probe datagrams to `probePort` until tshark prints one more of them than before.
    private func fence(what: String) async throws {
        try await Tshark.fence(process, in: namespace, probe: "printf x > /dev/udp/127.0.0.1/\(probePort)",
                               probeName: "datagram", what: what) { probesSeen }
    }

    /// Waits until everything sent so far is in the file, then stops tshark (which completes the file). Throws
    /// when tshark reports dropped packets.
    func finish() async throws {
        guard !finished else { return }
        try await fence(what: "end")
        finished = true
        try Tshark.stop(process)
    }

    /// `tshark -r FILE -d udp.port==PORT,dns -Y FILTER -T fields -e F...` (plus `extra`, e.g. `-E header=y`) on the
    /// finished capture: tshark's own decoding of what went to `port`, as text. Only datagrams to `port` are
    /// included (the probes are left out).
    func fields(_ fields: [String], filter: String, extra: [String] = []) async throws -> String {
        try await finish()
        let tshark = try IntegrationEnvironment.requireTool("tshark", package: "tshark")
        var argv = [tshark, "-r", file, "-n", "-d", "udp.port==\(port),dns", "-Y", "udp.dstport == \(port) && (\(filter))",
                    "-T", "fields"] + extra
        for field in fields { argv += ["-e", field] }
        return try await Command.check(argv, timeout: 30)
    }
}
