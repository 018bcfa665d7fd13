import ArgumentParser
import Testing
@testable import LoadGen

@Suite struct NameServersTests {
    @Test func explicitServersAreParsedInOrder() throws {
        let (servers, source) = try NameServers.choose(explicit: ["127.0.0.1", "[::1]:5353"], flag: "--server", spec: .name("x"))
        #expect(servers.map(\.description) == ["127.0.0.1:53", "[::1]:5353"])
        #expect(source == "--server")
    }

    @Test func badExplicitServersNameTheFlag() {
        #expect(throws: ValidationError.self) { try NameServers.choose(explicit: ["nope"], flag: "--dns-server", spec: nil) }
        do {
            _ = try NameServers.choose(explicit: ["127.0.0.1:0"], flag: "--dns-server", spec: nil)
            Issue.record("accepted port 0")
        } catch let error as ValidationError {
            #expect(error.message == "--dns-server: '127.0.0.1:0': port '0' must be a number from 1 to 65535")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func resolvConfOfTheTarget() {
        #expect(NameServers.resolvConfPath(for: nil) == "/etc/resolv.conf")
        #expect(NameServers.resolvConfPath(for: .pid(4242)) == "/proc/4242/root/etc/resolv.conf")
        #expect(NameServers.resolvConfPath(for: .path("/proc/1/ns/net")) == "/etc/resolv.conf")
        // A name without its own /etc/netns/NAME/resolv.conf uses the host's.
        #expect(NameServers.resolvConfPath(for: .name("loadgen-unit-no-such-ns")) == "/etc/resolv.conf")
    }
}
