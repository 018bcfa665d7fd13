import Testing
@testable import LoadGen

@Suite struct EndpointTests {
    private func parse(_ text: String) throws(EndpointError) -> Endpoint {
        try Endpoint(parsing: text, defaultPort: 53)
    }

    private func error(_ text: String) -> EndpointError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1", 53, Endpoint.Family.ipv4, "127.0.0.1:53"),
        ("127.0.0.1:5353", "127.0.0.1", 5353, .ipv4, "127.0.0.1:5353"),
        ("10.1.2.3:65535", "10.1.2.3", 65535, .ipv4, "10.1.2.3:65535"),
        ("[::1]", "::1", 53, .ipv6, "[::1]:53"),
        ("[::1]:53", "::1", 53, .ipv6, "[::1]:53"),
        ("[::1]:5353", "::1", 5353, .ipv6, "[::1]:5353"),
        ("::1", "::1", 53, .ipv6, "[::1]:53"),
        ("2001:db8::1", "2001:db8::1", 53, .ipv6, "[2001:db8::1]:53"),
        ("[2001:db8::53]:1053", "2001:db8::53", 1053, .ipv6, "[2001:db8::53]:1053"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1", 53, .ipv6, "[::ffff:127.0.0.1]:53"),
    ] as [(String, String, UInt16, Endpoint.Family, String)])
    func parsesAddressesAndPorts(text: String, host: String, port: UInt16, family: Endpoint.Family, description: String) throws {
        let e = try parse(text)
        #expect(e.host == host)
        #expect(e.port == port)
        #expect(e.family == family)
        #expect(e.description == description)
    }

    @Test func defaultPortIsUsedWhenNoneIsGiven() throws {
        #expect(try Endpoint(parsing: "127.0.0.1", defaultPort: 8080).port == 8080)
        #expect(try Endpoint(parsing: "[::1]", defaultPort: 8080).port == 8080)
        #expect(try Endpoint(parsing: "127.0.0.1:80", defaultPort: 8080).port == 80)
    }

    @Test func errorsSayWhatIsWrong() {
        #expect(error("300.1.1.1") == .notAnAddress("300.1.1.1"))
        #expect(error("127.0.0.1:0") == .badPort("127.0.0.1:0", "0"))
        #expect(error(":99999") == .badPort(":99999", "99999"))
        #expect(error("127.0.0.1:65536") == .badPort("127.0.0.1:65536", "65536"))
        #expect(error("127.0.0.1:") == .badPort("127.0.0.1:", ""))
        #expect(error("127.0.0.1:dns") == .badPort("127.0.0.1:dns", "dns"))
        #expect(error("[::1]:0") == .badPort("[::1]:0", "0"))
        #expect(error("[::1") == .malformed("[::1"))
        #expect(error("[::1]53") == .malformed("[::1]53"))
        #expect(error("") == .malformed(""))
        #expect(error(":53") == .malformed(":53"))
        #expect(error("[]:53") == .malformed("[]:53"))
        #expect(error("localhost") == .notAnAddress("localhost"))
        #expect(error("dns.google:53") == .notAnAddress("dns.google"))
        #expect(error("1.2.3") == .notAnAddress("1.2.3"))
        #expect(error("fe80::1%eth0") == .notAnAddress("fe80::1%eth0"))
        #expect(error("[localhost]:53") == .notAnAddress("localhost"))
    }

    @Test func errorDescriptionsShowWhatWorks() {
        #expect(EndpointError.notAnAddress("300.1.1.1").description
            == "'300.1.1.1' is not an IPv4 or IPv6 address; use 127.0.0.1, 127.0.0.1:5353, [::1] or [::1]:5353")
        #expect(EndpointError.malformed("[::1").description
            == "'[::1' is not an address; use 127.0.0.1, 127.0.0.1:5353, [::1] or [::1]:5353")
        #expect(EndpointError.badPort(":99999", "99999").description
            == "':99999': port '99999' must be a number from 1 to 65535")
    }

    @Test func directInitChecksTheFamily() throws {
        #expect(try Endpoint(host: "192.0.2.1", port: 1).family == .ipv4)
        #expect(try Endpoint(host: "2001:db8::", port: 1).family == .ipv6)
        #expect(throws: EndpointError.notAnAddress("[::1]")) { try Endpoint(host: "[::1]", port: 53) }
        #expect(try parse("127.0.0.1") == Endpoint(host: "127.0.0.1", port: 53))
        #expect(try parse("127.0.0.1") != parse("127.0.0.1:54"))
    }
}
