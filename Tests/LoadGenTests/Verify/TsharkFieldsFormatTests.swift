import Foundation
import Testing
@testable import LoadGen

extension VerifySuites {
    @Suite struct TsharkFieldsFormatTests {
        private func verify(events: String, observed: String, columns: [String]? = nil) throws -> VerifyReport {
            var options = VerifyOptions(format: .tsharkFields)
            options.columns = columns
            return try Verifier.run(events: events, observed: observed, observedFile: "obs.tsv", options: options)
        }

        private let rows = [
            VerifySamples.tsharkRow(id: 0x1000, name: "q0.example.test", seq: 0, delayNanos: 40_000),
            VerifySamples.tsharkRow(id: 0x1000, name: "q0.example.test", response: true, seq: 0, delayNanos: 90_000),
            VerifySamples.tsharkRow(id: 0x1001, name: "q1.example.test", seq: 1, delayNanos: 41_000),
            VerifySamples.tsharkRow(id: 0x1001, name: "q1.example.test", response: true, seq: 1, delayNanos: 91_000),
            VerifySamples.tsharkRow(id: 0x1002, name: "q2.example.test", seq: 2, delayNanos: 42_000),
        ]

        @Test func headerNamesTheColumns() throws {
            let report = try verify(events: VerifySamples.dnsEvents(3), observed: ([VerifySamples.tsharkHeader] + rows).joined(separator: "\n") + "\n")
            #expect(report.generated == 3 && report.observed == 3 && report.matched == 3)
            #expect(report.ignored.map(\.count) == [2])
            #expect(report.exitCode == 0)
            #expect(report.delay == ObserveDelaySummary([40_000, 41_000, 42_000]))
            #expect(report.delayClocks == [.wall])
        }

        @Test func columnsGivenWithoutHeaderAndInAnotherOrder() throws {
            // tshark -T fields -e dns.flags.response -e dns.qry.name -e dns.id (no header, no time).
            let observed = "0\tq0.example.test\t0x1000\n1\tq0.example.test\t0x1000\nFalse\tq1.example.test\t0x1001\nTrue\tq1.example.test\t0x1001\n"
            let report = try verify(events: VerifySamples.dnsEvents(2), observed: observed,
                                    columns: ["dns.flags.response", "dns.qry.name", "dns.id"])
            #expect(report.matched == 2 && report.observed == 2)
            #expect(report.delay == nil)
            // The same with a header line although --columns was given: the header is skipped.
            let withHeader = "dns.flags.response\tdns.qry.name\tdns.id\n" + observed
            #expect(try verify(events: VerifySamples.dnsEvents(2), observed: withHeader,
                               columns: ["dns.flags.response", "dns.qry.name", "dns.id"]).matched == 2)
        }

        @Test func withoutAResponseColumnEveryRowIsAQuery() throws {
            let observed = "dns.id\tdns.qry.name\n0x1000\tq0.example.test\n0x1000\tq0.example.test\n"
            let report = try verify(events: VerifySamples.dnsEvents(1), observed: observed)
            #expect(report.matched == 1 && report.duplicates == 1)
            #expect(report.notes.contains { $0.contains("dns.flags.response") })
        }

        @Test func aggregatedOccurrencesQuotesAndNonDNSFrames() throws {
            // DNS over TCP: two messages in one segment; -E quote=d; a frame without DNS.
            let observed = VerifySamples.tsharkHeader + "\n"
                + "\"1764310380.000040000\"\t\"0x1000,0x1001\"\t\"q0.example.test,q1.example.test\"\t\"0,0\"\n"
                + "1764310380.000050000\t\t\t\n"
            let report = try verify(events: VerifySamples.dnsEvents(2), observed: observed)
            #expect(report.matched == 2)
            #expect(report.ignored.map(\.reason) == ["frames without dns.id"])
        }

        @Test func removedLinesAreExactlyTheMissedOnes() throws {
            let count = 50
            let events = VerifySamples.dnsEvents(count)
            var lines = [VerifySamples.tsharkHeader]
            for i in 0..<count { lines.append(VerifySamples.tsharkRow(id: 0x1000 + i, name: "q\(i).example.test", seq: i)) }
            let removed = [3, 17, 18, 40]
            // tshark lists frames in capture order; drop those, and put the rest out of order to be sure.
            let kept = lines.enumerated().filter { !removed.map { $0 + 1 }.contains($0.offset) }.map(\.element)
            let observed = ([kept[0]] + kept.dropFirst().reversed()).joined(separator: "\n")
            let report = try verify(events: events, observed: observed)
            #expect(report.missed == removed.count)
            #expect(report.missedSamples.map(\.seq) == removed.map(UInt64.init))
            #expect(report.missedSamples.map { $0.key?.map(\.value) ?? [] } == removed.map { [String(0x1000 + $0), "q\($0).example.test"] })
            #expect(report.matched == count - removed.count)
            #expect(report.exitCode == 3)
        }

        @Test(arguments: [
            ("1764310380.1\t0x1000\tq0.example.test\t0\n1764310380.2\tnothex\tq0.example.test\t0\n", 3, "dns.id 'nothex'"),
            ("1764310380.1\t0x1000\tq0.example.test\tmaybe\n", 2, "dns.flags.response 'maybe'"),
            ("yesterday\t0x1000\tq0.example.test\t0\n", 2, "frame.time_epoch 'yesterday'"),
            ("1\t0x1000\tq0\t0\textra\n", 2, "5 tab-separated fields but 4 columns"),
        ] as [(String, Int, String)])
        func malformedRowsNameTheLine(body: String, line: Int, message: String) {
            #expect {
                _ = try verify(events: VerifySamples.dnsEvents(1), observed: VerifySamples.tsharkHeader + "\n" + body)
            } throws: { error in
                guard let e = error as? VerifyInputError else { return false }
                return e.file == "obs.tsv" && e.line == line && e.message.contains(message)
            }
        }

        @Test func missingHeaderOrColumnsIsExplained() {
            #expect {
                _ = try verify(events: VerifySamples.dnsEvents(1), observed: "0x1000\tq0.example.test\n")
            } throws: { error in
                (error as? VerifyInputError).map { $0.line == 1 && $0.message.contains("-E header=y") } ?? false
            }
            #expect {
                _ = try verify(events: VerifySamples.dnsEvents(1), observed: "0x1000\n", columns: ["dns.id"])
            } throws: { error in
                (error as? VerifyInputError)?.message.contains("--columns has no 'dns.qry.name' column") ?? false
            }
        }

        // MARK: the real tshark on a capture file written here (no root, no network: tshark only reads the file)

        static let tsharkPath = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }

        @Test(.enabled(if: tsharkPath != nil, "tshark is not installed"))
        func realTsharkOutputOfAGeneratedCapture() throws {
            let count = 20
            let dropped: Set<Int> = [5, 11]
            var packets: [(Int64, [UInt8])] = []
            for i in 0..<count where !dropped.contains(i) {
                let sent = VerifySamples.baseWallNanos + Int64(i) * 1_000_000
                packets.append((sent + 25_000, VerifyPcap.udp(sport: 40001, dport: 53, payload: VerifyPcap.dns(id: UInt16(0x1000 + i), name: "q\(i).example.test", response: false))))
                packets.append((sent + 75_000, VerifyPcap.udp(sport: 53, dport: 40001, payload: VerifyPcap.dns(id: UInt16(0x1000 + i), name: "q\(i).example.test", response: true))))
            }
            let directory = try TemporaryDirectory.make(prefix: "verify")
            defer { try? FileManager.default.removeItem(at: directory) }
            let pcap = directory.appendingPathComponent("dns.pcap")
            try Data(VerifyPcap.file(packets)).write(to: pcap)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.tsharkPath!)
            process.arguments = ["-n", "-r", pcap.path, "-T", "fields", "-E", "header=y", "-E", "separator=/t",
                                 "-e", "frame.time_epoch", "-e", "dns.id", "-e", "dns.qry.name", "-e", "dns.flags.response"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
            let observed = String(decoding: data, as: UTF8.self)

            let report = try verify(events: VerifySamples.dnsEvents(count), observed: observed)
            #expect(report.generated == count)
            #expect(report.observed == count - dropped.count)
            #expect(report.ignored.map(\.count) == [count - dropped.count], "the responses")
            #expect(report.missedSamples.map(\.seq) == dropped.sorted().map(UInt64.init))
            #expect(report.unexpected == 0 && report.duplicates == 0)
            #expect(report.delay.map { $0.min == 25_000 && $0.max == 25_000 } == true)
            #expect(report.exitCode == 3)
        }
    }
}

/// A pcap file (nanosecond timestamps, LINKTYPE_RAW: IPv4 packets without a link header) of DNS over UDP.
enum VerifyPcap {
    static func dns(id: UInt16, name: String, response: Bool) -> [UInt8] {
        var b: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), response ? 0x81 : 0x01, response ? 0x80 : 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            b.append(UInt8(label.utf8.count))
            b += Array(label.utf8)
        }
        b += [0, 0, 1, 0, 1]
        return b
    }

    static func udp(sport: UInt16, dport: UInt16, payload: [UInt8]) -> [UInt8] {
        func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let udp = be16(Int(sport)) + be16(Int(dport)) + be16(8 + payload.count) + [0, 0] + payload
        var ip: [UInt8] = [0x45, 0] + be16(20 + udp.count) + [0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
        var sum = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += Int(ip[i]) << 8 | Int(ip[i + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        let checksum = be16(~sum & 0xFFFF)
        ip[10] = checksum[0]
        ip[11] = checksum[1]
        return ip + udp
    }

    static func file(_ packets: [(Int64, [UInt8])]) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        // Magic 0xa1b23c4d: nanosecond resolution; version 2.4; snaplen 65535; LINKTYPE_RAW (101).
        var out = le32(0xA1B2_3C4D) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(101)
        for (nanos, packet) in packets {
            out += le32(UInt32(nanos / 1_000_000_000)) + le32(UInt32(nanos % 1_000_000_000))
            out += le32(UInt32(packet.count)) + le32(UInt32(packet.count)) + packet
        }
        return out
    }
}
