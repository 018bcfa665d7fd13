import Foundation
import Glibc
import Testing

extension HTTP1IntegrationTests {
    /// Issue 9 point 4: URL templates whose expansions differ greatly in length, served round-robin on one
    /// connection (a request buffer sized from the first target a connection serves overflowed: SIGSEGV), and
    /// 1,000 distinct URLs. nginx's access log must show every expanded path exactly, as loadgen's events log
    /// recorded it.
    @Suite struct Templates {
        /// The long template's filler: with the request line and headers the request is about 5 KiB, within
        /// nginx's 8 KiB `large_client_header_buffers`.
        static let filler = String(repeating: "x", count: 5000)

        @Test("-c 1, '/s{seq}' (about 10 bytes) and a 5 KiB '/l{seq}/x...' round-robin: no crash, nginx logged every expansion",
              arguments: [false, true])
        func shortAndLongOnOneConnection(http2: Bool) async throws {
            try await NetworkNamespace.with { ns in
                try await NginxServer.with(in: ns, h2c: http2) { nginx in
                    let base = http2 ? nginx.h2URL("") : nginx.url("")
                    let urls = [base + "/s{seq}", base + "/l{seq}/" + Templates.filler]
                    let events = try TemporaryDirectory.make(prefix: "events").appendingPathComponent("events.jsonl").path
                    defer { try? FileManager.default.removeItem(atPath: (events as NSString).deletingLastPathComponent) }
                    let extra = ["-c", "1", "--count", "200", "--timeout", "2s", "--events", events]
                    let arguments = http2 ? HTTP2Run.arguments(netns: ns, url: urls[0], [urls[1]] + extra)
                        : HTTP1Run.arguments(urls, netns: ns, extra)
                    let run = try await LoadGen.run(arguments, deadline: 20)
                    let report = try FaultRun.report(run)
                    try FaultRun.expectInvariants(report, intended: 200)
                    #expect(try report.sent == 200 && report.completed == 200, "\(FaultRun.summary(report))")
                    let sent = try Templates.eventPaths(events, base: base)
                    for (seq, path) in sent {
                        #expect(path == "/s\(seq)" || path == "/l\(seq)/\(Templates.filler)", "seq \(seq) expanded to \(path.prefix(40))...")
                    }
                    #expect(sent.filter { $0.path.hasPrefix("/s") }.count == 100, "round-robin: half the requests short")
                    #expect(Set(sent.map(\.seq)).count == 200, "every seq once")
                    let log = try await nginx.accessLog(expected: 200)
                    #expect(log.map(\.path).sorted() == sent.map(\.path).sorted(),
                            "nginx logged \(log.count) paths, not exactly the \(sent.count) loadgen expanded")
                    #expect(Set(log.map(\.connection)).count == 1, "one connection: \(Set(log.map(\.connection)))")
                }
            }
        }

        @Test("1,000 distinct URLs of 8 bytes to 3 KiB from --urls-file, 3000 requests: nginx logged each path exactly 3 times")
        func thousandDistinctURLs() async throws {
            try await NetworkNamespace.with { ns in
                try await NginxServer.with(in: ns) { nginx in
                    let paths = (0..<1000).map { "/d/\($0)/" + String(repeating: "y", count: ($0 * 37) % 3000) }
                    let directory = try TemporaryDirectory.make(prefix: "urls")
                    defer { try? FileManager.default.removeItem(at: directory) }
                    let file = directory.appendingPathComponent("urls.txt").path
                    try paths.map { nginx.url($0) }.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
                    let run = try await LoadGen.run(
                        HTTP1Run.arguments([], netns: ns, ["--urls-file", file, "-c", "4", "--count", "3000", "--timeout", "2s"]),
                        deadline: 30)
                    let report = try FaultRun.report(run)
                    try FaultRun.expectInvariants(report, intended: 3000)
                    #expect(try report.sent == 3000 && report.completed == 3000, "\(FaultRun.summary(report))")
                    let log = try await nginx.accessLog(expected: 3000)
                    var seen: [String: Int] = [:]
                    for entry in log { seen[entry.path, default: 0] += 1 }
                    let wrong = paths.filter { seen[$0] != 3 }
                    #expect(wrong.isEmpty, "\(wrong.count) paths not logged exactly 3 times, e.g. \(wrong.first.map { "\($0.prefix(20)): \(seen[$0] ?? 0)" } ?? "")")
                    #expect(seen.count == 1000, "nginx logged \(seen.count) distinct paths")
                    #expect(try HTTP1Run.status(report) == HTTP1Run.statusCounts(log), "\(FaultRun.summary(report))")
                }
            }
        }

        /// The `seq` and the path (the URL without `base`) of every event in loadgen's events log.
        static func eventPaths(_ path: String, base: String) throws -> [(seq: Int, path: String)] {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return try text.split(separator: "\n").map { line in
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let seq = object["seq"] as? Int, let url = object["url"] as? String, url.hasPrefix(base) else {
                    throw FixtureError("events log: cannot read '\(line.prefix(200))'")
                }
                return (seq, String(url.dropFirst(base.count)))
            }
        }
    }
}
