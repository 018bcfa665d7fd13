import ArgumentParser
import Testing
@testable import LoadGen

@Suite struct EventgenCommandTests {
    func args(_ arguments: [String]) throws -> [String] {
        try EventgenCommand.parse(arguments).translatedArguments()
    }

    @Test func dnsMapsDomainCountAndInterval() throws {
        #expect(try args(["--type", "dns", "--params", "domain:example.com", "--count", "10", "--interval", "1s", "--pid", "42"])
            == ["--name", "example.com", "--count", "10", "--interval", "1s", "--pid", "42"])
    }

    @Test func defaultsFollowIG() throws {
        #expect(try args(["--type", "dns", "--params", "domain:example.com"])
            == ["--name", "example.com", "--count", "1", "--interval", "1ms"])
    }

    @Test func httpMapsUrlAndUnlimitedCount() throws {
        #expect(try args(["--type", "http", "--params", "url:10.0.0.1:8080/api", "--count=-1", "--netns", "pod"])
            == ["http://10.0.0.1:8080/api", "--duration", "24h", "--interval", "1ms", "--netns", "pod"])
    }

    @Test func badFlagsSayWhatWorks() {
        #expect(throws: ValidationError.self) { try args(["--type", "tcp", "--params", "domain:x"]) }
        #expect(throws: ValidationError.self) { try args(["--type", "dns", "--params", "url:x"]) }
        #expect(throws: ValidationError.self) { try args(["--type", "dns", "--params", "nocolon"]) }
    }
}

/// eventgen through the root command's parser, as a user types it, and on into the dns and http commands.
@Suite struct EventgenParsingTests {
    private func eventgen(_ arguments: [String]) throws -> EventgenCommand {
        let command = try LoadGenCommand.parseAsRoot(["eventgen"] + arguments)
        return try #require(command as? EventgenCommand)
    }

    private func message(_ arguments: [String]) -> String? {
        do {
            _ = try eventgen(arguments).translatedArguments()
            return nil
        } catch {
            return LoadGenCommand.message(for: error)
        }
    }

    @Test func countMinusOneIsUnlimitedNotAMissingValue() throws {
        for spelling in [["--count", "-1"], ["--count=-1"]] {
            let command = try eventgen(["--type", "dns", "--params", "domain:a.test"] + spelling + ["--interval", "10ms"])
            #expect(command.count == .unlimited)
            let dns = try DNSCommand.parse(try command.translatedArguments())
            let load = try dns.load.parsed()
            #expect(load.count == nil, "unlimited: no count")
            // Unwrapped first: under ASan Swift 6.3's #expect thunk for a UInt64? compared with a literal reads past
            // an 8-byte stack slot (a toolchain issue, not this code's).
            let duration = try #require(load.durationNanos)
            #expect(duration == 24 * 3_600_000_000_000)
            #expect(load.requestedRate == 100)
        }
        // Flags after the -1 are still read as flags.
        let after = try eventgen(["--type", "http", "--count", "-1", "--params", "url:127.0.0.1:8080/"])
        #expect(after.count == .unlimited && after.params == ["url:127.0.0.1:8080/"])
    }

    @Test func otherCountsAreCounts() throws {
        #expect(try eventgen(["--type", "dns", "--params", "domain:a.test", "--count", "10k"]).count == .events(Count(10_000)))
        #expect(message(["--type", "dns", "--params", "domain:a.test", "--count", "-2"])
            == "The value '-2' is invalid for '--count <N>': is not a count; use a whole number above zero such as 1000 or 10k; or -1 for unlimited")
        #expect(message(["--type", "dns", "--params", "domain:a.test", "--count", "0"])?.hasSuffix("must be above zero; or -1 for unlimited") == true)
        #expect(message(["--type", "dns", "--params", "domain:a.test", "--interval", "1ns"])?.contains("above 50M events per second") == true)
    }

    @Test func everyDomainIsQueried() throws {
        for params in [["--params", "domain:a.test,domain:b.test"], ["--params", "domain:a.test", "--params", "domain:b.test"]] {
            let command = try eventgen(["--type", "dns"] + params)
            let dns = try DNSCommand.parse(try command.translatedArguments())
            #expect(dns.names == ["a.test", "b.test"])
        }
    }

    @Test func everyURLIsRequested() throws {
        let command = try eventgen(["--type", "http", "--params", "url:127.0.0.1:8080/a,url:http://127.0.0.1:8081/b",
                                    "--params", "url:[::1]:8082/c", "--count", "5"])
        let http = try HTTPCommand.parse(try command.translatedArguments())
        #expect(http.urls == ["http://127.0.0.1:8080/a", "http://127.0.0.1:8081/b", "http://[::1]:8082/c"])
        #expect(try http.load.parsed().count == 5)
    }

    @Test func paramsOfTheOtherTypeAreRefused() {
        #expect(message(["--type", "dns", "--params", "domain:a.test,url:x"])
            == "--params: 'url:x' does not go with --type dns; use domain:NAME (--type dns)")
        #expect(message(["--type", "http", "--params", "domain:a.test"])
            == "--params: 'domain:a.test' does not go with --type http; use url:HOST[/PATH] (--type http)")
        #expect(message(["--type", "dns"]) == "--type dns needs --params domain:NAME")
        #expect(message(["--type", "dns", "--params", "domain:"]) == "--params: 'domain:' does not go with --type dns; use domain:NAME (--type dns)")
    }
}
