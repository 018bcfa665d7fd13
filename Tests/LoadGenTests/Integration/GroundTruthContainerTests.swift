import Foundation
import Glibc
import Testing

extension GroundTruthIntegrationTests {
    /// `--container ID`: found by scanning /proc/*/cgroup for the ID, as a tracer tester names a container.
    @Suite struct Container {
        /// Two IDs sharing their first 8 hex digits and differing in the 9th: a 12-digit prefix names one of them,
        /// the 8-digit one is ambiguous.
        static func twoIDs() -> (String, String) {
            let first = TestCgroup.randomID()
            var rest = TestCgroup.randomID().dropFirst(8)
            while rest.first == first.dropFirst(8).first { rest = TestCgroup.randomID().dropFirst(8) }
            return (first, String(first.prefix(8)) + rest)
        }

        @Test("--container PREFIX runs in the netns of the process in that container's cgroup; unknown and ambiguous IDs fail naming --container")
        func containerByCgroup() async throws {
            try await NetworkNamespace.with { nsA in
                try await NetworkNamespace.with { nsB in
                    let port = try await TestPorts.freeOnHost()
                    try await KnotServer.with(in: nsA, port: port) { knotA in
                        try await KnotServer.with(in: nsB, port: port) { knotB in
                            let (idA, idB) = Self.twoIDs()
                            // The sleepers are killed before the cgroup is removed (inner `with` ends first).
                            try await TestCgroup.with(ids: [idA, idB]) { cgroup in
                                try await SleepingProcess.with(in: nsA) { sleeperA in
                                    try await SleepingProcess.with(in: nsB) { sleeperB in
                                        try cgroup.add(sleeperA.pid, to: idA)
                                        try cgroup.add(sleeperB.pid, to: idB)
                                        try await Self.expectRunsIn(container: String(idA.prefix(12)), ns: nsA, knot: knotA,
                                                                    other: knotB, port: port)
                                        try await Self.expectRunsIn(container: String(idB.prefix(12)), ns: nsB, knot: knotB,
                                                                    other: knotA, port: port)

                                        // Unknown: nothing is in a cgroup with this ID.
                                        var unknown = TestCgroup.randomID().prefix(12)
                                        while unknown.hasPrefix(idA.prefix(8)) { unknown = TestCgroup.randomID().prefix(12) }
                                        let unknownRun = try await LoadGen.run(Self.arguments(container: String(unknown), port: port), deadline: 15)
                                        unknownRun.expectError(exitCode: 1, mentions: ["--container", String(unknown)], errorLine: false)

                                        // Ambiguous: both containers' IDs start with these 8 digits; both are named.
                                        let prefix = String(idA.prefix(8))
                                        let ambiguousRun = try await LoadGen.run(Self.arguments(container: prefix, port: port), deadline: 15)
                                        ambiguousRun.expectError(exitCode: 1,
                                                                 mentions: ["--container", prefix, String(idA.prefix(12)), String(idB.prefix(12))],
                                                                 errorLine: false)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        static func arguments(container: String, port: Int) -> [String] {
            ["dns", "--container", container, "--server", "127.0.0.1:\(port)", "--name", KnotServer.existingName,
             "--count", "20", "--timeout", "2s", "--json", "--quiet"]
        }

        /// `loadgen dns --container PREFIX --count 20`: the knot in `ns` answered all 20, the `other` one none.
        static func expectRunsIn(container: String, ns: NetworkNamespace, knot: KnotServer, other: KnotServer, port: Int,
                                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let (before, otherBefore) = (try await knot.stats(), try await other.stats())
            let run = try await LoadGen.run(arguments(container: container, port: port), deadline: 15, sourceLocation: sourceLocation)
            let (delta, otherDelta) = (try await knot.stats() - before, try await other.stats() - otherBefore)
            let report = try run.report(sourceLocation: sourceLocation)
            try report.expectAccounting(sourceLocation: sourceLocation)
            #expect(try report.sent == 20 && report.completed == 20, "--container \(container): \(report)", sourceLocation: sourceLocation)
            #expect(delta.udp4 == 20, "--container \(container): the knot in \(ns.name) saw \(delta.udp4) queries",
                    sourceLocation: sourceLocation)
            #expect(otherDelta.udp4 == 0, "--container \(container): the other knot saw \(otherDelta.udp4) queries",
                    sourceLocation: sourceLocation)
            #expect(try report.int("netns_inode") == Int(ns.inode), "--container \(container): \(report)", sourceLocation: sourceLocation)
        }
    }
}
