import Foundation
import Glibc
import Testing

extension DNSIntegrationTests {
    /// Bad input and bad conditions: a one-line error naming the flag or the cause, and the right exit code
    /// (1 could not run, 2 usage error), never a crash or a hang.
    ///
    /// Every invocation names a namespace the test made and bounds the run, so that a bad value that were
    /// wrongly accepted would still send only a few queries, to 127.0.0.1 inside that namespace.
    @Suite struct BadInput {
        /// Arguments after `dns --netns NS --json --quiet`; `SERVER` becomes 127.0.0.1:PORT (nothing listens).
        typealias Case = BadInputCase

        static let bounded = ["--count", "5", "--timeout", "200ms"]
        static let longLabel = String(repeating: "a", count: 64) + ".example.test"
        static let longName = Array(repeating: String(repeating: "b", count: 60), count: 5).joined(separator: ".") // 304 bytes

        static let usageCases: [Case] = [
            Case(label: "--server 300.1.1.1", arguments: ["--server", "300.1.1.1"] + bounded, exitCode: 2, mentions: ["--server", "300.1.1.1"]),
            Case(label: "--server 127.0.0.1:99999", arguments: ["--server", "127.0.0.1:99999"] + bounded, exitCode: 2, mentions: ["--server", "99999"]),
            Case(label: "--server [::1", arguments: ["--server", "[::1"] + bounded, exitCode: 2, mentions: ["--server", "[::1"]),
            Case(label: "label over 63 bytes", arguments: ["--server", "SERVER", "--name", longLabel] + bounded, exitCode: 2, mentions: ["--name", "63"]),
            Case(label: "name over 253 bytes", arguments: ["--server", "SERVER", "--name", longName] + bounded, exitCode: 2, mentions: ["--name", "253"]),
            Case(label: "--type BOGUS", arguments: ["--server", "SERVER", "--type", "BOGUS"] + bounded, exitCode: 2, mentions: ["--type", "BOGUS"]),
            Case(label: "--rate 0", arguments: ["--server", "SERVER", "--rate", "0"] + bounded, exitCode: 2, mentions: ["--rate"]),
            Case(label: "--rate -5", arguments: ["--server", "SERVER", "--rate", "-5"] + bounded, exitCode: 2, mentions: ["--rate"]),
            Case(label: "--rate=-5", arguments: ["--server", "SERVER", "--rate=-5"] + bounded, exitCode: 2, mentions: ["--rate"]),
            Case(label: "--rate abc", arguments: ["--server", "SERVER", "--rate", "abc"] + bounded, exitCode: 2, mentions: ["--rate", "abc"]),
            Case(label: "--count 0", arguments: ["--server", "SERVER", "--count", "0", "--rate", "10", "--duration", "1s", "--timeout", "200ms"],
                 exitCode: 2, mentions: ["--count"]),
            Case(label: "--concurrency 0", arguments: ["--server", "SERVER", "--concurrency", "0"] + bounded, exitCode: 2, mentions: ["--concurrency"]),
            Case(label: "--threads 0", arguments: ["--server", "SERVER", "--threads", "0"] + bounded, exitCode: 2, mentions: ["--threads"]),
            Case(label: "--duration 10x", arguments: ["--server", "SERVER", "--duration", "10x", "--rate", "10", "--timeout", "200ms"],
                 exitCode: 2, mentions: ["--duration", "10x"]),
            Case(label: "--timeout 50us (below 1 ms: refused, never silently ignored)",
                 arguments: ["--server", "SERVER", "--count", "5", "--timeout", "50us"], exitCode: 2, mentions: ["--timeout", "50us", "1ms to 1h"]),
            Case(label: "--timeout 25d (beyond c-ares' Int32 milliseconds)",
                 arguments: ["--server", "SERVER", "--count", "5", "--timeout", "25d"], exitCode: 2, mentions: ["--timeout", "25d", "1ms to 1h"]),
            Case(label: "--interval 1ns (10^9/s, above the 50M/s cap of --rate)",
                 arguments: ["--server", "SERVER", "--interval", "1ns"] + bounded, exitCode: 2, mentions: ["--interval", "1ns", "50M events per second"]),
            Case(label: "--duration 31d", arguments: ["--server", "SERVER", "--duration", "31d", "--rate", "10", "--timeout", "200ms"],
                 exitCode: 2, mentions: ["--duration", "31d", "30d"]),
            Case(label: "--count beyond 2^53", arguments: ["--server", "SERVER", "--count", "10000000G", "--rate", "10", "--duration", "1s", "--timeout", "200ms"],
                 exitCode: 2, mentions: ["--count", "10000000G", "9,007,199,254,740,992"]),
            Case(label: "--names-file missing", arguments: ["--server", "SERVER", "--names-file", "/nonexistent/lgt-names.txt"] + bounded,
                 exitCode: 2, mentions: ["--names-file", "/nonexistent/lgt-names.txt"]),
            Case(label: "--names-file with only comments", arguments: ["--server", "SERVER", "--names-file", "NAMESFILE"] + bounded,
                 exitCode: 2, mentions: ["--names-file"], namesFile: "# no questions here\n\n   # nor here\n"),
            Case(label: "--pid of no process, with --server", arguments: ["--pid", "NOPID", "--server", "SERVER"] + bounded,
                 exitCode: 1, mentions: ["--pid", "NOPID", "no such process"]),
            Case(label: "--pid of no process, servers from its resolv.conf", arguments: ["--pid", "NOPID"] + bounded,
                 exitCode: 1, mentions: ["NOPID", "no such process"]),
        ]

        @Test("usage errors and a missing pid", arguments: usageCases)
        func badInput(_ testCase: Case) async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let noPID = try BadInput.unusedPID()
                let directory = try TemporaryDirectory.make(prefix: "names")
                defer { try? FileManager.default.removeItem(at: directory) }
                let namesFile = directory.appendingPathComponent("names.txt").path
                if let text = testCase.namesFile { try text.write(toFile: namesFile, atomically: true, encoding: .utf8) }

                func substitute(_ text: String) -> String {
                    text.replacingOccurrences(of: "SERVER", with: "127.0.0.1:\(port)")
                        .replacingOccurrences(of: "NAMESFILE", with: namesFile)
                        .replacingOccurrences(of: "NOPID", with: "\(noPID)")
                }
                var arguments = ["dns"]
                if !testCase.arguments.contains("--pid") { arguments += ["--netns", ns.name] }
                arguments += testCase.arguments.map(substitute) + ["--json", "--quiet"]
                let run = try await LoadGen.run(arguments, deadline: 10)
                run.expectError(exitCode: testCase.exitCode, mentions: testCase.mentions.map(substitute))
            }
        }

        @Test("--netns that does not exist: exit 1, names it and points at `ip netns`")
        func missingNamespace() async throws {
            try await NetworkNamespace.with { ns in  // made only so that the run would stay in a namespace of ours
                let missing = "lgt-missing-\(UInt32.random(in: 0...UInt32.max))"
                try #require(!FileManager.default.fileExists(atPath: "/run/netns/\(missing)"))
                let run = try await LoadGen.run(
                    ["dns", "--netns", missing, "--server", "127.0.0.1:53"] + BadInput.bounded + ["--json", "--quiet"], deadline: 10)
                run.expectError(exitCode: 1, mentions: [missing, "ip netns"])
                _ = ns
            }
        }

        @Test("no permission to enter the namespace (unprivileged user): exit 1, says CAP_SYS_ADMIN is needed")
        func permissionDenied() async throws {
            try await NetworkNamespace.with { ns in
                let setpriv = try IntegrationEnvironment.requireTool("setpriv", package: "util-linux")
                // A copy the unprivileged user can execute wherever the checkout lives (e.g. under /root).
                let directory = try TemporaryDirectory.make(prefix: "bin")
                defer { try? FileManager.default.removeItem(at: directory) }
                let binary = directory.appendingPathComponent("loadgen").path
                // Copied by `cp`, not in this process: a child that another test forks meanwhile would inherit a
                // write descriptor of ours and make the exec below fail with ETXTBSY ("Text file busy").
                try await Command.check(["cp", try LoadGen.requireBinary(), binary])
                chmod(binary, 0o755)

                let run = try await LoadGen.run(
                    ["dns", "--netns", ns.name, "--server", "127.0.0.1:53"] + BadInput.bounded + ["--json", "--quiet"],
                    deadline: 10, prefix: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"], binary: binary)
                run.expectError(exitCode: 1, mentions: ["CAP_SYS_ADMIN", ns.name])
            }
        }

        @Test("too few file descriptors: raised when the hard limit allows, a clear exit 1 when it does not")
        func openFilesLimit() async throws {
            try await NetworkNamespace.with { ns in
                let prlimit = try IntegrationEnvironment.requireTool("prlimit", package: "util-linux")
                let setpriv = try IntegrationEnvironment.requireTool("setpriv", package: "util-linux")
                let arguments = ["dns", "--netns", ns.name, "--server", "127.0.0.1:\(try await TestPorts.freeOnHost())",
                                 "--threads", "8", "--count", "16", "--timeout", "200ms", "--json", "--quiet"]

                // Soft limit 70, hard 4096: loadgen raises the soft limit itself and runs (nothing listens: every
                // query is refused, so the run ends with exit 1 after its report).
                let raised = try await LoadGen.run(arguments, deadline: 10, prefix: [prlimit, "--nofile=70:4096"])
                let report = try raised.report(exitCode: 1)
                try report.expectAccounting()
                #expect(try report.sent == 16)

                // Hard limit 70 and no CAP_SYS_RESOURCE to lift it (root keeps CAP_SYS_ADMIN for setns).
                let stuck = try await LoadGen.run(
                    arguments, deadline: 10,
                    prefix: [prlimit, "--nofile=70:70", setpriv, "--inh-caps=-sys_resource", "--bounding-set=-sys_resource"])
                stuck.expectError(exitCode: 1, mentions: ["RLIMIT_NOFILE", "--threads"])
            }
        }

        /// A PID that no process has (checked with kill(pid, 0)).
        static func unusedPID() throws -> pid_t {
            let max = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 32768
            for _ in 0..<100 {
                let pid = pid_t.random(in: (max / 2)..<max)
                if kill(pid, 0) != 0 && errno == ESRCH { return pid }
            }
            throw FixtureError("no unused PID found")
        }
    }
}
