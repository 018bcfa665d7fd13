import Testing
@testable import LoadGen

/// Inputs the verify fuzzers (Fuzz/Harnesses/Verify*Fuzz.swift) found crashing `loadgen verify`, kept as tests.
@Suite struct VerifyTextFuzzTests {
    /// Int64.max ns after the epoch: the last time an Int64 of ns holds.
    static let lastNanosText = "2262-04-11T23:47:16.854775807Z"

    @Test func timesBeyondInt64NanosecondsAreNotTimes() {
        // Trapped with an arithmetic overflow: RFC 3339 years run to 9999, Int64 ns only to 2262.
        #expect(VerifyText.rfc3339Nanos(Self.lastNanosText) == .max)
        #expect(VerifyText.rfc3339Nanos("2262-04-11T23:47:16.854775808Z") == nil)
        #expect(VerifyText.rfc3339Nanos("9999-12-31T23:59:59Z") == nil)
        #expect(VerifyText.rfc3339Nanos("1012-11-28T06:13:00.000000000Z") == nil)
        #expect(VerifyText.rfc3339Nanos("1677-09-21T00:12:43Z") == nil)
        #expect(VerifyText.rfc3339Nanos("1700-01-01T00:00:00Z") == -8_520_336_000_000_000_000)
    }

    @Test func secondsBeyondInt64NanosecondsAreNotTimes() {
        // Eleven digits of seconds were accepted and multiplied by 10^9.
        #expect(VerifyText.secondsNanos("9223372036.854775807") == .max)
        #expect(VerifyText.secondsNanos("9223372036.854775808") == nil)
        #expect(VerifyText.secondsNanos("99999999999.5") == nil)
        #expect(VerifyText.secondsNanos("-9223372036.854775807") == -.max)
    }

    @Test func anEventSentIn1012IsAnInputErrorNamingTheLine() throws {
        let event = VerifySamples.dnsEvent(seq: 0).replacingOccurrences(of: "\"sent_wall\":\"2025", with: "\"sent_wall\":\"1012")
        #expect(event.contains("1012-11-28"))
        #expect(throws: VerifyInputError(file: "events.jsonl", line: 2,
                                         "'sent_wall' '1012-11-28T06:13:00.000000000Z' is not an RFC 3339 time")) {
            try Verifier.run(events: VerifySamples.dnsEvent(seq: 1) + "\n" + event + "\n",
                             observed: VerifySamples.tsharkHeader + "\n", options: VerifyOptions(format: .tsharkFields))
        }
    }

    @Test(arguments: ["99999999999.000000001", "17643103807000040000", "1764310380700004000000000.5"])
    func aTsharkTimeBeyondInt64NanosecondsIsAnInputError(time: String) throws {
        // The 20-digit one trapped while its digits were summed, before their count was checked.
        let row = "\(time)\t0x1000\tq0.example.test\t0"
        #expect(throws: VerifyInputError.self) {
            try Verifier.run(events: VerifySamples.dnsEvents(1), observed: VerifySamples.tsharkHeader + "\n" + row + "\n",
                             options: VerifyOptions(format: .tsharkFields))
        }
    }
}
