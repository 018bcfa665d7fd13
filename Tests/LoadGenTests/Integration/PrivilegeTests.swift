import Foundation
import Glibc
import Testing
@testable import LoadGen

/// Least privilege (issue 9 point 8): a running loadgen's threads, read from /proc/PID/task/*/status while it
/// sends, hold the dropped user and no capabilities, and the run still matches what the servers counted —
/// including connections opened after the drop.
@Suite(.serialized,
       .enabled(if: IntegrationEnvironment.shouldRun, "needs root (network namespaces); set CI=1 to make a missing root fail"))
struct PrivilegeTests {
    /// `nobody` on Debian.
    static let nobody = 65534

    @Test("DNS started through sudo (SUDO_UID=65534): every thread drops to 65534 with no capabilities; counts match knot; the events log is written")
    func dnsDropsToSudoUser() async throws {
        try await DNSRun.withKnot { ns, port, knot in
            let directory = try TemporaryDirectory.make(prefix: "privs")  // root's 0755: nobody cannot create files here
            defer { try? FileManager.default.removeItem(at: directory) }
            let eventsPath = directory.appendingPathComponent("events.jsonl").path
            let before = try await knot.stats()
            let child = try LoadGen.start(
                DNSRun.arguments(netns: ns, port: port, ["--rate", "2000", "--duration", "2s", "--timeout", "1s",
                                                         "--threads", "2", "--events", eventsPath]),
                prefix: PrivilegeTests.sudoEnvironment(uid: PrivilegeTests.nobody))
            let tasks = try await ThreadStatus.whileRunning(child, threads: 2, uid: PrivilegeTests.nobody)
            let run = LoadGenRun(arguments: [], await child.wait(seconds: 15), sourceLocation: #_sourceLocation)
            let delta = try await knot.stats() - before
            let report = try run.report()
            ThreadStatus.expectDropped(try ThreadStatus.loadgens(tasks, pid: child.pid, report: report),
                                       uid: PrivilegeTests.nobody, gid: PrivilegeTests.nobody)

            try report.expectAccounting()
            #expect(try report.sent == 4000, "\(report)")
            #expect(try report.completed == delta.udp4, "knot: \(delta.counters); \(report)")
            #expect(try report.int("sockets_outside_netns") == 0, "\(report)")
            #expect(try report.int("sockets_opened") > 0, "\(report)")
            let events = try EventLog.read(eventsPath)
            #expect(events.count == (try report.sent), "events log lines")
            var st = stat()
            #expect(stat(eventsPath, &st) == 0 && st.st_uid == 0, "the events log was opened (created) by root, before the drop")
        }
    }

    @Test("HTTP/1.1 --no-keepalive as SUDO_UID=65534: connections opened after the drop, one per request, as nginx counted")
    func httpOpensConnectionsAfterTheDrop() async throws {
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns) { nginx in
                let child = try LoadGen.start(
                    HTTP1Run.arguments([nginx.url()], netns: ns,
                                       ["--no-keepalive", "--rate", "400", "--duration", "3s", "-c", "8", "--threads", "2",
                                        "--timeout", "2s"]),
                    prefix: PrivilegeTests.sudoEnvironment(uid: PrivilegeTests.nobody))
                let tasks = try await ThreadStatus.whileRunning(child, threads: 2, uid: PrivilegeTests.nobody)
                let acceptedAtSnapshot = try await nginx.acceptedConnections()
                let run = LoadGenRun(arguments: [], await child.wait(seconds: 15), sourceLocation: #_sourceLocation)
                let report = try run.report()
                ThreadStatus.expectDropped(try ThreadStatus.loadgens(tasks, pid: child.pid, report: report),
                                           uid: PrivilegeTests.nobody, gid: PrivilegeTests.nobody)
                let log = try await nginx.accessLog()
                try HTTP1Run.expectMatchesServer(report, log, netns: ns)
                let accepted = try await nginx.acceptedConnections()
                let summary = HTTP1Run.summary(report)
                #expect(try report.sent == 1200, "\(summary)")
                #expect(try report.completed == 1200, "\(summary)")
                #expect(try report.int("connections_opened") == accepted, "nginx accepted \(accepted); \(summary)")
                #expect(accepted == 1200, "nginx accepted \(accepted)")
                // The snapshot saw every thread dropped; most connections were opened after it.
                #expect(accepted - acceptedAtSnapshot > 300, "accepted \(acceptedAtSnapshot) before the snapshot, \(accepted) in all")
                #expect(try report.int("sockets_outside_netns") == 0, "\(summary)")
            }
        }
    }

    @Test("without sudo or --user: stays uid 0 but with no capabilities; --no-drop-privileges keeps them all")
    func stayingRoot() async throws {
        try await DNSRun.withKnot { ns, port, knot in
            for keep in [false, true] {
                let child = try LoadGen.start(
                    DNSRun.arguments(netns: ns, port: port, ["--rate", "500", "--duration", "1500ms", "--timeout", "1s"]
                                     + (keep ? ["--no-drop-privileges"] : [])),
                    prefix: ["env", "-u", "SUDO_UID", "-u", "SUDO_GID", "-u", "SUDO_USER"])
                let tasks = try await ThreadStatus.whileRunning(child, threads: 1, uid: 0)
                let run = LoadGenRun(arguments: [], await child.wait(seconds: 10), sourceLocation: #_sourceLocation)
                let report = try run.report()
                #expect(try report.completed == 750)
                for task in try ThreadStatus.loadgens(tasks, pid: child.pid, report: report) {
                    #expect(task.uids == [0, 0, 0, 0], "\(task)")
                    if keep {
                        #expect(task.capEff != 0 && task.capPrm != 0 && task.capBnd != 0 && task.noNewPrivs == 0, "\(task)")
                    } else {
                        #expect(task.capEff == 0 && task.capPrm == 0 && task.capInh == 0 && task.capBnd == 0, "\(task)")
                        #expect(task.noNewPrivs == 1, "\(task)")
                    }
                }
            }
            _ = knot
        }
    }

    @Test("--user nobody without SUDO_UID drops to nobody; --user wins over SUDO_UID")
    func userFlag() async throws {
        try await DNSRun.withKnot { ns, port, _ in
            for prefix in [["env", "-u", "SUDO_UID", "-u", "SUDO_GID"], PrivilegeTests.sudoEnvironment(uid: 1)] {
                let child = try LoadGen.start(
                    DNSRun.arguments(netns: ns, port: port, ["--rate", "500", "--duration", "1500ms", "--user", "nobody"]),
                    prefix: prefix)
                let tasks = try await ThreadStatus.whileRunning(child, threads: 1, uid: PrivilegeTests.nobody)
                let run = LoadGenRun(arguments: [], await child.wait(seconds: 10), sourceLocation: #_sourceLocation)
                let report = try run.report()
                ThreadStatus.expectDropped(try ThreadStatus.loadgens(tasks, pid: child.pid, report: report),
                                           uid: PrivilegeTests.nobody, gid: 65534)
                #expect(try report.completed == 750)
            }
        }
    }

    @Test("a bad --user, or --user with --no-drop-privileges: usage error (exit 2) naming the flag")
    func badUser() async throws {
        try await NetworkNamespace.with { ns in
            let bounded = ["--count", "1", "--timeout", "100ms", "--server", "127.0.0.1:53", "--netns", ns.name]
            let missing = try await LoadGen.run(["dns", "--user", "no-such-user-lgt"] + bounded, deadline: 10)
            missing.expectError(exitCode: 2, mentions: ["--user", "no-such-user-lgt", "no such user"])
            let both = try await LoadGen.run(["dns", "--user", "nobody", "--no-drop-privileges"] + bounded, deadline: 10)
            both.expectError(exitCode: 2, mentions: ["--user", "--no-drop-privileges"])
            let badSudo = try await LoadGen.run(["dns"] + bounded, deadline: 10, prefix: ["env", "SUDO_UID=abc"])
            badSudo.expectError(exitCode: 2, mentions: ["SUDO_UID", "--user"])
        }
    }

    @Test("SocketNetnsCheck: a socket made in the target netns passes, one made in the host's does not")
    func socketCheckTellsNamespacesApart() async throws {
        try await NetworkNamespace.with { ns in
            let target = try NetNamespace.open(.name(ns.name))
            let hostSocket = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(hostSocket) }
            let verdicts = try OnNewThread.run { () throws -> (Bool, Bool, UInt64) in
                try target.enterOnCurrentThread()
                let check = try SocketNetnsCheck(expectedInode: target.inode)
                let inside = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(inside) }
                return (check.isInTarget(fd: inside), check.isInTarget(fd: hostSocket), check.cookie)
            }
            #expect(verdicts.0, "a socket made inside the netns")
            #expect(!verdicts.1, "a socket made in the host's netns")
            #expect(verdicts.2 != 0, "the kernel gave a netns cookie")
        }
    }

    /// `env SUDO_UID=uid SUDO_GID=uid` (as sudo sets them).
    static func sudoEnvironment(uid: Int) -> [String] {
        ["env", "SUDO_UID=\(uid)", "SUDO_GID=\(uid)", "SUDO_USER=lgt"]
    }
}

/// One thread's line of /proc/PID/task/TID/status: ids, capability sets and no_new_privs.
struct ThreadStatus: CustomStringConvertible {
    var tid: String
    var uids: [Int] = []
    var gids: [Int] = []
    var groups: [Int] = []
    var capInh: UInt64 = .max, capPrm: UInt64 = .max, capEff: UInt64 = .max, capBnd: UInt64 = .max, capAmb: UInt64 = .max
    var noNewPrivs = -1

    var description: String {
        "tid \(tid): Uid \(uids) Gid \(gids) Groups \(groups) CapInh \(hex(capInh)) CapPrm \(hex(capPrm)) CapEff \(hex(capEff)) CapBnd \(hex(capBnd)) CapAmb \(hex(capAmb)) NoNewPrivs \(noNewPrivs)"
    }

    private func hex(_ v: UInt64) -> String { String(v, radix: 16) }

    init(tid: String, status: String) {
        self.tid = tid
        for line in status.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            let numbers = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }
            switch parts[0] {
            case "Uid": uids = numbers
            case "Gid": gids = numbers
            case "Groups": groups = numbers
            case "CapInh": capInh = UInt64(value, radix: 16) ?? .max
            case "CapPrm": capPrm = UInt64(value, radix: 16) ?? .max
            case "CapEff": capEff = UInt64(value, radix: 16) ?? .max
            case "CapBnd": capBnd = UInt64(value, radix: 16) ?? .max
            case "CapAmb": capAmb = UInt64(value, radix: 16) ?? .max
            case "NoNewPrivs": noNewPrivs = numbers.first ?? -1
            default: break
            }
        }
    }

    /// Every thread of `pid` now (threads that exit meanwhile are left out).
    static func snapshot(pid: pid_t) -> [ThreadStatus] {
        let dir = "/proc/\(pid)/task"
        let tids = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return tids.sorted().compactMap { tid in
            guard let text = try? String(contentsOfFile: "\(dir)/\(tid)/status", encoding: .utf8) else { return nil }
            return ThreadStatus(tid: tid, status: text)
        }
    }

    /// Waits until loadgen runs its `threads` loop threads beside the main one, all with uid `uid`, lets the load
    /// run 400 ms more, and returns a snapshot taken while it still runs (the test fails otherwise).
    static func whileRunning(_ child: ChildProcess, threads: Int, uid: Int,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws -> [ThreadStatus] {
        let deadline = ChildProcess.nowNanos + 5_000_000_000
        while ChildProcess.nowNanos < deadline, child.isRunning {
            let tasks = snapshot(pid: child.pid)
            if tasks.count >= threads + 1, tasks.allSatisfy({ $0.uids == [uid, uid, uid, uid] }) { break }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        try await Task.sleep(nanoseconds: 400_000_000)
        let tasks = snapshot(pid: child.pid)
        try #require(child.isRunning, "loadgen ended before its threads could be read: \(child.endedSummary)",
                     sourceLocation: sourceLocation)
        try #require(tasks.count >= threads + 1, "threads: \(tasks)", sourceLocation: sourceLocation)
        return tasks
    }

    /// The threads loadgen made: its main thread (tid = pid) and the loop threads its report lists by tid. A
    /// sanitizer runtime starts a thread of its own before `main` that loadgen neither knows nor drops
    /// (capabilities and no_new_privs are per thread): under `make sanitize` such threads are left out; in
    /// `make test` there must be none.
    static func loadgens(_ tasks: [ThreadStatus], pid: pid_t, report: LoadGenReport,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> [ThreadStatus] {
        let loops = try report.threads().map { String(try $0.int("tid")) }
        let own = Set(loops + [String(pid)])
        let foreign = tasks.filter { !own.contains($0.tid) }
        if !IntegrationEnvironment.isSanitizerBuild {
            #expect(foreign.isEmpty, "threads loadgen did not start: \(foreign)", sourceLocation: sourceLocation)
        }
        let mine = tasks.filter { own.contains($0.tid) }
        #expect(mine.count == loops.count + 1, "main and loop threads \(own) in \(tasks)", sourceLocation: sourceLocation)
        return mine
    }

    /// Every thread runs as uid/gid (real, effective, saved, fs) with only `gid`'s groups, no capability and no_new_privs.
    static func expectDropped(_ tasks: [ThreadStatus], uid: Int, gid: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        for task in tasks {
            #expect(task.uids == [uid, uid, uid, uid] && task.gids == [gid, gid, gid, gid], "\(task)", sourceLocation: sourceLocation)
            #expect(task.groups.allSatisfy { $0 == gid }, "supplementary groups: \(task)", sourceLocation: sourceLocation)
            #expect(task.capEff == 0 && task.capPrm == 0 && task.capInh == 0 && task.capAmb == 0, "\(task)", sourceLocation: sourceLocation)
            #expect(task.capBnd == 0, "bounding set: \(task)", sourceLocation: sourceLocation)
            #expect(task.noNewPrivs == 1, "\(task)", sourceLocation: sourceLocation)
        }
    }
}

/// Runs a closure on a thread of its own (which may then enter a netns without moving the test's threads).
enum OnNewThread {
    private final class Box<R>: @unchecked Sendable {
        var result: Result<R, any Error>?
    }

    static func run<R>(_ body: @escaping () throws -> R) throws -> R {
        let box = Box<R>()
        let done = DispatchSemaphore(value: 0)
        let work = UncheckedSendable(body)
        let thread = Thread {
            box.result = Result { try work.value() }
            done.signal()
        }
        thread.start()
        done.wait()
        return try box.result!.get()
    }

    private struct UncheckedSendable<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }
}
