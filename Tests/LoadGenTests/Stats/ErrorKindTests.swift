import Testing
@testable import LoadGen

@Suite struct ErrorKindTests {
    @Test func errorKindNamesAreTheJSONKeys() {
        let names = ErrorKind.allCases.map(\.name)
        for name in ["refused", "reset", "send_failed", "bad_response", "id_mismatch", "other"] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(Set(names).count == names.count, "every key distinct")
        #expect(names.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "_" } }, "snake_case JSON keys")
        #expect(ErrorKind.allCases.map(\.rawValue) == Array(0..<ErrorKind.allCases.count), "usable as array indexes")
        #expect(ErrorKind.refused.name == "refused" && ErrorKind.sendFailed.name == "send_failed" && ErrorKind.idMismatch.name == "id_mismatch")
    }

    @Test func everyKindHasItsOwnCounter() {
        var c = Counters()
        for (i, kind) in ErrorKind.allCases.enumerated() {
            for _ in 0...i { c.recordError(kind) }
        }
        #expect(ErrorKind.allCases.enumerated().allSatisfy { c.errorCount($1) == UInt64($0 + 1) })
    }
}
