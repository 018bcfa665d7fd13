import Foundation
import Testing

/// loadgen's OCI image (`make image`, issue 11 points 1, 2 and 6) run by podman: the files it holds, DNS and HTTP
/// load from inside a test netns counted by knot and nginx, the DaemonSet's shape entering a netns by name, and a
/// rendered Indexed Job's pods as four containers making one global schedule.
///
/// One serialized suite (containers and timing-sensitive runs share two CPUs). Skipped only when neither root
/// nor in CI; a missing image fails, naming `make image`.
@Suite(.serialized,
       .enabled(if: IntegrationEnvironment.shouldRun, "needs root (podman, network namespaces); set CI=1 to make a missing root fail"))
struct ContainerImageTests {
    @Test("the image is loadgen, the libraries ldd names, the CA store and a few /etc files: nothing from /opt, no shell, entrypoint loadgen")
    func theImageHoldsExactlyWhatLoadgenNeeds() async throws {
        let image = try await Podman.requireImage()
        let entrypoint = try await Command.check(["podman", "image", "inspect", "--format", "{{json .Config.Entrypoint}}", image], timeout: 30)
        #expect(entrypoint.trimmingCharacters(in: .whitespacesAndNewlines) == "[\"/usr/bin/loadgen\"]")
        let version = try await Podman.run(image, options: [], ["--version"])
        let host = try await LoadGen.run(["--version"], deadline: 10)
        #expect(version.exitCode == 0 && version.stdout == host.stdout, "image: \(version.stdout) \(version.stderr), host: \(host.stdout)")

        let id = try await Command.check(["podman", "create", image], timeout: 30).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = Command.runBlocking(["podman", "rm", "-f", id], timeout: 30) }
        let listing = try await ChildProcess(["/bin/sh", "-c", "podman export \"$0\" | tar -tv", id]).wait(seconds: 60)
        let files = listing.stdout.split(separator: "\n").filter { $0.hasPrefix("-") }.compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(files.contains("usr/bin/loadgen") && files.contains("etc/ssl/certs/ca-certificates.crt"), "\(files)")
        let libraries = files.filter { $0.contains(".so") }
        #expect(libraries.contains { $0.hasSuffix("libuv.so.1") } && libraries.contains { $0.hasSuffix("libnghttp2.so.14") }
                && libraries.contains { $0.hasSuffix("libcares.so.2") } && libraries.contains { $0.hasSuffix("libssl.so.3") }, "\(libraries)")
        let unexpected = files.filter { !$0.contains(".so") && !$0.hasPrefix("etc/") && $0 != "usr/bin/loadgen" }
        #expect(unexpected.isEmpty, "files beyond loadgen, its libraries and /etc: \(unexpected)")
        #expect(!files.contains { $0.hasPrefix("opt/") || $0.hasSuffix("bin/sh") }, "\(files)")

        // make image also saved it as an OCI archive under .build/image.
        let archive = ".build/image/loadgen-\(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).oci.tar"
        let entries = try await Command.check(["tar", "-tf", archive], timeout: 30).split(separator: "\n")
        #expect(entries.contains("oci-layout") && entries.contains("index.json") && entries.contains { $0.hasPrefix("blobs/sha256/") },
                "\(archive): \(entries)")
    }

    @Test("the image run with --network ns:/run/netns/NS sends DNS from inside that netns: knot counts every query")
    func dnsFromInsideATestNetns() async throws {
        let image = try await Podman.requireImage()
        try await DNSRun.withKnot { ns, port, knot in
            let before = try await knot.stats()
            let run = try await Podman.run(image, options: Podman.network(ns),
                                           DNSRun.arguments(netns: nil, port: port, ["--rate", "3000", "--count", "3000"]))
            let report = try run.report()
            try report.expectAccounting()
            let delta = try await knot.stats() - before
            // knot's own count is the truth for what arrived: it answers every query it reads (a 1-worker knot
            // descheduled on a busy 2-CPU CI machine may drop some in its socket buffer; loadgen times them out).
            #expect(try report.sent == 3000 && delta.udp4 == report.completed && report.completed > 0, "knot saw \(delta.udp4); \(report)")
            #expect(try report.int("netns_inode") == Int(ns.inode), "the container's netns is the test netns")
        }
    }

    @Test("the image run in a test netns drives HTTP/1.1 against nginx there: nginx logs every request")
    func httpFromInsideATestNetns() async throws {
        let image = try await Podman.requireImage()
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns) { nginx in
                let run = try await Podman.run(image, options: Podman.network(ns),
                                               ["http", nginx.url(NginxServer.indexPath), "-c", "10", "--rate", "2000", "--count", "2000",
                                                "--json", "--quiet"])
                let report = try run.report()
                try report.expectAccounting()
                let log = try await nginx.accessLog(expected: 2000)
                #expect(try report.completed == 2000 && log.count == 2000, "nginx logged \(log.count); \(HTTP1Run.summary(report))")
                #expect(try HTTP1Run.status(report) == ["200": 2000])
            }
        }
    }

    @Test("the DaemonSet's shape (--privileged --pid=host -v /run/netns:/run/netns) enters a netns by --netns NAME from inside the container")
    func daemonSetShapeEntersANetnsByName() async throws {
        let image = try await Podman.requireImage()
        try await DNSRun.withKnot { ns, port, knot in
            let before = try await knot.stats()
            let run = try await Podman.run(image, options: Podman.daemonSetShape,
                                           DNSRun.arguments(netns: ns, port: port, ["--rate", "2000", "--count", "2000"]))
            let report = try run.report()
            try report.expectAccounting()
            let delta = try await knot.stats() - before
            #expect(try report.completed == 2000 && delta.udp4 == 2000, "knot saw \(delta.udp4); \(report)")
            #expect(try report.string("netns") == ns.name && report.int("netns_inode") == Int(ns.inode))
        }
    }

    @Test("a rendered Indexed Job's container arguments, run by podman from the image with JOB_COMPLETION_INDEX 0..3, are the 4 shards of one schedule: events union seq 0..<8000 once at the global rate, knot saw each query, the pods' JSON merges exactly")
    func theJobsPodsAsContainersAreTheShards() async throws {
        let image = try await Podman.requireImage()
        let directory = try TemporaryDirectory.make(prefix: "pods")
        defer { try? FileManager.default.removeItem(at: directory) }
        typealias Shards = DNSIntegrationTests.Shards
        try await DNSRun.withKnot { ns, port, knot in
            let arguments = try await ContainerImageTests.jobArguments(image: image, in: directory, [
                "dns", "--server", "127.0.0.1:\(port)", "--name", "q{seq}.example.test", "--rate", "\(Shards.rate)",
                "--count", "\(Shards.count)", "--quiet"]) + ["--events", "/out/events.jsonl"]  // (k8s job refuses --events: a pod's file is lost with it)
            let before = try await knot.stats()
            var pods: [ChildProcess] = []
            for i in 0..<Shards.shards {
                let out = directory.appendingPathComponent("pod-\(i)")
                try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
                pods.append(try Podman.start(image, options: Podman.network(ns) + ["-e", "JOB_COMPLETION_INDEX=\(i)", "-v", "\(out.path):/out"],
                                             arguments))
            }
            var files: [String] = []
            for (i, pod) in pods.enumerated() {
                let run = LoadGenRun(arguments: ["pod \(i)"] + arguments, await pod.wait(seconds: 40), sourceLocation: #_sourceLocation)
                let report = try run.report()
                try report.expectAccounting()
                #expect(try report.sent == Shards.count / Shards.shards, "pod \(i): \(report)")
                let file = directory.appendingPathComponent("report-\(i).json")
                try run.stdout.write(to: file, atomically: true, encoding: .utf8)
                files.append(file.path)
                try FileManager.default.moveItem(at: directory.appendingPathComponent("pod-\(i)/events.jsonl"),
                                                 to: directory.appendingPathComponent("events-\(i).jsonl"))
            }
            let delta = try await knot.stats() - before
            #expect(delta.udp4 == Shards.count, "knot saw \(delta.udp4) queries")
            try Shards.checkEventsLogs(directory)
            let merged = try await LoadGen.run(["merge"] + files + ["--json"], deadline: 10).report()
            #expect(try merged.completed == Shards.count && merged.int("intended") == Shards.count)
        }
    }

    @Test("eventgen --new-container against knot in a test netns: exactly --count queries at exactly --interval, no container left; a leftover one is refused by name")
    func eventgenNewContainerSendsExactlyCount() async throws {
        let image = try await Podman.requireImage()
        let directory = try TemporaryDirectory.make(prefix: "eventgen")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await DNSRun.withKnot { ns, port, knot in
            let events = directory.appendingPathComponent("events.jsonl")
            let arguments = ["eventgen", "--type", "dns", "--params", "domain:\(KnotServer.existingName)", "--server", "127.0.0.1:\(port)",
                             "--count", "300", "--interval", "2500us", "--new-container", "--image", image,
                             "--network", "ns:/run/netns/\(ns.name)", "--events", events.path, "--json", "--quiet"]
            let before = try await knot.stats()
            let report = try await LoadGen.run(arguments, deadline: 60).report()
            try report.expectAccounting()
            let delta = try await knot.stats() - before
            #expect(try report.sent == 300 && report.completed == 300 && delta.udp4 == 300, "knot saw \(delta.udp4); \(report)")
            let intended = try String(contentsOf: events, encoding: .utf8).split(separator: "\n").map { line in
                try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["intended"] as? NSNumber).int64Value
            }
            let sorted = intended.sorted(), gaps = Set(zip(sorted.dropFirst(), sorted).map { $0 - $1 })
            #expect(intended.count == 300 && gaps == [2_500_000], "intended sends 2.5 ms apart, to the ns: \(gaps.sorted().prefix(5))")
            #expect(try await Podman.containers(named: "loadgen-eventgen").isEmpty, "the container is gone")

            let leftover = try await Command.check(["podman", "--runtime", "runc", "create", "--name", "loadgen-eventgen", image], timeout: 30)
            defer { _ = Command.runBlocking(["podman", "rm", "-f", leftover.trimmingCharacters(in: .whitespacesAndNewlines)], timeout: 30) }
            let refused = try await LoadGen.run(arguments, deadline: 30)
            #expect(refused.exitCode == 1 && refused.stderr.contains("loadgen-eventgen exists") && refused.stderr.contains("rm -f loadgen-eventgen"),
                    "\(refused.stderr)")
        }
    }

    @Test("Ctrl-C during eventgen --new-container: the container's loadgen stops with its report (both invariants), the container is removed")
    func eventgenNewContainerStopsOnCtrlC() async throws {
        let image = try await Podman.requireImage()
        try await DNSRun.withKnot { ns, port, knot in
            let before = try await knot.stats()
            let child = try LoadGen.start(["eventgen", "--type", "dns", "--params", "domain:\(KnotServer.existingName)", "--server",
                                           "127.0.0.1:\(port)", "--count", "100000", "--interval", "1ms", "--new-container", "--image", image,
                                           "--network", "ns:/run/netns/\(ns.name)", "--json", "--quiet"])
            try await Task.sleep(nanoseconds: 2_500_000_000)
            child.signal(SIGINT)
            let run = LoadGenRun(arguments: ["eventgen --new-container"], await child.wait(seconds: 30), sourceLocation: #_sourceLocation)
            let report = try run.report()
            try report.expectAccounting()
            #expect(try report.bool("interrupted") && report.sent > 100 && report.sent < 100_000, "\(report)")
            let delta = try await knot.stats() - before
            #expect(try delta.udp4 == report.sent, "knot saw \(delta.udp4)")
            #expect(try await Podman.containers(named: "loadgen-eventgen").isEmpty, "the container is gone")
        }
    }

    /// The container arguments of `loadgen k8s job --replicas 4 -- ARGUMENTS`, as PyYAML reads them from the manifest.
    static func jobArguments(image: String, in directory: URL, _ arguments: [String]) async throws -> [String] {
        let render = try await LoadGen.run(["k8s", "job", "--name", "dns-load", "--image", image, "--replicas", "4", "--start-in", "6s", "--"]
                                           + arguments, deadline: 10)
        #expect(render.exitCode == 0, "\(render.stderr)")
        let manifest = directory.appendingPathComponent("job.yaml")
        try render.stdout.write(to: manifest, atomically: true, encoding: .utf8)
        let read = try await ChildProcess([try PythonVenv.requirePython(), "-c",
            "import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); c = d['spec']['template']['spec']['containers'][0]; "
            + "assert c['image'] == sys.argv[2], c['image']; print(json.dumps(c['args']))", manifest.path, image]).wait(seconds: 20)
        return try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String], "\(read.stderr)")
    }
}
