import Foundation
import Glibc

/// What the tshark captures (`PacketCapture`, `SYNCapture`, `PcapCapture`) share: tshark's `-l -T fields` output
/// read back as numbers, the probe fence, and stopping tshark.
enum Tshark {
    /// The numbers tshark has printed so far, one a line (`-T fields -e F` with one numeric field); lines without
    /// one are left out.
    static func printedNumbers(_ process: ChildProcess) -> [Int] {
        let text = (try? String(contentsOfFile: process.stdoutPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The fence: runs `probe` (a bash command that sends one probe packet) in `namespace`, again every 300 ms,
    /// until `probesSeen()` is more than it was before. Throws when tshark exits, or when no probe shows up within
    /// 15 s (`probeName`, e.g. "datagram", and `what`, e.g. "start", say which in the error).
    static func fence(_ process: ChildProcess, in namespace: NetworkNamespace, probe: String, probeName: String,
                      what: String, probesSeen: () -> Int) async throws {
        let before = probesSeen()
        let deadline = ChildProcess.nowNanos + 15_000_000_000
        while ChildProcess.nowNanos < deadline {
            guard process.isRunning else { throw FixtureError("tshark exited: \(process.stderrSoFar)") }
            try await namespace.run(["bash", "-c", probe])
            let seenBy = ChildProcess.nowNanos + 300_000_000
            while ChildProcess.nowNanos < seenBy {
                if probesSeen() > before { return }
                try await Task.sleep(nanoseconds: 10_000_000)
            }
        }
        throw FixtureError("tshark did not see a probe \(probeName) (\(what)) within 15 s: \(process.stderrSoFar)")
    }

    /// Stops tshark with SIGINT (5 s to finish); throws when it reports dropped packets.
    static func stop(_ process: ChildProcess) throws {
        let outcome = process.stop(signal: SIGINT, grace: 5)
        if outcome.stderr.contains("dropped") && !outcome.stderr.contains("0 packets dropped") {
            throw FixtureError("tshark dropped packets: \(outcome.stderr)")
        }
    }
}
