import Testing
@testable import LoadGen

@Suite struct ProgressPrinterTests {
    private func totals(sent: UInt64, completed: UInt64 = 0) -> ProgressPrinter.Totals {
        ProgressPrinter.Totals(sent: sent, completed: completed, timeouts: 0, errors: 0)
    }

    @Test("the rate is what was sent since the previous line per second since it, not the bare count")
    func rateIsPerSecond() {
        var printer = ProgressPrinter(enabled: true, origin: 1_000)
        // The first line after 1 s: 2,000 sent → 2000/s.
        #expect(printer.line(totals(sent: 2_000, completed: 1_990), now: 1_000 + 1_000_000_000)
            == "[   1.0s] sent 2000 (2000/s)  completed 1990  timeouts 0  errors 0  in flight 10\n")
        // The main thread woke 1.5 s later (a busy machine): 3,000 more in 1.5 s is 2000/s, not "+3000/s".
        #expect(printer.line(totals(sent: 5_000, completed: 5_000), now: 1_000 + 2_500_000_000)
            == "[   2.5s] sent 5000 (2000/s)  completed 5000  timeouts 0  errors 0  in flight 0\n")
        // Half a second later, 500 more: 1000/s.
        #expect(printer.line(totals(sent: 5_500, completed: 5_500), now: 1_000 + 3_000_000_000).contains("sent 5500 (1000/s)"))
    }

    @Test func inFlightNeverUnderflows() {
        #expect(ProgressPrinter.Totals(sent: 5, completed: 4, timeouts: 1, errors: 1).inFlight == 0)
        #expect(ProgressPrinter.Totals(sent: 10, completed: 4, timeouts: 1, errors: 1).inFlight == 4)
    }
}
