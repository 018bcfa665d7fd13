import Testing
@testable import LoadGen

@Suite struct HostPortTests {
    private func error(_ text: String) -> HostPortError? {
        do {
            _ = try HostPort(parsing: text)
            return nil
        } catch {
            return error
        }
    }

    @Test("literals keep their address; names are kept as given for the loop thread to resolve", arguments: [
        ("127.0.0.1:7000", "127.0.0.1", 7000, false, "127.0.0.1:7000"),
        ("[::1]:7000", "::1", 7000, false, "[::1]:7000"),
        ("[2001:db8::1]:65535", "2001:db8::1", 65535, false, "[2001:db8::1]:65535"),
        ("localhost:80", "localhost", 80, true, "localhost:80"),
        ("web:1", "web", 1, true, "web:1"),
        ("db-0.db.default.svc.cluster.local:5432", "db-0.db.default.svc.cluster.local", 5432, true, "db-0.db.default.svc.cluster.local:5432"),
        ("web.example.:8080", "web.example.", 8080, true, "web.example.:8080"),
        ("_sip.example:5060", "_sip.example", 5060, true, "_sip.example:5060"),
    ] as [(String, String, UInt16, Bool, String)])
    func parses(text: String, host: String, port: UInt16, isName: Bool, description: String) throws {
        let parsed = try HostPort(parsing: text)
        #expect(parsed.host == host && parsed.port == port && parsed.isName == isName)
        #expect(parsed.description == description)
        if !isName { #expect(parsed.literal == (try Endpoint(host: host, port: port))) }
    }

    @Test("bad HOST:PORT: each refused with its own reason", arguments: [
        ("", HostPortError.empty),
        ("web", .noPort("web")),
        ("127.0.0.1", .noPort("127.0.0.1")),
        ("[::1]", .noPort("[::1]")),
        ("::1", .noPort("::1")),
        ("web:", .badPort("web:", "")),
        ("web:0", .badPort("web:0", "0")),
        ("web:65536", .badPort("web:65536", "65536")),
        ("127.0.0.1:70000", .badPort("127.0.0.1:70000", "70000")),
        ("web:http", .badPort("web:http", "http")),
        ("web:-1", .badPort("web:-1", "-1")),
        ("[::1]:0", .badPort("[::1]:0", "0")),
        (":7000", .emptyHost(":7000")),
        ("[]:7000", .emptyHost("[]:7000")),
        ("[::1:7000", .unclosedBracket("[::1:7000")),
        ("[::1]7000", .afterBracket("[::1]7000")),
        ("::1]:7000", .strayBracket("::1]:7000")),
        ("web]:7000", .strayBracket("web]:7000")),
        ("[web]:7000", .notIPv6InBrackets("[web]:7000", "web")),
        ("[127.0.0.1]:7000", .notIPv6InBrackets("[127.0.0.1]:7000", "127.0.0.1")),
        ("fe80::1:7000:x", .tooManyColons("fe80::1:7000:x")),
        ("web:80:81", .tooManyColons("web:80:81")),
        ("we b:7000", .notAHost("we b:7000", "we b")),
        ("web..example:7000", .notAHost("web..example:7000", "web..example")),
        ("1.2.3:7000", .notAHost("1.2.3:7000", "1.2.3")),
        ("999.0.0.1:7000", .notAHost("999.0.0.1:7000", "999.0.0.1")),
        ("http://web:7000", .tooManyColons("http://web:7000")),
    ] as [(String, HostPortError)])
    func refuses(text: String, expected: HostPortError) {
        #expect(error(text) == expected)
    }

    @Test("the messages name the argument and show what works")
    func messages() {
        #expect(HostPortError.noPort("web").description == "HOST:PORT 'web' has no port; give one, e.g. web:7000")
        #expect(HostPortError.noPort("::1").description == "HOST:PORT '::1' has no port; give one, e.g. [::1]:7000")
        #expect(HostPortError.noPort("[::1]").description == "HOST:PORT '[::1]' has no port; give one, e.g. [::1]:7000")
        #expect(HostPortError.badPort("web:0", "0").description == "HOST:PORT 'web:0': port '0' must be a number from 1 to 65535")
        #expect(HostPortError.emptyHost(":7000").description.contains("':7000' has no host"))
        #expect(HostPortError.unclosedBracket("[::1:7000").description.contains("[::1]:7000"))
        #expect(HostPortError.notIPv6InBrackets("[web]:7000", "web").description.contains("web:7000"))
        #expect(HostPortError.empty.description.contains("web:7000"))
    }

    @Test("a name's resolved address becomes the endpoint; a literal stays itself")
    func endpointFromAddress() throws {
        #expect(try HostPort(parsing: "web:7000").endpoint(address: "10.0.0.2").description == "10.0.0.2:7000")
        #expect(try HostPort(parsing: "web:7000").endpoint(address: "fd00::2").description == "[fd00::2]:7000")
        #expect(try HostPort(parsing: "127.0.0.1:7000").endpoint(address: "10.0.0.2").description == "127.0.0.1:7000")
    }
}
