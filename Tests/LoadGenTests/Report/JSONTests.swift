import Foundation
import Testing
@testable import LoadGen

@Suite struct JSONTests {
    @Test(arguments: [
        (0.0, "0"), (3.0, "3"), (-3.0, "-3"), (20_000.0, "20000"), (2.5, "2.5"), (-2.5, "-2.5"), (0.05, "0.05"),
        (-0.05, "-0.05"), (1.23456, "1.235"), (19_999.8, "19999.8"), (88.2, "88.2"), (0.001, "0.001"),
        (0.0004, "0"), (-0.0004, "0"), (2.9999, "3"), (10.001, "10.001"), (123_456.789, "123456.789"),
        (999_999_999_999.5, "999999999999.5"), (1e14, "100000000000000"),
    ] as [(Double, String)])
    func numbersHaveAtMostThreeDecimalsAndNoExponent(value: Double, text: String) {
        #expect(JSON.number(value) == text)
    }

    @Test func nonFiniteNumbersBecomeZero() {
        #expect(JSON.number(.nan) == "0")
        #expect(JSON.number(.infinity) == "0")
        #expect(JSON.number(-.infinity) == "0")
    }

    @Test func largeWholeNumbersAreValidJSON() {
        // Whole numbers from 1e15 up must print as plain integers (no trailing dot).
        #expect(JSON.number(1e15) == "1000000000000000")
        #expect(JSON.number(2.5e15) == "2500000000000000")
    }

    @Test func veryLargeNumbersDoNotTrap() async {
        // A double beyond Int64/1000 must still print (or clamp), never crash the report.
        await #expect(processExitsWith: .success) {
            _ = JSON.number(1e17)
            _ = JSON.number(-1e300)
        }
    }

    @Test func numbersRoundTripThroughJSONSerialization() throws {
        for value in [0.0, 1, -1, 0.5, 1.234, 88.2, 19_999.8, 123_456.789, 1e12, -0.123] {
            let text = "[\(JSON.number(value))]"
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [NSNumber]
            #expect(parsed?.first.map { abs($0.doubleValue - value) <= 0.0005 } == true, "\(text)")
        }
    }

    @Test func stringsAreEscaped() {
        #expect(JSON.string("plain").serialized() == "\"plain\"")
        #expect(JSON.string("a\"b").serialized() == #""a\"b""#)
        #expect(JSON.string("a\\b").serialized() == #""a\\b""#)
        #expect(JSON.string("l1\nl2\r\tx").serialized() == #""l1\nl2\r\tx""#)
        #expect(JSON.string("\u{01}\u{1F}").serialized() == #""\u0001\u001f""#)
        #expect(JSON.string("\u{0}").serialized() == #""\u0000""#)
        #expect(JSON.string("héllo ✓ 🚀").serialized() == "\"héllo ✓ 🚀\"")
        #expect(JSON.string("/proc/1/ns/net").serialized() == "\"/proc/1/ns/net\"")
    }

    @Test func escapedStringsRoundTrip() throws {
        let nasty = "q\"b\\s\n r\r t\t c\u{01}\u{1F} del\u{7F} é 🚀 \u{2028}"
        let doc = JSON.object([(nasty, .string(nasty))]).serialized()
        let parsed = try JSONSerialization.jsonObject(with: Data(doc.utf8)) as? [String: String]
        #expect(parsed == [nasty: nasty])
    }

    @Test func keyOrderIsPreservedAndOutputIsIndented() {
        let doc = JSON.object([
            ("zeta", .int(-1)), ("alpha", .uint(UInt64.max)), ("list", .array([.bool(true), .null, .double(1.5)])),
            ("empty", .object([])), ("none", .array([])), ("nested", .object([("b", .string("x")), ("a", .bool(false))])),
        ])
        #expect(doc.serialized() == """
        {
          "zeta": -1,
          "alpha": 18446744073709551615,
          "list": [
            true,
            null,
            1.5
          ],
          "empty": {},
          "none": [],
          "nested": {
            "b": "x",
            "a": false
          }
        }
        """)
    }

    @Test func equalityComparesTheSerializedForm() {
        #expect(JSON.object([("a", .int(1))]) == JSON.object([("a", .uint(1))]))
        #expect(JSON.object([("a", .int(1)), ("b", .null)]) != JSON.object([("b", .null), ("a", .int(1))]))
    }
}
