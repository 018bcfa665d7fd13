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
