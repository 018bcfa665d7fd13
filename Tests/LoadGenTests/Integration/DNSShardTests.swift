import Foundation
import Glibc
import Testing

extension DNSIntegrationTests {
    /// `--shard I/N` with one `--start-at`, and `loadgen merge` of what the shards report (issue 11, points 2–3).
    @Suite struct Shards {
        static let count = 8_000
        static let rate = 4_000
        static let shards = 4

        @Test("4 shards as 4 processes with one --start-at: their events logs are seq 0..<8000 exactly once, on one origin and at the global rate; knot saw every query; loadgen merge adds the reports up exactly (percentiles checked by the hdrhistogram Python package)")
        func fourShardsMakeTheGlobalSchedule() async throws {
            let directory = try TemporaryDirectory.make(prefix: "shards")
            defer { try? FileManager.default.removeItem(at: directory) }
            try await DNSRun.withKnot { ns, port, knot in
                let before = try await knot.stats()
                // Two seconds ahead: every process is up and waiting when event 0 is due.
                let start = String(format: "%.3f", Date().timeIntervalSince1970 + 2)
                let children = try (0..<Shards.shards).map { i in
                    try LoadGen.start(["dns", "--netns", ns.name, "--server", "127.0.0.1:\(port)", "--name", "q{seq}.example.test",
                                       "--rate", "\(Shards.rate)", "--count", "\(Shards.count)", "--shard", "\(i)/\(Shards.shards)",
                                       "--start-at", start, "--events", directory.appendingPathComponent("events-\(i).jsonl").path,
                                       "--hlog", directory.appendingPathComponent("shard-\(i).hlog").path, "--json", "--quiet"])
                }
                var reports: [LoadGenReport] = []
                for (i, child) in children.enumerated() {
                    let run = LoadGenRun(arguments: ["shard \(i)"], await child.wait(seconds: 20), sourceLocation: #_sourceLocation)
                    let report = try run.report()
                    try report.expectAccounting()
                    try run.stdout.write(to: directory.appendingPathComponent("report-\(i).json"), atomically: true, encoding: .utf8)
                    reports.append(report)
                }
                let delta = try await knot.stats() - before

                let perShard = Shards.count / Shards.shards
                for (i, report) in reports.enumerated() {
                    #expect(try report.sent == perShard && report.completed == perShard, "shard \(i): \(report)")
                    #expect(try report.double("requested_rate") == Double(Shards.rate / Shards.shards), "shard \(i) reports its share")
                }
                #expect(delta.udp4 == Shards.count, "knot saw \(delta.udp4) queries")
                try Shards.checkEventsLogs(directory)
                try await Shards.checkMerge(directory, reports: reports)
                try await Shards.checkIntervalLogs(directory)
            }
        }

        @Test("the pods of a rendered Indexed Job, run with its container arguments and JOB_COMPLETION_INDEX 0..3, are the 4 shards of one schedule against knot")
        func theJobsPodsAreTheShards() async throws {
            let directory = try TemporaryDirectory.make(prefix: "job")
            defer { try? FileManager.default.removeItem(at: directory) }
            try await DNSRun.withKnot { ns, port, knot in
                let render = try await LoadGen.run(["k8s", "job", "--name", "dns-load", "--image", "localhost/loadgen:test", "--replicas", "4",
                                                    "--start-in", "2s", "--", "dns", "--netns", ns.name, "--server", "127.0.0.1:\(port)",
                                                    "--name", "q{seq}.example.test", "--rate", "4000", "--count", "4000"], deadline: 10)
                let manifest = directory.appendingPathComponent("job.yaml")
                try render.stdout.write(to: manifest, atomically: true, encoding: .utf8)
                // The arguments as a YAML reader sees them (PyYAML, in the venv with kubernetes-validate).
                let read = try await ChildProcess([try PythonVenv.requirePython(), "-c",
                    "import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(json.dumps(d['spec']['template']['spec']['containers'][0]['args']))",
                    manifest.path]).wait(seconds: 20)
                let arguments = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String], "\(read.stderr)")
                let before = try await knot.stats()
                let pods = try (0..<4).map { i in try LoadGen.start(arguments, prefix: ["/usr/bin/env", "JOB_COMPLETION_INDEX=\(i)"]) }
                var sent = 0
                for (i, pod) in pods.enumerated() {
                    let run = LoadGenRun(arguments: arguments, await pod.wait(seconds: 20), sourceLocation: #_sourceLocation)
                    let report = try run.report()
                    try report.expectAccounting()
                    let shard = try #require(report.object["shard"] as? [String: Any])
                    #expect(shard["index"] as? Int == i && shard["count"] as? Int == 4)
                    #expect(try report.sent == 1000, "pod \(i): \(report)")
                    sent += try report.sent
                }
                let delta = try await knot.stats() - before
                #expect(sent == 4000 && delta.udp4 == 4000, "sent \(sent), knot saw \(delta.udp4)")
            }
        }

        /// The shards' interval logs merged (`loadgen merge *.hlog`) and read by HdrHistogram's HistogramLogReader:
        /// both tags, every answer once, and each whole second holds the global rate's answers (within 2%).
        static func checkIntervalLogs(_ directory: URL) async throws {
            let files = (0..<shards).map { directory.appendingPathComponent("shard-\($0).hlog").path }
            let merge = try await LoadGen.run(["merge"] + files, deadline: 10)
            #expect(merge.exitCode == 0, "\(merge.stderr)")
            let merged = directory.appendingPathComponent("all.hlog")
            try merge.stdout.write(to: merged, atomically: true, encoding: .utf8)
            let read = try await ChildProcess([try PythonVenv.requirePython(), PythonVenv.fixture("hlog_read.py"), merged.path])
                .wait(seconds: 30)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any], "\(read.stderr)")
            let intervals = try #require(object["intervals"] as? [String: [[Double]]])
            #expect(Set(intervals.keys) == ["response", "service"])
            for (tag, rows) in intervals {
                #expect(rows.reduce(0) { $0 + Int($1[2]) } == count, "\(tag): \(rows)")
                for row in rows where row[1] >= 0.999 {
                    #expect(abs(row[2] - Double(rate)) <= Double(rate) / 50, "\(tag) second at \(row[0]) s: \(Int(row[2])) answers")
                }
                #expect(rows.filter { $0[1] >= 0.999 }.count == count / rate, "\(tag): \(count / rate) whole seconds in \(rows)")
            }
            try await checkPlots(directory, merged: merged, rows: try #require(intervals["response"]))
        }

        /// `loadgen plot` of the merged interval log draws what HdrHistogram's reader reads (p99, max, answers per
        /// second); of the four JSON reports, spectra that end at each report's maximum.
        static func checkPlots(_ directory: URL, merged: URL, rows: [[Double]]) async throws {
            let svg = directory.appendingPathComponent("time.svg")
            let time = try await LoadGen.run(["plot", merged.path, "-o", svg.path], deadline: 10)
            #expect(time.exitCode == 0, "\(time.stderr)")
            let charts = try PlottedChart.charts(in: String(contentsOf: svg, encoding: .utf8))
            try #require(charts.count == 2)
            let p99 = try charts[0].line("all: p99").data, top = try charts[0].line("all: max").data
            let counted = rows.filter { $0[2] > 0 }
            #expect(p99.count == counted.count && top.count == counted.count)
            for (point, row) in zip(p99, counted) {
                // Within the bucket (3 significant digits): where p99 falls in an interval's top bucket, loadgen reports the
                // interval's exact max and hdrh the bucket's top.
                #expect(abs(point.y - row[3] / 1e6) <= row[3] / 1e6 / 500, "p99 at \(row[0]) s: plotted \(point.y) ms, hdrh \(row[3]) ns")
            }
            // hdrh reports the max bucket's value, the plot the interval's exact Interval_Max: within the bucket.
            for (point, row) in zip(top, counted) {
                #expect(abs(point.y - row[4] / 1e6) <= row[4] / 1e6 / 500, "max at \(row[0]) s: plotted \(point.y) ms, hdrh \(row[4]) ns")
            }
            let perSecond = rows.filter { $0[1] >= 0.25 }.map { $0[2] / $0[1] }
            let plotted = try charts[1].line("all").data.map(\.y)
            #expect(plotted.count == perSecond.count && zip(plotted, perSecond).allSatisfy { abs($0 - $1) <= $1 / 1000 },
                    "answers per second plotted \(plotted), hdrh \(perSecond)")

            let files = (0..<shards).map { directory.appendingPathComponent("report-\($0).json").path }
            let spectrum = try await LoadGen.run(["plot"] + files + ["-o", "-"], deadline: 10)
            #expect(spectrum.exitCode == 0, "\(spectrum.stderr)")
            let chart = try #require(try PlottedChart.charts(in: spectrum.stdout).first)
            for (i, file) in files.enumerated() {
                let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
                let latency = try #require(report["latency_us"] as? [String: Any])
                let line = try chart.line("report-\(i): response time")
                let max = try #require(LoadGenReport.number(latency["max"])), n = try #require(LoadGenReport.number(latency["count"]))
                let last = try #require(line.data.last)
                #expect(abs(last.y - max) <= max * 1e-5 && abs(last.x - n) <= n * 1e-5, "report-\(i) ends at (\(n), \(max) µs): \(last)")
            }
        }

        /// The union of the logs is the global schedule: each seq once, in its shard, intended on one origin, and
        /// sent at the global rate (per 100 ms, within 5%).
        static func checkEventsLogs(_ directory: URL) throws {
            var intended: [Int: Int64] = [:]
            var sent: [Int64] = []
            for i in 0..<shards {
                let text = try String(contentsOf: directory.appendingPathComponent("events-\(i).jsonl"), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    let seq = try #require(event["seq"] as? Int)
                    #expect(seq % shards == i, "seq \(seq) in shard \(i)'s log")
                    #expect(intended[seq] == nil, "seq \(seq) logged twice")
                    intended[seq] = try #require((event["intended"] as? NSNumber)?.int64Value)
                    sent.append(try #require((event["sent"] as? NSNumber)?.int64Value))
                }
            }
            #expect(intended.keys.sorted() == Array(0..<count), "\(intended.count) distinct seqs of \(count)")
            guard let origin = intended[0] else { return }
            let period = Int64(1_000_000_000 / rate)
            // The processes convert --start-at to the monotonic clock each on its own: within a millisecond.
            let offOrigin = intended.filter { abs($0.value - (origin + Int64($0.key) * period)) > 1_000_000 }
            #expect(offOrigin.isEmpty, "\(offOrigin.count) events intended off the shared origin, e.g. \(offOrigin.first.map { "\($0)" } ?? "")")
            let binNanos: Int64 = 100_000_000
            let perBin = Int(Int64(rate) * binNanos / 1_000_000_000)
            var bins = [Int](repeating: 0, count: Int(Int64(count) * period / binNanos))
            for s in sent {
                let bin = Int((s - origin) / binNanos)
                if bin >= 0 && bin < bins.count { bins[bin] += 1 }
            }
            let off = bins.enumerated().filter { abs($0.element - perBin) > perBin / 20 }
            #expect(off.isEmpty, "sends per 100 ms should be \(perBin) ± 5%: \(bins)")
        }

        /// `loadgen merge` of the four reports (files, and concatenated on stdin) against the Python reader.
        static func checkMerge(_ directory: URL, reports: [LoadGenReport]) async throws {
            let files = (0..<shards).map { directory.appendingPathComponent("report-\($0).json").path }
            let mergeRun = try await LoadGen.run(["merge"] + files + ["--json"], deadline: 10)
            let merged = try mergeRun.report()
            #expect(try merged.sent == count && merged.completed == count && merged.int("intended") == count)
            #expect(try merged.double("requested_rate") == Double(rate))
            #expect(try merged.int("threads") == shards)
            #expect(try merged.counts("rcodes")["NXDOMAIN"] == count)
            let mergedPath = directory.appendingPathComponent("merged.json").path
            try JSONSerialization.data(withJSONObject: merged.object).write(to: URL(fileURLWithPath: mergedPath))
            let check = try await ChildProcess([try PythonVenv.requirePython(), PythonVenv.fixture("hdr_merge_check.py"), mergedPath] + files)
                .wait(seconds: 30)
            #expect(check.termination == .exited(0), "hdr_merge_check: \(check.stdout) \(check.stderr)")

            let piped = try await ChildProcess(["/bin/sh", "-c", "cat \(files.joined(separator: " ")) | \"$0\" merge - --json", LoadGen.requireBinary()])
                .wait(seconds: 10)
            #expect(piped.termination == .exited(0) && piped.stdout == mergeRun.stdout,
                    "merge - of concatenated reports differs from merge FILE...: \(piped.stderr)")
        }
    }
}
