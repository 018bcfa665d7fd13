import Testing
@testable import LoadGen

@Suite struct VerifyTextTests {
    @Test(arguments: [
        ("q0.example.test", "q0.example.test"), ("Q0.Example.TEST.", "q0.example.test"), (".", "."),
        ("\u{10}inspektor-gadget\u{2}io", "inspektor-gadget.io"), ("a.b.", "a.b"),
    ])
    func dnsNamesNormalise(name: String, normalised: String) {
        #expect(VerifyText.dnsName(name) == normalised)
    }

    @Test func dnsIDsFromHexText() {
        #expect(VerifyText.dnsIDFromHex("1234") == 0x1234)
        #expect(VerifyText.dnsIDFromHex("0x1234") == 0x1234)
        #expect(VerifyText.dnsIDFromHex("0x00001234") == 0x1234)
        #expect(VerifyText.dnsIDFromHex("ffff") == 0xFFFF)
        #expect(VerifyText.dnsIDFromHex("10000") == nil)
        #expect(VerifyText.dnsIDFromHex("zz") == nil)
        #expect(VerifyText.dnsIDFromHex("") == nil)
    }

    @Test func endpointsNormalise() {
        #expect(VerifyText.endpoint("127.0.0.1:53") == "127.0.0.1:53")
        #expect(VerifyText.endpoint("[::1]:53") == "[::1]:53")
        #expect(VerifyText.endpoint("[FE80::1]:8080") == "[fe80::1]:8080")
        #expect(VerifyText.endpoint("[::ffff:10.0.0.1]:80") == "10.0.0.1:80")
        #expect(VerifyText.endpoint("::1") == nil)
        #expect(VerifyText.endpoint("127.0.0.1") == nil)
        #expect(VerifyText.endpoint(host: "::1", port: 53) == "[::1]:53")
        #expect(VerifyText.endpoint(host: "::ffff:127.0.0.1", port: 53) == "127.0.0.1:53")
    }

    @Test func rfc3339() {
        #expect(VerifyText.rfc3339Nanos("1970-01-01T00:00:00Z") == 0)
        #expect(VerifyText.rfc3339Nanos("2025-11-28T06:13:00.123456789Z") == 1_764_310_380_123_456_789)
        #expect(VerifyText.rfc3339Nanos("2025-11-28T07:13:00.123456789+01:00") == 1_764_310_380_123_456_789)
        #expect(VerifyText.rfc3339Nanos("2025-11-28T06:13:00.5Z") == 1_764_310_380_500_000_000)
        #expect(VerifyText.rfc3339Nanos("2025-11-28T06:13:00.1234567891Z") == 1_764_310_380_123_456_789)
        #expect(VerifyText.rfc3339Nanos("2024-02-29T00:00:00Z") == 1_709_164_800_000_000_000)
        #expect(VerifyText.rfc3339Nanos("2025-11-28 06:13:00") == nil)
        #expect(VerifyText.rfc3339Nanos("yesterday") == nil)
    }

    @Test func decimalSeconds() {
        #expect(VerifyText.secondsNanos("1764310380.123456789") == 1_764_310_380_123_456_789)
        #expect(VerifyText.secondsNanos("1764310380.5") == 1_764_310_380_500_000_000)
        #expect(VerifyText.secondsNanos("1764310380") == 1_764_310_380_000_000_000)
        #expect(VerifyText.secondsNanos("1.") == nil)
        #expect(VerifyText.secondsNanos("abc") == nil)
    }

    @Test func timestampsPickTheirClock() {
        #expect(ObservedTime.read(.int(1_764_310_380_000_000_000)) == ObservedTime(clock: .wall, nanos: 1_764_310_380_000_000_000))
        #expect(ObservedTime.read(.int(10_931_213_449_822)) == ObservedTime(clock: .boottime, nanos: 10_931_213_449_822))
        #expect(ObservedTime.read(.int(10_931_213_449_822), clock: .monotonic) == ObservedTime(clock: .monotonic, nanos: 10_931_213_449_822))
        #expect(ObservedTime.read(.number("1764310380.25")) == ObservedTime(clock: .wall, nanos: 1_764_310_380_250_000_000))
        #expect(ObservedTime.read(.string("2025-11-28T06:13:00Z")) == ObservedTime(clock: .wall, nanos: 1_764_310_380_000_000_000))
        #expect(ObservedTime.read(.string("12345")) == ObservedTime(clock: .boottime, nanos: 12345))
        #expect(ObservedTime.read(.bool(true)) == nil)
    }
}
