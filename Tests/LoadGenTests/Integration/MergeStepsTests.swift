import Foundation
import Testing

extension DNSIntegrationTests {
    /// `loadgen merge` and `plot` of a shaped run's shards: two `--shard` processes of one `--steps` schedule on one
    /// `--start-at` against knot, their steps merged by the real binary and held against knot's count and the plan.
    @Suite struct MergeStepsTests {
        /// Global rates: 1000/s for 1 s, a 500 ms pause, 3000/s for 1 s (each shard sends half).
        static let shape = "1000@1s,0@500ms,3000@1s"
        static let planned: [(rate: Double, intended: Int)] = [(1_000, 1_000), (0, 0), (3_000, 3_000)]

        @Test("dns --steps as --shard 0/2 and 1/2 against knot: the merged steps' sent add up to what knot counted, each step intends its rate × span and states the job's rate, the text report has the steps table, plot draws it, and an edited plan or an unshaped input is refused")
        func shardedStepsMerge() async throws {
            let directory = try TemporaryDirectory.make(prefix: "merge-steps")
            defer { try? FileManager.default.removeItem(at: directory) }
            try await DNSRun.withKnot { ns, port, knot in
                let before = try await knot.stats()
                let start = String(format: "%.3f", Date().timeIntervalSince1970 + 1.5)
                let files = try await Self.shards(directory, "steps", [port, port],
                                                  ["--steps", Self.shape, "--timeout", "1s", "--start-at", start], ns: ns)
                for file in files {
                    let report = try Self.report(file)
                    try report.expectAccounting()
                    _ = try RateShapeTests.steps(report)
                }
                let seen = try await knot.stats() - before
                let merged = try await LoadGen.run(["merge"] + files + ["--json"], deadline: 10).report()
                try merged.expectAccounting()
                let steps = try RateShapeTests.steps(merged)
                #expect(steps.count == Self.planned.count, "\(steps)")
                let sent = steps.reduce(0) { $0 + Int(LoadGenReport.number($1["sent"]) ?? 0) }
                #expect(sent == seen.udp4 && sent == 4_000, "the merged steps sent \(sent); knot counted \(seen.udp4)")
                for (step, plan) in zip(steps, Self.planned) {
                    #expect(LoadGenReport.number(step["intended"]) == Double(plan.intended), "\(step)")
                    #expect(LoadGenReport.number(step["rate_from"]) == plan.rate && LoadGenReport.number(step["rate_to"]) == plan.rate,
                            "a job's shards state the job's rate: \(step)")
                    let latency = try #require(step["latency_us"] as? [String: Any])
                    #expect(LoadGenReport.number(latency["count"]) == LoadGenReport.number(step["completed"]) && latency["hdr"] is String)
                }
                try await Self.checkShards(files, steps)
                try await Self.checkTextAndPlot(files, directory)
                try await Self.checkRefusals(files, directory)
            }
        }

        @Test("--find-max as --shard 0/2 and 1/2: searches that went the same way (both failed their one step on a p50 limit of 1 µs) merge into the job's step, its sent what knot counted; searches that parted (one shard's server refuses) are refused naming where they parted")
        func findMaxShardsMerge() async throws {
            let directory = try TemporaryDirectory.make(prefix: "merge-find-max")
            defer { try? FileManager.default.removeItem(at: directory) }
            try await DNSRun.withKnot { ns, port, knot in
                let search = ["--find-max", "--rate", "1000", "--step-duration", "300ms", "--timeout", "500ms"]
                let before = try await knot.stats()
                let same = try await Self.shards(directory, "same", [port, port], search + ["--max-latency", "p50=1us"], ns: ns)
                let seen = try await knot.stats() - before
                let merged = try await LoadGen.run(["merge"] + same + ["--json"], deadline: 10).report()
                let found = try #require(merged.object["find_max"] as? [String: Any], "\(merged)")
                let rows = try #require(found["steps"] as? [[String: Any]])
                #expect(found["max_rate"] is NSNull && rows.count == 1, "\(found)")
                let row = try #require(rows.first)
                #expect(LoadGenReport.number(row["rate"]) == 1_000 && row["held"] as? Bool == false, "\(row)")
                #expect(LoadGenReport.number(row["sent"]) == Double(seen.udp4) && seen.udp4 == 300, "knot counted \(seen.udp4): \(row)")
                let latency = try #require(row["latency_us"] as? [String: Any])
                #expect(LoadGenReport.number(latency["count"]) == LoadGenReport.number(row["completed"]) && latency["hdr"] is String)
                #expect(try merged.sent == seen.udp4, "the report is the job's step at 1000/s")

                let parted = try await Self.shards(directory, "parted", [1, port], search + ["--step-duration", "100ms", "--step-growth", "100%"], ns: ns)
                let refused = try await LoadGen.run(["merge"] + parted, deadline: 10)
                #expect(refused.exitCode == 2 && refused.stdout.isEmpty)
                #expect(refused.stderr.contains("\(parted[1]):1: its --find-max search went another way than \(parted[0]):1's: at step 1 (1000/s) it held where \(parted[0]):1 failed ("),
                        "\(refused.stderr)")
                #expect(refused.stderr.hasSuffix("No rate held in every shard before they went apart.\n"), "\(refused.stderr)")
            }
        }

        /// Two `--shard` processes of `arguments` at once, shard i against 127.0.0.1:`ports[i]`; their reports' paths.
        static func shards(_ directory: URL, _ name: String, _ ports: [Int], _ arguments: [String],
                           ns: NetworkNamespace) async throws -> [String] {
            let children = try ports.enumerated().map { i, port in
                try LoadGen.start(DNSRun.arguments(netns: ns, port: port, arguments + ["--shard", "\(i)/2"]))
            }
            var files: [String] = []
            for (i, child) in children.enumerated() {
                let run = LoadGenRun(arguments: ["\(name) shard \(i)"], await child.wait(seconds: 60), sourceLocation: #_sourceLocation)
                let file = directory.appendingPathComponent("\(name)-\(i).json")
                try run.stdout.write(to: file, atomically: true, encoding: .utf8)
                files.append(file.path)
            }
            return files
        }

        static func report(_ path: String) throws -> LoadGenReport {
            LoadGenReport(try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]))
        }

        /// Each merged step's counts are the shards' sums.
        static func checkShards(_ files: [String], _ merged: [[String: Any]]) async throws {
            let shards = try files.map { try RateShapeTests.steps(try report($0)) }
            for (i, step) in merged.enumerated() {
                for key in ["intended", "sent", "not_sent", "completed", "timeouts", "errors", "cancelled"] {
                    let sum = shards.reduce(0.0) { $0 + (LoadGenReport.number($1[i][key]) ?? -1e9) }
                    #expect(LoadGenReport.number(step[key]) == sum, "step \(i) \(key): merged \(String(describing: step[key])), shards \(sum)")
                }
            }
        }

        static func checkTextAndPlot(_ files: [String], _ directory: URL) async throws {
            let text = try await LoadGen.run(["merge"] + files, deadline: 10)
            #expect(text.exitCode == 0 && text.stdout.contains("  steps     --steps \(shape)"), "\(text.stdout)")
            let svg = directory.appendingPathComponent("steps.svg")
            let plot = try await LoadGen.run(["plot"] + files + ["-o", svg.path], deadline: 10)
            #expect(plot.exitCode == 0, "\(plot.stderr)")
            let drawn = try String(contentsOf: svg, encoding: .utf8)
            #expect(drawn.contains("Rate per step") && drawn.contains("data-name=\"steps-0: achieved\"")
                        && drawn.contains("data-name=\"steps-1: p99\""), "the step charts are missing")
        }

        /// An input whose plan was edited, and one without steps: exit 2, one line naming the file and what differs.
        static func checkRefusals(_ files: [String], _ directory: URL) async throws {
            let text = try String(contentsOfFile: files[1], encoding: .utf8)
            let edited = directory.appendingPathComponent("edited.json")
            try text.replacingOccurrences(of: "\"rate_to\": 3000", with: "\"rate_to\": 2999").write(to: edited, atomically: true, encoding: .utf8)
            let plan = try await LoadGen.run(["merge", files[0], edited.path], deadline: 10)
            #expect(plan.exitCode == 2 && plan.stdout.isEmpty)
            #expect(plan.stderr.hasPrefix("loadgen merge: \(edited.path):1 steps[2] differs from \(files[0]):1's: rate_to 2999 (there 3000)"),
                    "\(plan.stderr)")
            var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            object["steps"] = nil
            let plain = directory.appendingPathComponent("plain.json")
            try JSONSerialization.data(withJSONObject: object).write(to: plain)
            let mixed = try await LoadGen.run(["merge", files[0], plain.path], deadline: 10)
            #expect(mixed.exitCode == 2 && mixed.stderr.contains("\(files[0]):1 is a shaped run (steps of --steps or --ramp) and \(plain.path):1 is not"),
                    "\(mixed.stderr)")
        }
    }
}
