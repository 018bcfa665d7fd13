import Foundation
import Glibc
import Testing

/// Runs the built `loadgen` binary: from env `LOADGEN_BIN`, else `<package root>/.build/release/loadgen`.
/// Every run has a hard deadline; a binary still running then is killed and the run is reported as hung, so a
/// hang fails the test instead of stalling the suite.
enum LoadGen {
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["LOADGEN_BIN"], !path.isEmpty { return path }
        // #filePath = <root>/Tests/LoadGenTests/Fixtures/LoadGenRunner.swift
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".build/release/loadgen").path
    }

    static func requireBinary() throws -> String {
        let path = binary
        guard access(path, X_OK) == 0 else {
            throw FixtureError("no loadgen binary at \(path); build it with `make build` (or set LOADGEN_BIN)")
        }
        return path
    }

    /// Starts `loadgen ARGS` (optionally behind `prefix`, e.g. setpriv) and returns at once.
    static func start(_ arguments: [String], prefix: [String] = [], binary: String? = nil) throws -> ChildProcess {
        try ChildProcess(prefix + [binary ?? requireBinary()] + arguments)
    }

    /// Runs `loadgen ARGS` to completion; after `deadline` seconds it is killed and the test fails.
    static func run(_ arguments: [String], deadline: Double, prefix: [String] = [], binary: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> LoadGenRun {
        try await LoadGate.run {
            let child = try start(arguments, prefix: prefix, binary: binary)
            return LoadGenRun(arguments: arguments, await child.wait(seconds: deadline), sourceLocation: sourceLocation)
        }
    }
}

/// One finished loadgen run.
struct LoadGenRun {
    let arguments: [String]
    let outcome: ChildProcess.Outcome

    init(arguments: [String], _ outcome: ChildProcess.Outcome, sourceLocation: SourceLocation) {
        self.arguments = arguments
        self.outcome = outcome
        if outcome.killedAfterDeadline {
            Issue.record("loadgen hung: killed after \(String(format: "%.1f", outcome.wallSeconds)) s; stderr: \(outcome.stderr)",
                         sourceLocation: sourceLocation)
        }
    }

    var exitCode: Int32? { outcome.exitCode }
    var stdout: String { outcome.stdout }
    var stderr: String { outcome.stderr }
    var wallSeconds: Double { outcome.wallSeconds }
    var cpuSeconds: Double { outcome.cpuSeconds }

    var commandLine: String { "loadgen " + arguments.joined(separator: " ") }

    /// The `--json` document on stdout; throws (failing the test) when the run did not exit with `exitCode` (0; 1
    /// for a run in which no event completed, 4 for a breached threshold: both print their report first) or
    /// printed something else.
    func report(exitCode: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> LoadGenReport {
        guard outcome.termination == .exited(exitCode) else {
            throw FixtureError("\(commandLine): \(outcome.termination); stderr: \(stderr)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(stdout.utf8)),
              let dictionary = object as? [String: Any] else {
            throw FixtureError("\(commandLine): stdout is not one JSON object: \(stdout.prefix(2000))")
        }
        return LoadGenReport(dictionary)
    }
}

/// Typed access to loadgen's JSON report (DESIGN.md §5). A missing or mistyped key throws, naming the key.
struct LoadGenReport: CustomStringConvertible {
    let object: [String: Any]

    init(_ object: [String: Any]) { self.object = object }

    static func number(_ value: Any?) -> Double? {
        switch value {
        case let n as Int: Double(n)
        case let n as Double: n
        case let n as NSNumber: n.doubleValue
        default: nil
        }
    }

    func double(_ key: String) throws -> Double {
        guard let value = LoadGenReport.number(object[key]) else {
            throw FixtureError("JSON report: '\(key)' is missing or not a number (\(String(describing: object[key])))")
        }
        return value
    }

    func int(_ key: String) throws -> Int {
        let value = try double(key)
        guard value == value.rounded() else { throw FixtureError("JSON report: '\(key)' = \(value) is not a whole number") }
        return Int(value)
    }

    func string(_ key: String) throws -> String {
        guard let value = object[key] as? String else {
            throw FixtureError("JSON report: '\(key)' is missing or not a string (\(String(describing: object[key])))")
        }
        return value
    }

    func bool(_ key: String) throws -> Bool {
        switch object[key] {
        case let b as Bool: return b
        case let n as NSNumber: return n.boolValue
        default: throw FixtureError("JSON report: '\(key)' is missing or not a boolean (\(String(describing: object[key])))")
        }
    }

    func strings(_ key: String) throws -> [String] {
        guard let value = object[key] as? [Any] else { throw FixtureError("JSON report: '\(key)' is missing or not an array") }
        return value.compactMap { $0 as? String }
    }

    /// An object of counts such as `rcodes` or `error_kinds`; absent entries read as 0 through `[name] ?? 0`.
    func counts(_ key: String) throws -> [String: Int] {
        guard let value = object[key] as? [String: Any] else {
            throw FixtureError("JSON report: '\(key)' is missing or not an object")
        }
        var result: [String: Int] = [:]
        for (name, count) in value {
            guard let n = LoadGenReport.number(count) else { throw FixtureError("JSON report: '\(key).\(name)' is not a number") }
            result[name] = Int(n)
        }
        return result
    }

    /// The entries of `per_thread`.
    func threads() throws -> [LoadGenReport] {
        guard let value = object["per_thread"] as? [Any] else { throw FixtureError("JSON report: 'per_thread' is missing or not an array") }
        return try value.map {
            guard let entry = $0 as? [String: Any] else { throw FixtureError("JSON report: a per_thread entry is not an object") }
            return LoadGenReport(entry)
        }
    }

    /// `requested_rate` is present and null (closed loop).
    var requestedRateIsNull: Bool {
        get throws {
            guard let value = object["requested_rate"] else { throw FixtureError("JSON report: 'requested_rate' is missing") }
            return value is NSNull
        }
    }

    var sent: Int { get throws { try int("sent") } }
    var completed: Int { get throws { try int("completed") } }
    var timeouts: Int { get throws { try int("timeouts") } }
    var errors: Int { get throws { try int("errors") } }
    var cancelled: Int { get throws { try int("cancelled") } }

    var description: String {
        let keys = ["sent", "completed", "timeouts", "errors", "cancelled", "duration_s", "achieved_rate",
                    "rcodes", "error_kinds", "interrupted", "sockets_opened", "sockets_outside_netns", "servers",
                    "servers_source", "transport", "netns"]
        return keys.compactMap { key in object[key].map { "\(key)=\($0)" } }.joined(separator: " ")
    }

    /// DESIGN.md §4's exact accounting: sent == completed + timeouts + errors + cancelled (for the whole run and
    /// for each thread).
    func expectAccounting(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (s, c, t, e, x) = (try sent, try completed, try timeouts, try errors, try cancelled)
        #expect(s == c + t + e + x, "accounting: sent \(s) != completed \(c) + timeouts \(t) + errors \(e) + cancelled \(x); \(self)",
                sourceLocation: sourceLocation)
        // Every sent event has its schedule lag (first send − intended), but the warmup's (--warmup), kept apart.
        // (Whole reports only: the parts of per_netns and per_thread have no histograms.)
        if object["tool"] != nil {
            let lag = try #require(object["schedule_lag_us"] as? [String: Any], "no schedule_lag_us", sourceLocation: sourceLocation)
            let warmupSent = LoadGenReport.number((object["warmup"] as? [String: Any])?["sent"]) ?? 0
            #expect(LoadGenReport.number(lag["count"]) == Double(s) - warmupSent,
                    "schedule_lag_us.count \(lag["count"] ?? "nil") != sent \(s) − warmup \(warmupSent)", sourceLocation: sourceLocation)
        }
        if object["per_thread"] != nil {
            for thread in try threads() {
                let (s, c, t, e, x) = (try thread.sent, try thread.completed, try thread.timeouts, try thread.errors, try thread.cancelled)
                #expect(s == c + t + e + x, "per-thread accounting: \(thread.object)", sourceLocation: sourceLocation)
            }
        }
    }
}
