import Foundation
import Testing
@testable import LoadGen

extension VerifySuites {
    @Suite struct IGTraceSSLFormatTests {
        private typealias S = VerifySamples

        private func verify(events: String, observed: String) throws -> VerifyReport {
            try Verifier.run(events: events, observed: observed, observedFile: "ssl.json",
                             options: VerifyOptions(format: .igTraceSSL))
        }

        private func events(_ seqs: Range<Int>, url: String = "https://127.0.0.1:8443/x?n={seq}") -> String {
            seqs.map { S.httpsEvent(seq: $0, url: url) }.joined(separator: "\n") + "\n"
        }

        private func lines(_ records: [String]) -> String { records.joined(separator: "\n") + "\n" }

        @Test func imageBasedWritesJoinByRequestLine() throws {
            let observed = lines([
                S.igImageSSL(operation: "libssl_SSL_do_handshake", buf: nil, len: 1),
                S.igImageSSL(buf: S.requestBuf(seq: 0), seq: 0),
                S.igImageSSL(operation: "libssl_SSL_read", buf: #"HTTP/1.1 200 OK\r\n\r\n"#, seq: 0),
                S.igImageSSL(buf: S.requestBuf(seq: 1), seq: 1),
                S.igImageSSL(buf: S.requestBuf(seq: 2), seq: 2),
            ])
            let report = try verify(events: events(0..<3), observed: observed)
            #expect(report.unitNoun == "HTTP/1.1 requests over TLS")
            #expect(report.generated == 3 && report.observed == 3 && report.matched == 3)
            #expect(report.missed == 0 && report.unexpected == 0 && report.duplicates == 0)
            #expect(report.ignored.map(\.reason) == ["libssl_SSL_do_handshake records", "libssl_SSL_read records"])
            #expect(report.delay == ObserveDelaySummary([15_000, 15_000, 15_000]))
            #expect(report.delayClocks == [.wall])
            #expect(!report.netnsMatched)
            #expect(report.exitCode == 0)
            #expect(report.text().contains("result: every one of the 3 HTTP/1.1 requests over TLS was observed (exit 0)"))
        }

        @Test func olderShapeWithTopLevelProcessFields() throws {
            let observed = lines([
                S.igOlderSSL(buf: S.requestBuf(seq: 0), seq: 0),
                S.igOlderSSL(operation: "libssl_SSL_read", buf: #"HTTP/1.1 200 OK\r\n"#),
                S.igOlderSSL(buf: S.requestBuf(seq: 1), seq: 1),
                S.igOlderSSL(buf: S.requestBuf(seq: 1), seq: 1, pid: 999),
            ])
            let report = try verify(events: events(0..<2), observed: observed)
            #expect(report.matched == 2 && report.observed == 2 && report.exitCode == 0)
            #expect(report.ignored.map(\.reason) == ["libssl_SSL_read records", "SSL_write calls by other processes"])
        }

        @Test func operationRawAloneAndTheReadmeSpelling() throws {
            let raw = #"{"timestamp_raw":1764310380000015000,"proc":{"pid":123},"operation_raw":2,"len":78,"buf":"\#(S.requestBuf(seq: 0))"}"#
            let short = S.igImageSSL(operation: "write", buf: S.requestBuf(seq: 1), seq: 1)
            let report = try verify(events: events(0..<2), observed: lines([raw, short]))
            #expect(report.matched == 2 && report.exitCode == 0)
        }

        @Test func onlyTheLogsProcessCounts() throws {
            let observed = lines([
                S.igImageSSL(buf: S.requestBuf(seq: 0), pid: 4321, comm: "curl"),
                S.igImageSSL(buf: S.requestBuf(seq: 1), seq: 1),
            ])
            let report = try verify(events: events(0..<2), observed: observed)
            #expect(report.matched == 1 && report.missed == 1 && report.exitCode == 3)
            #expect(report.missedSamples.map(\.seq) == [0])
            #expect(report.ignored.first { $0.reason == "SSL_write calls by other processes" }?.count == 1)
        }

        @Test func aContainerisedLoadgenIsFoundByName() throws {
            // The tracer sees host pids; loadgen in a container logs its own.
            let observed = lines([
                S.igImageSSL(buf: S.requestBuf(seq: 0), pid: 80_001),
                S.igImageSSL(buf: S.requestBuf(seq: 0), pid: 4321, comm: "curl"),
            ])
            let report = try verify(events: events(0..<1), observed: observed)
            #expect(report.matched == 1 && report.exitCode == 0)
            #expect(report.notes.contains { $0.contains("the calls of processes named 'loadgen' were joined") })
            let foreign = try verify(events: events(0..<1),
                                     observed: S.igImageSSL(buf: S.requestBuf(seq: 0), pid: 4321, comm: "curl"))
            #expect(foreign.observed == 0 && foreign.exitCode == 3)
            #expect(foreign.notes.contains { $0.contains("is this the trace of that run?") })
        }

        @Test func missingDuplicatedAndUnexpectedRequests() throws {
            let observed = lines([
                S.igImageSSL(buf: S.requestBuf(seq: 0), seq: 0),
                S.igImageSSL(buf: S.requestBuf(seq: 0), seq: 0),
                S.igImageSSL(buf: S.requestBuf(seq: 1), seq: 1),
                S.igImageSSL(buf: S.requestBuf(seq: 9), seq: 9),
                S.igImageSSL(buf: S.requestBuf(seq: 3, method: "POST"), seq: 3),
            ])
            let report = try verify(events: events(0..<4), observed: observed)
            #expect(report.matched == 2 && report.missed == 2 && report.exitCode == 3)
            #expect(report.missedSamples.map(\.seq) == [2, 3])
            #expect(report.missedSamples.first?.key?.map(\.value) == ["GET", "/x?n=2"])
            #expect(report.duplicates == 1)
            #expect(report.duplicateSamples.first?.key.map(\.value) == ["GET", "/x?n=0"])
            #expect(report.unexpected == 2)
            #expect(report.unexpectedSamples.map(\.line) == [4, 5])
            let text = report.text()
            #expect(text.contains("method=GET target=/x?n=2"))
            #expect(text.contains("result: 2 of 4 HTTP/1.1 requests over TLS missed (exit 3)"))
        }

        @Test func oneURLForEveryRequestJoinsByCount() throws {
            let url = "https://example.test/index.html"
            let buf = S.requestBuf(seq: 0, target: "/index.html")
            let report = try verify(events: events(0..<3, url: url),
                                    observed: lines([S.igImageSSL(buf: buf), S.igImageSSL(buf: buf)]))
            #expect(report.matched == 2 && report.missed == 1 && report.duplicates == 0)
        }

        @Test func withoutBufTheCallsAreCounted() throws {
            // ig run trace_ssl --record-data=false: buf is empty.
            let three = lines((0..<3).map { S.igImageSSL(buf: "", seq: $0) })
            let report = try verify(events: events(0..<3), observed: three)
            #expect(report.observed == 3 && report.countedOnly == 3 && report.matchedByCount == 3)
            #expect(report.matched == 3 && report.missed == 0 && report.exitCode == 0)
            #expect(report.notes.contains { $0.hasPrefix("the per-event join was not possible: none of the 3 SSL_write calls") })
            #expect(report.text().contains("3 by count only"))

            let two = lines((0..<2).map { S.igImageSSL(buf: nil, seq: $0) })
            let short = try verify(events: events(0..<3), observed: two)
            #expect(short.matched == 2 && short.missed == 1 && short.exitCode == 3)
            #expect(short.missedSamples.isEmpty)
            #expect(short.notes.contains { $0.contains("cannot be told") })
            let json = short.json().serialized()
            #expect(json.contains(#""matched_by_count": 2"#) && json.contains(#""observed_counted_only": 2"#))

            let four = lines((0..<4).map { S.igImageSSL(buf: "", seq: $0) })
            #expect(try verify(events: events(0..<3), observed: four).unexpected == 1)
        }

        @Test func aBufCutBeforeTheRequestLineEndsIsCounted() throws {
            let observed = lines([
                S.igImageSSL(buf: S.requestBuf(seq: 0), seq: 0),
                S.igImageSSL(buf: "GET /x?n=1 HT", len: 80, seq: 1),
                // IG keeps len & 8191 bytes: none of an 8192-byte request.
                S.igImageSSL(buf: "", len: 8192, seq: 2),
            ])
            let report = try verify(events: events(0..<4), observed: observed)
            #expect(report.countedOnly == 2 && report.matchedByCount == 2)
            #expect(report.matched == 3 && report.missed == 1 && report.exitCode == 3)
            #expect(report.notes.contains { $0.hasPrefix("2 SSL_write calls have a buf that ends before the request line does") })
        }

        @Test func writesThatAreNotHTTP1RequestsAreIgnored() throws {
            let observed = lines([
                S.igImageSSL(buf: S.requestBuf(seq: 0), seq: 0),
                S.igImageSSL(buf: #"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"#, len: 24),
                S.igImageSSL(buf: "", len: 9), // an HTTP/2 frame: its first byte is 0
                S.igImageSSL(buf: "hello", len: 5),
            ])
            let report = try verify(events: events(0..<1), observed: observed)
            #expect(report.matched == 1 && report.countedOnly == 0 && report.exitCode == 0)
            #expect(report.ignored.first { $0.reason.hasPrefix("SSL_write calls that do not start") }?.count == 2)
            #expect(report.ignored.contains { $0.reason == "SSL_write calls with an empty buf (binary data)" })
            // A record without the buf field is counted even when others have data.
            let missingField = try verify(events: events(0..<2), observed: lines([
                S.igImageSSL(buf: S.requestBuf(seq: 0)), S.igImageSSL(buf: nil, seq: 1),
            ]))
            #expect(missingField.matched == 2 && missingField.matchedByCount == 1 && missingField.exitCode == 0)
        }

        @Test func requestLines() {
            #expect(SSLWriteRequest(buf: "GET /a?b=1 HTTP/1.1\r\nHost: h\r\n\r\n", len: 30) == .request(method: "GET", target: "/a?b=1"))
            #expect(SSLWriteRequest(buf: #"POST /x HTTP/1.1\r\nHost: h"#, len: 90) == .request(method: "POST", target: "/x"),
                    "escaped once more: the line ends at the four characters \\r\\n")
            #expect(SSLWriteRequest(buf: "GET /x HTTP/1.0\r\n", len: 17) == .notHTTP1)
            #expect(SSLWriteRequest(buf: "GET  HTTP/1.1\r\n", len: 15) == .notHTTP1)
            #expect(SSLWriteRequest(buf: " /x HTTP/1.1\r\n", len: 14) == .notHTTP1)
            #expect(SSLWriteRequest(buf: "GET /x HTTP/1.1", len: 15) == .notHTTP1, "the whole call, no line end")
            #expect(SSLWriteRequest(buf: "GET /x HTTP/1.1", len: nil) == .truncated)
            #expect(SSLWriteRequest(buf: "\u{FFFD}\u{1}", len: 50) == .notHTTP1)
            #expect(SSLWriteRequest(buf: nil, len: 40) == .absent)
            #expect(SSLWriteRequest(buf: "", len: 40) == .empty)
            #expect(SSLWriteRequest(buf: "", len: 16_384) == .unbuffered)
        }

        @Test func requestTargetsOfURLs() {
            let target = IGTraceSSLFormat.target(ofURL:)
            #expect(target("https://h:8443") == "/")
            #expect(target("https://h?x=1") == "/?x=1")
            #expect(target("https://[::1]:8443/a/b?c=d#frag") == "/a/b?c=d")
            #expect(target("HTTPS://h/q0.example") == "/q0.example")
            #expect(target("no scheme") == nil)
        }

        @Test func plainHTTPEventsAreLeftOut() throws {
            let log = events(0..<2) + S.httpsEvent(seq: 2, url: "http://127.0.0.1:8080/x") + "\n"
                + S.dnsEvent(seq: 3) + "\n"
            let report = try verify(events: log, observed: lines([S.igImageSSL(buf: S.requestBuf(seq: 0)),
                                                                  S.igImageSSL(buf: S.requestBuf(seq: 1), seq: 1)]))
            #expect(report.generated == 2 && report.otherKindEvents == 2 && report.exitCode == 0)
            let plain = S.httpsEvent(seq: 0, url: "http://127.0.0.1:8080/x")
            #expect {
                _ = try verify(events: plain, observed: S.igImageSSL(buf: S.requestBuf(seq: 0)))
            } throws: { error in
                (error as? VerifyInputError)?.exitCode == 1
                    && (error as? VerifyInputError)?.message.contains("HTTP/1.1 request over TLS") == true
            }
        }

        @Test func noGroundTruthAndNothingObservedNeverPass() throws {
            #expect(throws: VerifyInputError.self) { _ = try verify(events: "", observed: S.igImageSSL(buf: "")) }
            let empty = try verify(events: events(0..<2), observed: "")
            #expect(empty.observed == 0 && empty.missed == 2 && empty.exitCode == 3)
            #expect(empty.notes.contains("no SSL_write calls in the observed file; check --observed and --format"))
        }

        @Test func hostileInput() throws {
            let log = events(0..<1)
            func message(_ observed: String) -> String? {
                do { _ = try verify(events: log, observed: observed); return nil } catch { return "\(error)" }
            }
            #expect(message(#"{"operation":"libssl_SSL_write","len":"many","buf":"x"}"#) == "ssl.json:1: 'len' is not an integer")
            #expect(message(#"{"operation":"libssl_SSL_write","len":5,"buf":[1,2]}"#) == "ssl.json:1: 'buf' is not a string")
            #expect(message("{\"operation\":\"libssl_SSL_write\",\"buf\":\"GET /x\n") != nil)
            #expect(message(#"{"operation":"libssl_SSL_write","proc":{"pid":123},"buf":"GET /x?n=0 HTTP/1.1\r\n\uZZZZ\ud800"}"#) == nil)
            #expect(message(#"{"operation":"libssl_SSL_write","proc":{"pid":123},"len":-1}"#) == nil)
            // Invalid UTF-8 and a 1 MB buf.
            var bytes = Array(#"{"operation":"libssl_SSL_write","proc":{"pid":123},"buf":"GET /x?n=0 HTTP/1.1\r\n"#.utf8)
            bytes += [0xFF, 0xC3, 0x28] + [UInt8](repeating: 0x41, count: 1 << 20) + Array("\"}\n".utf8)
            let report = try bytes.withUnsafeBufferPointer { observed in
                var e = log
                return try e.withUTF8 { eb in
                    try Verifier.run(events: eb, eventsFile: "ev", observed: observed, observedFile: "ssl.json",
                                     options: VerifyOptions(format: .igTraceSSL))
                }
            }
            #expect(report.matched == 1)
            // Many distinct operations do not grow the report.
            let many = (0..<1000).map { #"{"operation":"op\#($0)","len":1}"# }.joined(separator: "\n")
            #expect(try verify(events: log, observed: many).ignored.count == 1)
        }

        @Test func theCommandJoinsTheFilesAndExitsThreeOnAMiss() async throws {
            let directory = try TemporaryDirectory.make(prefix: "verify-ssl")
            defer { try? FileManager.default.removeItem(at: directory) }
            let eventsPath = directory.appendingPathComponent("events.jsonl").path
            let observedPath = directory.appendingPathComponent("ssl.json").path
            try events(0..<3).write(toFile: eventsPath, atomically: true, encoding: .utf8)
            try lines([S.igImageSSL(buf: S.requestBuf(seq: 0)), S.igImageSSL(buf: S.requestBuf(seq: 2), seq: 2)])
                .write(toFile: observedPath, atomically: true, encoding: .utf8)
            let run = try await LoadGen.run(["verify", "--events", eventsPath, "--observed", observedPath,
                                             "--format", "ig-trace-ssl", "--json"], deadline: 20)
            #expect(run.exitCode == 3)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(object["format"] as? String == "ig-trace-ssl")
            #expect(object["matched"] as? Int == 2 && object["missed"] as? Int == 1)
            #expect(object["key"] as? [String] == ["method", "target"])
        }
    }
}
