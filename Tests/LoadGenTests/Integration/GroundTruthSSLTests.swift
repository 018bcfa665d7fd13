import Foundation
import Glibc
import Testing

extension GroundTruthIntegrationTests {
    /// Inspektor Gadget's trace_ssl probes libssl's `SSL_write` (not `SSL_write_ex`) and emits one event per call
    /// that returned > 0 (DESIGN.md §6). A bpftrace uprobe on the very libssl loadgen loads counts those calls, and
    /// its records, written out in trace_ssl's JSON shape, join with the events log through `verify --format
    /// ig-trace-ssl` (issue 10 point 4).
    @Suite struct BPFTraceSSL {
        /// The libssl the binary loads, as the dynamic loader resolves it.
        static func libssl(of binary: String) async throws -> String {
            let output = try await Command.check(["ldd", binary])
            guard let line = output.split(separator: "\n").first(where: { $0.contains("libssl.so") }),
                  let path = line.split(separator: " ").first(where: { $0.hasPrefix("/") }) else {
                throw FixtureError("ldd \(binary) shows no libssl: \(output)")
            }
            return String(path)
        }

        /// Counts SSL_write and SSL_write_ex per process; prints each SSL_write as `W pid tid len buf` (the buf's
        /// first 64 bytes, non-printable bytes as \xNN).
        static func script(libssl: String) -> String {
            """
            uprobe:\(libssl):SSL_write { @ssl_write[pid] = count(); printf("W %d %d %d %r\\n", pid, tid, arg2, buf(arg1, 64)); }
            uprobe:\(libssl):SSL_write_ex { @ssl_write_ex[pid] = count(); }

            """
        }

        /// bpftrace's `W pid tid len buf` lines of `pid` as trace_ssl JSON lines (`proc`, `operation`, `len`, `buf`).
        static func traceSSLLines(_ lines: [Substring], pid: pid_t) -> String {
            var out = ""
            for line in lines where line.hasPrefix("W \(pid) ") {
                let fields = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
                guard fields.count == 5 else { continue }
                let record: [String: Any] = [
                    "proc": ["comm": "loadgen", "pid": Int(pid), "tid": Int(fields[2]) ?? 0],
                    "operation": "libssl_SSL_write", "len": Int(fields[3]) ?? 0, "buf": unescape(fields[4]),
                ]
                let data = try! JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
                out += String(decoding: data, as: UTF8.self) + "\n"
            }
            return out
        }

        /// bpftrace's %r text back to a string, cut at the first control byte (trace_ssl prints buf as a C string;
        /// the request line ends at its CR).
        static func unescape(_ text: Substring) -> String {
            String(text.split(separator: "\\", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }

        @Test("bpftrace: SSL_write calls of loadgen == sent (none through SSL_write_ex); its records joined by verify --format ig-trace-ssl")
        func sslWritesEqualSent() async throws {
            let libssl = try await Self.libssl(of: try LoadGen.requireBinary())
            try await NetworkNamespace.with { ns in
                try await NginxServer.with(in: ns, tls: try .good()) { nginx in
                    let directory = try TemporaryDirectory.make(prefix: "ssl-groundtruth")
                    defer { try? FileManager.default.removeItem(at: directory) }
                    let events = directory.appendingPathComponent("events.jsonl").path
                    let arguments = try HTTPSNginxTests.arguments(nginx.httpsURL("/index.html?seq={seq}"), netns: ns,
                                                                  ["-c", "4", "--rate", "1000", "--count", "1500", "--events", events])
                    let result: (maps: [String: Int], lines: [Substring], run: LoadGenRun, pid: pid_t)
                    do {
                        result = try await BPFTrace.with(script: Self.script(libssl: libssl)) { bpftrace in
                            let (run, pid) = try await GroundTruthRun.run(arguments, deadline: 30)
                            let output = try bpftrace.finishWithOutput()
                            return (output.maps, output.lines, run, pid)
                        }
                    } catch let error as BPFTrace.Unavailable where !IntegrationEnvironment.shouldRun {
                        try Test.cancel("skipped: \(error.description)")
                    }
                    let report = try result.run.report()
                    try FaultRun.expectInvariants(report, intended: 1500)
                    #expect(try report.completed == 1500)
                    let calls = result.maps["@ssl_write[\(result.pid)]"] ?? 0, sent = try report.sent
                    #expect(calls == sent, "bpftrace counted \(calls) SSL_write calls; sent \(sent); \(result.maps)")
                    #expect(result.maps["@ssl_write_ex[\(result.pid)]"] == nil, "SSL_write_ex is invisible to trace_ssl: \(result.maps)")
                    #expect(try HTTPSNginxTests.tls(report).int("ssl_write_calls") == calls)

                    let observed = directory.appendingPathComponent("trace_ssl.json").path
                    try Self.traceSSLLines(result.lines, pid: result.pid).write(toFile: observed, atomically: true, encoding: .utf8)
                    let verify = try await LoadGen.run(["verify", "--events", events, "--observed", observed,
                                                        "--format", "ig-trace-ssl", "--json"], deadline: 30)
                    #expect(verify.exitCode == 0, "verify: \(verify.stdout.prefix(1500)) \(verify.stderr)")
                    let joined = try LoadGenReport(JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as! [String: Any])
                    #expect(try joined.int("matched") == 1500 && joined.int("missed") == 0 && joined.int("duplicates") == 0,
                            "per-event join by request line: \(joined.object)")
                }
            }
        }
    }
}
