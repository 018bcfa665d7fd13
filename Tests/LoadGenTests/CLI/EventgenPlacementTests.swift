import ArgumentParser
import Testing
@testable import LoadGen

/// eventgen's `--server`, `--new-pod` and `--new-container` flags as parsed: what goes on to the loadgen that runs
/// the generation, and the combinations refused by name.
@Suite struct EventgenPlacementTests {
    private func eventgen(_ arguments: [String]) throws -> EventgenCommand {
        try #require(try LoadGenCommand.parseAsRoot(["eventgen"] + arguments) as? EventgenCommand)
    }

    private func refusal(_ arguments: [String]) -> String {
        do {
            _ = try LoadGenCommand.parseAsRoot(["eventgen"] + arguments)
            return "accepted"
        } catch {
            return LoadGenCommand.message(for: error)
        }
    }

    @Test func serverGoesOnToDNS() throws {
        let command = try eventgen(["--type", "dns", "--params", "domain:a.test", "--server", "127.0.0.1:5353", "--server", "[::1]:53"])
        #expect(try command.translatedArguments() == ["--name", "a.test", "--server", "127.0.0.1:5353", "--server", "[::1]:53",
                                                      "--count", "1", "--interval", "1ms"])
        #expect(refusal(["--type", "http", "--params", "url:h", "--server", "1.2.3.4"]).contains("--server goes with --type dns"))
    }

    @Test func elsewhereTheNamespaceIsThePodsAndPrivilegesStay() throws {
        let here = try eventgen(["--type", "dns", "--params", "domain:a.test", "--pod", "p", "--namespace", "ns", "--hlog", "/tmp/x.hlog"])
        #expect(try here.translatedArguments().contains("--namespace") && here.translatedArguments().contains("/tmp/x.hlog"))
        let pod = try eventgen(["--type", "dns", "--params", "domain:a.test", "--new-pod", "--namespace", "ns", "--user", "nobody"])
        #expect(try !pod.translatedArguments().contains("--namespace") && !pod.translatedArguments().contains("--user"))
        #expect(pod.placement.mode == .pod && pod.placement.imageName == "localhost/loadgen:\(LoadGenVersion.current)")
    }

    @Test func contradictionsAreRefusedByName() {
        let dns = ["--type", "dns", "--params", "domain:a.test"]
        let cases: [([String], String)] = [
            (["--new-pod", "--new-container"], "--new-pod and --new-container"),
            (["--new-pod", "--netns", "x"], "--netns with --new-pod"),
            (["--new-container", "--pid", "1"], "--pid with --new-container"),
            (["--image", "i"], "--image goes with --new-pod or --new-container"),
            (["--network", "host"], "--network goes with"),
            (["--dry-run"], "--dry-run goes with"),
            (["--new-pod", "--network", "host"], "--network goes with --new-container"),
            (["--new-pod", "--events", "/tmp/e.jsonl"], "--events /tmp/e.jsonl with --new-pod"),
            (["--new-container", "--image", "a b"], "--image 'a b'"),
        ]
        for (extra, expected) in cases {
            let message = refusal(dns + extra)
            #expect(message.contains(expected), "\(extra): \(message)")
        }
    }

    @Test func shellWordsAreQuotedOnlyWhenNeeded() {
        #expect(NewContainer.shellQuoted("ns:/run/netns/a") == "ns:/run/netns/a")
        #expect(NewContainer.shellQuoted("q{seq}.a b") == "'q{seq}.a b'")
        #expect(NewContainer.shellQuoted("it's") == "'it'\\''s'")
        #expect(NewContainer.shellQuoted("") == "''")
    }
}
