/// A loop thread's side of the step windows: counts each sent event in the window of its intended time as it
/// ends, allocating a window's histograms when its first event ends. Loop thread only.
final class StepRecorder {
    let plan: StepPlan
    private let origin: UInt64
    private var parts: [StepPart?]

    init(plan: StepPlan, origin: UInt64) {
        self.plan = plan
        self.origin = origin
        parts = Array(repeating: nil, count: plan.windows.count)
    }

    /// A sent event intended at `intendedNanos` ended with `fate`; `response` and `service` when completed.
    @inline(__always)
    func record(intendedNanos: UInt64, _ fate: EventLedger.Fate, response: UInt64, service: UInt64) {
        let i = plan.window(ofOffset: intendedNanos &- min(intendedNanos, origin))
        if parts[i] == nil { parts[i] = StepPart() }
        EventLedger.count(fate, into: &parts[i]!.events)
        if case .completed = fate {
            parts[i]!.events.responseTime.record(response)
            parts[i]!.events.serviceTime.record(service)
        }
    }

    /// The windows' parts, with what each intended.
    func finish(intended: [UInt64]) -> [StepPart] {
        zip(parts, intended).map { part, intended in
            var p = part ?? StepPart()
            p.intended = intended
            return p
        }
    }
}
