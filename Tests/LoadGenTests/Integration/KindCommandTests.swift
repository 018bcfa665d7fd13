import Foundation
import Testing

extension DNSIntegrationTests {
    /// `loadgen tcp` and `loadgen udp` refuse bad input with a message that names the flag and what would work
    /// (exit 2), never a crash. Every invocation names a namespace the test made and is bounded, so that a bad value
    /// wrongly accepted would still send only a few events to a port on 127.0.0.1 inside it where nothing listens.
    @Suite struct KindCommandTests {
        typealias Case = BadInputCase

        static let cases: [Case] = [
            Case(label: "udp --size 0", arguments: ["udp", "127.0.0.1:PORT", "--size", "0"], mentions: ["--size 0", "1 to 65507"]),
            Case(label: "udp --size 65508", arguments: ["udp", "127.0.0.1:PORT", "--size", "65508"], mentions: ["--size 65508", "65507"]),
            Case(label: "udp --size smaller than the echo tag", arguments: ["udp", "127.0.0.1:PORT", "--size", "8", "--expect-echo"],
                 mentions: ["--size 8", "16-byte echo tag", "--size 16"]),
            Case(label: "udp --size smaller than --payload", arguments: ["udp", "127.0.0.1:PORT", "--size", "4", "--payload", "hello"],
                 mentions: ["--size 4", "--payload", "--size 5"]),
            Case(label: "udp --payload with a bad escape", arguments: ["udp", "127.0.0.1:PORT", "--payload", "a\\q"],
                 mentions: ["--payload", "unknown escape", "\\xHH"]),
            Case(label: "udp without HOST:PORT", arguments: ["udp"], mentions: ["HOST:PORT", "loadgen udp 127.0.0.1:7000"]),
            Case(label: "tcp without a port", arguments: ["tcp", "127.0.0.1"], mentions: ["127.0.0.1", "no port"]),
            Case(label: "tcp with a name and no port", arguments: ["tcp", "localhost"], mentions: ["HOST:PORT 'localhost'", "no port", "localhost:7000"]),
            Case(label: "tcp port 70000", arguments: ["tcp", "127.0.0.1:70000"], mentions: ["70000"]),
            Case(label: "tcp port 0", arguments: ["tcp", "localhost:0"], mentions: ["HOST:PORT 'localhost:0'", "port '0'", "1 to 65535"]),
            Case(label: "tcp without a host", arguments: ["tcp", ":PORT"], mentions: ["HOST:PORT", "has no host"]),
            Case(label: "tcp with an unclosed bracket", arguments: ["tcp", "[::1:PORT"], mentions: ["HOST:PORT", "not closed", "[::1]:7000"]),
            Case(label: "udp with a name in brackets", arguments: ["udp", "[localhost]:PORT"], mentions: ["HOST:PORT", "'localhost'", "IPv6"]),
            Case(label: "udp with a bad --dns-server", arguments: ["udp", "localhost:PORT", "--dns-server", "nowhere"],
                 mentions: ["--dns-server", "nowhere"]),
            Case(label: "tcp --close half", arguments: ["tcp", "127.0.0.1:PORT", "--close", "half"], mentions: ["--close", "half", "fin", "rst"]),
            Case(label: "tcp --expect -1", arguments: ["tcp", "127.0.0.1:PORT", "--expect=-1"], mentions: ["--expect", "0 to"]),
            Case(label: "tcp --send with an unknown placeholder", arguments: ["tcp", "127.0.0.1:PORT", "--send", "x{nope}"],
                 mentions: ["--send", "{nope}", "{seq}"]),
            Case(label: "tcp --send with a half \\x escape", arguments: ["tcp", "127.0.0.1:PORT", "--send", "\\x4"],
                 mentions: ["--send", "two hex digits"]),
            Case(label: "tcp --send ''", arguments: ["tcp", "127.0.0.1:PORT", "--send", ""], mentions: ["--send", "leave --send out"]),
            Case(label: "tcp with a bad second of three targets", arguments: ["tcp", "127.0.0.1:PORT", "web", "[::1]:PORT"],
                 mentions: ["target 2 of 3", "HOST:PORT 'web' has no port", "web:7000"]),
            Case(label: "udp with a bad last target", arguments: ["udp", "127.0.0.1:PORT", "[::1]:PORT", "[::1:PORT"],
                 mentions: ["target 3 of 3", "not closed", "[::1]:7000"]),
        ]

        @Test("usage errors exit 2 and name the flag and what works", arguments: cases)
        func usageError(_ testCase: Case) async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let arguments = testCase.arguments.map { $0.replacingOccurrences(of: "PORT", with: "\(port)") }
                    + ["--netns", ns.name, "--count", "3", "--timeout", "200ms", "--json", "--quiet"]
                let run = try await LoadGen.run(arguments, deadline: 10)
                run.expectError(exitCode: 2, mentions: testCase.mentions, errorLine: false)
            }
        }
    }
}
