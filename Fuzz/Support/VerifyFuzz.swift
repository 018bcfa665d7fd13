/// `loadgen verify` on fuzzer input, from the bytes of both files to the text and JSON reports: it reads them or
/// throws an input error, and never crashes.
///
/// Input: the `--events` log, a NUL, then the observed file (the events log alone when there is no NUL).
enum VerifyFuzz {
    static func run(_ input: inout FuzzInput, options: VerifyOptions) {
        let events = input.field()
        let observed = input.rest()
        events.withUnsafeBufferPointer { events in
            do {
                let report = try Verifier.run(events: events, eventsFile: "events.jsonl", observed: observed,
                                              observedFile: "observed", options: options)
                _ = report.text()
                _ = report.json().serialized()
            } catch {
                _ = "\(error)"
            }
        }
    }
}
