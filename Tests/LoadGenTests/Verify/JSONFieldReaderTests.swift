import Testing
@testable import LoadGen

extension VerifySuites {
    @Suite struct JSONFieldReaderTests {
        private func records(_ text: String, _ paths: [String]) throws -> [(Int, [JSONFieldReader.Value?])] {
            var out: [(Int, [JSONFieldReader.Value?])] = []
            var text = text
            try text.withUTF8 { bytes in
                try JSONFieldReader.forEachObject(in: bytes, paths: JSONFieldReader.Paths(paths.map(JSONFieldReader.Paths.split))) {
                    out.append(($0, $1))
                }
            }
            return out
        }

        @Test func extractsTopLevelAndNestedPathsAndSkipsTheRest() throws {
            let r = try records(#"{"a":1,"skip":{"deep":[1,2,{"x":"y"}],"s":"\"}"},"src":{"addr":"::1","port":53},"b":"x\ty"}"#,
                                ["a", "src.addr", "src.port", "b", "missing", "src.nope"])
            #expect(r.count == 1)
            let s = r[0].1
            #expect(s[0]?.int == 1)
            #expect(s[1]?.string == "::1")
            #expect(s[2]?.int == 53)
            #expect(s[3]?.string == "x\ty")
            #expect(s[4] == nil && s[5] == nil)
        }

        @Test func aPathThatIsAPrefixOfAnotherFillsBoth() throws {
            let r = try records(#"{"src":{"addr":"1.2.3.4","port":80}}"#, ["src", "src.port"])
            #expect(r[0].1[0]?["addr"]?.string == "1.2.3.4")
            #expect(r[0].1[1]?.int == 80)
        }

        @Test func linesArraysAndPrettyPrintedObjectsAllCount() throws {
            let text = """
            {"n":1}

            [{"n":2},
             {"n":3}]
            {
              "n": 4
            }
            []
            """
            let r = try records(text, ["n"])
            #expect(r.map { $0.1[0]?.int } == [1, 2, 3, 4])
            #expect(r.map(\.0) == [1, 3, 4, 5])
        }

        @Test func stringEscapesAndNumbers() throws {
            let v = try JSONFieldReader.parse(#"{"s":"a\u00e9\ud83d\ude00\n\/","big":18446744073709551615,"f":1.5e3,"neg":-7,"t":true,"n":null}"#)
            #expect(v["s"]?.string == "aé😀\n/")
            #expect(v["big"]?.int == nil)
            #expect(v["big"]?.scalarText == "18446744073709551615")
            #expect(v["f"]?.scalarText == "1.5e3")
            #expect(v["neg"]?.int == -7)
            #expect(v["t"]?.scalarText == "true")
            #expect(v["n"]?.scalarText == nil)
        }

        @Test func escapedKeysStillMatch() throws {
            let r = try records(#"{"i\u0064":"1234"}"#, ["id"])
            #expect(r[0].1[0]?.string == "1234")
        }

        @Test(arguments: [
            (#"{"a":1}"# + "\n" + #"{"a":}"#, 2),
            (#"{"a":1}"# + "\n\n" + #"{"a":"unterminated}"#, 3),
            (#"{"a":1} trailing"#, 1),
            ("{\"a\":1}\n{\"a\":1,}", 2),
            ("{\"a\":1}\n42", 2),
            ("{\"a\": tru}", 1),
            ("{\"a\":\"line\nbreak\"}", 1),
            ("[{\"a\":1},2]", 1),
            ("{\"a\":1}\n{\"a\":[1,2", 2),
            ("{\"a\":1}\n{\"a\":[1,2\n\n", 2),
            ("{\"a\":1\n{\"a\":2}", 2),
        ] as [(String, Int)])
        func malformedInputNamesTheLine(text: String, line: Int) {
            #expect {
                _ = try records(text, ["a"])
            } throws: { error in
                (error as? JSONFieldReader.SyntaxError)?.line == line
            }
        }

        @Test func aTruncatedLineIsBlamedNotTheNextOne() {
            #expect {
                _ = try records("{\"a\":1}\n{\"a\":2\n{\"a\":3}\n", ["a"])
            } throws: { error in
                guard let e = error as? JSONFieldReader.SyntaxError else { return false }
                return e.line == 3 && e.message.hasSuffix("(in the object that starts on line 2)")
            }
        }

        @Test func deepNestingIsAnErrorNotACrash() {
            let text = String(repeating: "[", count: 10_000)
            #expect(throws: JSONFieldReader.SyntaxError.self) { _ = try JSONFieldReader.parse(text) }
            let skipped = "{\"x\":" + String(repeating: "[", count: 10_000) + "}"
            #expect(throws: JSONFieldReader.SyntaxError.self) { _ = try records(skipped, ["a"]) }
        }
    }
}

