import Testing
@testable import LoadGen

/// The rates `--find-max` tries and how it judges a step, without a network.
@Suite struct FindMaxSearchTests {
    /// Runs a search against a target that holds every rate up to `capacity`; returns the rates tried.
    static func tried(capacity: Double, start: Double = 1000, growth: Double = 0.25, precision: Double = 0.02) -> ([Double], Double?) {
        var search = FindMaxSearch(startRate: start, growth: growth, precision: precision)
        var rates: [Double] = []
        while let rate = search.nextRate {
            rates.append(rate)
            search.record(rate: rate, held: rate <= capacity)
        }
        return (rates, search.highestHeld)
    }

    @Test("up by the growth while steps hold, then halving the gap until held and failed are within the precision")
    func convergesBelowTheCapacity() {
        let (rates, found) = FindMaxSearchTests.tried(capacity: 6200)
        #expect(Array(rates.prefix(4)) == [1000, 1250, 1563, 1954])
        let held = try! #require(found)
        #expect(held <= 6200 && held >= 6200 / 1.02, "found \(held)")
        #expect(rates.count < 20)
    }

    @Test("a first step that fails ends the search with nothing held; one at the top rate ends it too")
    func edges() {
        let (rates, found) = FindMaxSearchTests.tried(capacity: 10, start: 100)
        #expect(rates == [100] && found == nil)
        var search = FindMaxSearch(startRate: 40, growth: 1, precision: 0.02, maxRate: 100)
        var seen: [Double] = []
        while let rate = search.nextRate { seen.append(rate); search.record(rate: rate, held: true) }
        #expect(seen == [40, 80, 100])
    }

    @Test("the step limit bounds any search")
    func bounded() {
        let (rates, _) = FindMaxSearchTests.tried(capacity: .infinity, start: 1, growth: 0.01)
        #expect(rates.count == FindMaxSearch.maxSteps)
    }
}
