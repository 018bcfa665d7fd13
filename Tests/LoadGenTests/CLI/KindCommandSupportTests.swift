import ArgumentParser
import Testing
@testable import LoadGen

/// `loadgen tcp` and `loadgen udp` with several `HOST:PORT` targets: parsed in order, a bad one named by its position
/// and text, the DNS servers given to the names only; and the scenario keys that carry them.
@Suite struct KindCommandSupportTests {
    /// The description of the error `makeConfig` throws, or nil when it succeeds.
    static func configError(_ arguments: [String], kind: String = "tcp") -> String? {
        do {
            _ = kind == "tcp" ? try TCPCommand.parse(arguments).makeConfig() : try UDPCommand.parse(arguments).makeConfig()
            return nil
        } catch let error as ValidationError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func severalTargetsKeepTheirOrder() throws {
        let tcp = try #require(try TCPCommand.parse(["127.0.0.1:7000", "[::1]:7001", "web:7002", "--dns-server", "127.0.0.1:5353"])
            .makeConfig().tcp)
        #expect(tcp.targets.map(\.description) == ["127.0.0.1:7000", "[::1]:7001", "web:7002"])
        #expect(tcp.targets.map(\.given.isName) == [false, false, true])
        let server = try Endpoint(host: "127.0.0.1", port: 5353)
        #expect(tcp.targets.map(\.dnsServers) == [[], [], [server]])
        let udp = try #require(try UDPCommand.parse(["127.0.0.1:9000", "127.0.0.1:9001"]).makeConfig().udp)
        #expect(udp.targets.map(\.description) == ["127.0.0.1:9000", "127.0.0.1:9001"])
        #expect(udp.targets.allSatisfy { $0.dnsServers.isEmpty })
    }

    @Test(arguments: ["tcp", "udp"])
    func aBadTargetAmongSeveralIsNamedByPositionAndText(kind: String) {
        let cases: [([String], [String])] = [
            (["127.0.0.1:7000", "web"], ["target 2 of 2", "HOST:PORT 'web' has no port", "web:7000"]),
            (["127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:0"], ["target 3 of 3", "'127.0.0.1:0'", "port '0'", "1 to 65535"]),
            (["[::1:7000", "127.0.0.1:7000"], ["target 1 of 2", "'[::1:7000'", "not closed", "[::1]:7000"]),
            (["127.0.0.1:7000", "", "127.0.0.1:7001"], ["target 2 of 3", "HOST:PORT is empty"]),
            (["a:1", "b_c!:2"], ["target 2 of 2", "'b_c!'", "neither an IP address nor a host name"]),
        ]
        for (arguments, parts) in cases {
            let message = Self.configError(arguments, kind: kind) ?? "accepted"
            #expect(parts.allSatisfy { message.contains($0) } && !message.contains("\n"), "\(arguments): \(message)")
        }
        let one = Self.configError(["web"], kind: kind) ?? "accepted"
        #expect(one.hasPrefix("HOST:PORT 'web' has no port"), "one target keeps its message: \(one)")
        let none = Self.configError([], kind: kind) ?? "accepted"
        #expect(none.contains("give the target as HOST:PORT") && none.contains("several take turns"), "\(none)")
    }

    @Test func scenarioTargetsListsBecomeTheCommandsArguments() throws {
        for key in ["target", "targets"] {
            let file = try ScenarioFile(path: "s.yaml", text: """
                netns: bench
                streams:
                  - name: churn
                    kind: tcp
                    rate: 100
                    \(key): ['127.0.0.1:7000', '[::1]:7000']
                """, kinds: StreamKind.all.map(\.name))
            let (streams, _, _) = try ScenarioArguments.make(file)
            let arguments = streams[0].arguments
            let dashes = try #require(arguments.firstIndex(of: "--"), "\(arguments)")
            #expect(Array(arguments[(dashes + 1)...]) == ["127.0.0.1:7000", "[::1]:7000"], "\(key): \(arguments)")
        }
    }
}
