import Foundation
import Glibc
import Testing

extension DNSIntegrationTests {
    /// Exit codes (DESIGN.md §3) against real servers: 0 when something completed and every threshold held, 4 when
    /// one was breached, 1 when nothing completed; the report is printed before a non-zero exit.
    @Suite struct ExitCodes {
        @Test("a loose threshold holds (exit 0); a tight one is breached (exit 4) after the report, as knot answered")
        func thresholdsAgainstKnot() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let loose = ["--rate", "500", "--count", "500", "--timeout", "2s", "--max-error-ratio", "0.5",
                             "--min-rate-ratio", "0.5", "--max-latency", "p99=1s", "--max-latency", "p50=500ms"]
                let (_, report, delta) = try await knot.measure(DNSRun.arguments(netns: ns, port: port, loose), deadline: 15)
                #expect(try report.completed == 500 && delta.udp4 == 500, "knot: \(delta.counters); \(report)")
                let thresholds = try #require(report.object["thresholds"] as? [[String: Any]])
                #expect(thresholds.map { $0["name"] as? String } == ["max_error_ratio", "min_rate_ratio", "max_latency_p99", "max_latency_p50"])
                #expect(thresholds.allSatisfy { $0["held"] as? Bool == true }, "\(thresholds)")
                // What a threshold measured is what the report says elsewhere.
                let latency = try #require(report.object["latency_us"] as? [String: Any])
                #expect(LoadGenReport.number(thresholds[2]["measured"]) == LoadGenReport.number(latency["p99"]))
                #expect(LoadGenReport.number(thresholds[0]["measured"]) == 0)
                #expect(try report.strings("warnings").isEmpty)

                // 1 ns at p50 cannot hold over any network: exit 4, the text report first, naming what failed.
                let before = try await knot.stats()
                let tight = ["dns", "--netns", ns.name, "--server", "127.0.0.1:\(port)", "--name", KnotServer.existingName,
                             "--rate", "500", "--count", "200", "--timeout", "2s", "--max-latency", "p50=1ns", "--max-error-ratio", "0", "--quiet"]
                let run = try await LoadGen.run(tight, deadline: 15)
                let seen = try await knot.stats() - before
                #expect(run.exitCode == 4, "\(run.outcome.termination); stderr: \(run.stderr)")
                #expect(seen.udp4 == 200, "the breached run still ran in full: knot saw \(seen.counters)")
                #expect(run.stdout.hasPrefix("loadgen dns: 200 queries from netns \(ns.name)"), "\(run.stdout)")
                #expect(run.stdout.contains("  thresholds 1 of 2 failed (the others held)\n    FAILED max_latency_p50"), "\(run.stdout)")
                #expect(run.stdout.contains("    held   max_error_ratio      measured 0.0000, limit <= 0.0000"), "\(run.stdout)")
                #expect(run.stderr.contains("loadgen: 1 threshold breached: max_latency_p50 measured"), "\(run.stderr)")
            }
        }

        @Test("every query refused: exit 1 after a report that opens with the warning; the kernel refused each one")
        func everyQueryRefused() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try #require(try await !ns.isListening(port: port))
                let before = try await ns.udpCounters()
                let run = try await LoadGen.run(
                    DNSRun.arguments(netns: ns, port: port, ["--rate", "200", "--count", "100", "--timeout", "500ms", "--max-error-ratio", "1"]),
                    deadline: 10)
                let noPorts = try await ns.udpCounters()["NoPorts", default: 0] - before["NoPorts", default: 0]
                let report = try run.report(exitCode: 1)
                try report.expectAccounting()
                #expect(try report.completed == 0 && report.errors == report.sent, "\(report)")
                #expect(try report.sent == noPorts, "the kernel answered \(noPorts) datagrams with port unreachable; \(report)")
                let warnings = try report.strings("warnings")
                #expect(warnings.count == 1 && warnings[0].contains("refused from 0.0"), "\(warnings)")
                #expect(run.stderr.contains("loadgen: no query completed:"), "\(run.stderr)")
                // The threshold held (every ratio is at most 1), but nothing completed: 1 wins.
                let held = (report.object["thresholds"] as? [[String: Any]])?.first?["held"] as? Bool
                #expect(held == true)

                let text = try await LoadGen.run(
                    ["dns", "--netns", ns.name, "--server", "127.0.0.1:\(port)", "--count", "20", "--rate", "200", "--quiet"], deadline: 10)
                #expect(text.exitCode == 1)
                let lines = text.stdout.split(separator: "\n")
                #expect(lines.count > 2 && lines[0].hasPrefix("loadgen dns: 20 queries"), "\(text.stdout)")
                #expect(lines.count > 2 && lines[1].hasPrefix("WARNING 20 of 20 sent queries failed (100.0%): 20 refused from"), "\(text.stdout)")
            }
        }

        @Test("Ctrl-C as soon as loadgen can take it, before the run started: a report, exit 1, never killed by the signal")
        func earlySigint() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let arguments = DNSRun.arguments(netns: ns, port: port, ["--rate", "1000", "--count", "1000", "--timeout", "1s"])
                let child = try LoadGen.start(arguments)
                defer { child.kill() }
                // Wait until SIGINT is caught (SigCgt bit 2), which loadgen arranges before any Swift code runs.
                let deadline = ChildProcess.nowNanos + 5_000_000_000
                while ChildProcess.nowNanos < deadline, !ExitCodes.catches(SIGINT, pid: child.pid) {
                    try await Task.sleep(nanoseconds: 200_000)
                }
                child.signal(SIGINT)
                let outcome = await child.wait(seconds: 10)
                let run = LoadGenRun(arguments: arguments, outcome, sourceLocation: #_sourceLocation)
                #expect(outcome.termination != .signalled(SIGINT), "killed by SIGINT, no report: \(outcome.stderr)")
                // Exit 1 when nothing completed (the usual case: nothing was sent), else 0.
                let report = try run.report(exitCode: outcome.exitCode == 0 ? 0 : 1)
                try report.expectAccounting()
                #expect(try report.bool("interrupted"), "\(report)")
                #expect((outcome.exitCode == 1) == (try report.completed == 0), "\(outcome.termination); \(report)")
                #expect(try report.sent < 100, "stopped at the start: \(report)")
                #expect(try report.double("duration_s") < 0.5, "the issuing window ends at the stop: \(report)")
                let seen = try await knot.stats().udp4
                #expect(try report.completed == seen, "knot answered \(seen); \(report)")
            }
        }

        @Test("--pid of another user's process as root without CAP_SYS_PTRACE: names ptrace, not CAP_SYS_ADMIN; with it, the run works")
        func pidNeedsPtraceAccess() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let setpriv = try IntegrationEnvironment.requireTool("setpriv", package: "util-linux")
                let sleeper = try ns.spawn([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "30"])
                defer { sleeper.stop(signal: SIGKILL) }
                // `ip netns exec` and setpriv exec in place: wait until the PID is nobody's.
                let deadline = ChildProcess.nowNanos + 5_000_000_000
                while ChildProcess.nowNanos < deadline, ExitCodes.uid(of: sleeper.pid) != 65534 {
                    try await Task.sleep(nanoseconds: 10_000_000)
                }
                try #require(ExitCodes.uid(of: sleeper.pid) == 65534)
                let arguments = ["dns", "--pid", "\(sleeper.pid)", "--server", "127.0.0.1:\(port)", "--name", KnotServer.existingName,
                                 "--count", "10", "--json", "--quiet"]
                let denied = try await LoadGen.run(arguments, deadline: 10, prefix: [setpriv, "--bounding-set=-sys_ptrace"])
                denied.expectError(exitCode: 1, mentions: ["--pid \(sleeper.pid)", "ptrace", "without CAP_SYS_PTRACE"])
                #expect(!denied.stderr.contains("CAP_SYS_ADMIN"), "\(denied.stderr)")

                let (_, report, delta) = try await knot.measure(arguments, deadline: 10)
                #expect(try report.completed == 10 && delta.udp4 == 10, "knot: \(delta.counters); \(report)")
            }
        }

        /// Whether process `pid` has a handler for `signal` (its SigCgt mask).
        static func catches(_ signal: Int32, pid: pid_t) -> Bool {
            guard let mask = status(of: pid, field: "SigCgt:"), let bits = UInt64(mask, radix: 16) else { return false }
            return bits & (1 << UInt64(signal - 1)) != 0
        }

        /// The real uid of process `pid`.
        static func uid(of pid: pid_t) -> Int? {
            status(of: pid, field: "Uid:")?.split(separator: "\t").first.flatMap { Int($0) }
        }

        private static func status(of pid: pid_t, field: String) -> String? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            return text.split(separator: "\n").first { $0.hasPrefix(field) }
                .map { $0.dropFirst(field.count).trimmingCharacters(in: .whitespaces) }
        }
    }
}
