/// The warnings a report opens with (DESIGN.md §4, issue 9 point 2): a run that sent less than 99% of the
/// events it intended, or whose errors and timeouts are more than 1% of what it sent, says so first, naming the
/// main cause and when it began (seconds since the origin). Pure: it reads the result and the header.
enum RunWarnings {
    static func make(_ header: ReportHeader, _ result: RunResult) -> [String] {
        var warnings: [String] = []
        if let notSent = notSentWarning(header, result) { warnings.append(notSent) }
        if let failed = failureWarning(header, result) { warnings.append(failed) }
        return warnings
    }

    /// "only 1,962 of 6,000 intended requests were sent: no connection from 1.02 s on (the server refused
    /// connections from 1.02 s on)" when sent < 99% of intended.
    static func notSentWarning(_ header: ReportHeader, _ result: RunResult) -> String? {
        let c = result.counters
        // In floating point: merged reports' totals may be near 2^63, where × 100 would overflow.
        guard c.intended > 0, Double(c.sent) * 100 < Double(c.intended) * 99 else { return nil }
        let reason = NotSentReason.allCases.max { c.notSentCount($0) < c.notSentCount($1) }!
        let first = c.firstNotSentNanos[reason.rawValue]
        let when = first == 0 ? "" : " from \(Wording.sinceOrigin(first, origin: result.originNanos)) on"
        // Held-back and stopped events are counted when they are given up (the window's end, the stop's drain).
        let givenUp = first == 0 ? "" : " (given up\(when))"
        let cause: String
        switch reason {
        case .noConnection:
            cause = "no connection\(when) (\(connectCause(result)))"
        case .heldBack:
            cause = "held back: every one of the \(header.concurrency) slots was in flight (--concurrency), or loadgen was backing off after refusals\(givenUp)"
        case .stopped:
            cause = "the run was stopped (SIGINT or SIGTERM) before they went out\(givenUp)"
        }
        let intended = Wording.count(c.intended, "intended " + header.eventNounSingular, "intended " + header.eventNoun)
        let sent = c.sent == 0 ? "none of \(intended) \(c.intended == 1 ? "was" : "were")" : "only \(Wording.group(c.sent)) of \(intended) were"
        return "\(sent) sent: \(cause)"
    }

    /// Why connections could not be had: the most frequent connection failure and when it first happened.
    static func connectCause(_ result: RunResult) -> String {
        guard let kind = ErrorKind.allCases.max(by: { result.connectErrors[$0.rawValue] < result.connectErrors[$1.rawValue] }),
              result.connectErrors[kind.rawValue] > 0 else {
            return "no connection could be had within --timeout"
        }
        let first = result.firstConnectErrorNanos[kind.rawValue]
        let when = first == 0 ? "" : " from \(Wording.sinceOrigin(first, origin: result.originNanos)) on"
        if kind.isTLS, let message = result.tls.firstFailure { return "TLS handshakes failed\(when) (\(kind.name)): \(message)" }
        let what: String
        switch kind {
        case .refused: what = "the server refused connections"
        case .connectTimeout: what = "connection attempts timed out"
        case .reset: what = "connections were reset"
        case .closed: what = "the server closed connections"
        case .unreachable: what = "no route to the server"
        case .tlsUnknownCA, .tlsNameMismatch, .tlsExpired: what = "TLS handshakes failed verifying the certificate (\(kind.name))"
        case .tlsNotTLS: what = "the server did not speak TLS"
        case .tlsAlert, .tlsClosed, .tlsALPN, .tlsOther: what = "TLS handshakes failed (\(kind.name))"
        default: what = "connection attempts failed (\(kind.name))"
        }
        return what + when
    }

    /// "2,000 of 6,000 sent queries failed (33.3%): 2,000 refused from 0.00 s on (the server refused them)" when
    /// errors + timeouts > 1% of sent.
    static func failureWarning(_ header: ReportHeader, _ result: RunResult) -> String? {
        let c = result.counters
        let failed = c.errors + c.timeouts
        guard c.sent > 0, Double(failed) * 100 > Double(c.sent) else { return nil }
        let kind = ErrorKind.allCases.max { c.errorCount($0) < c.errorCount($1) }!
        let timeoutsLead = c.timeouts >= c.errorCount(kind)
        let count = timeoutsLead ? c.timeouts : c.errorCount(kind)
        let first = timeoutsLead ? c.firstTimeoutNanos : c.firstErrorNanos[kind.rawValue]
        let when = first == 0 ? "" : " from \(Wording.sinceOrigin(first, origin: result.originNanos)) on"
        let what = timeoutsLead
            ? "\(Wording.group(count)) timed out\(when) (no answer within \(TextReport.duration(Double(header.timeoutNanos))))"
            : "\(Wording.group(count)) \(kind.name)\(when) (\(errorCause(kind)))"
        let rest = failed - min(failed, count)
        let tlsMessage = !timeoutsLead && kind.isTLS ? result.tls.firstFailure.map { " — " + $0 } ?? "" : ""
        let others = rest == 0 ? "" : "; \(Wording.group(rest)) more failed otherwise"
        return "\(Wording.group(failed)) of \(Wording.count(c.sent, "sent " + header.eventNounSingular, "sent " + header.eventNoun)) failed (\(Wording.percent(failed, of: c.sent))): \(what)\(others)\(tlsMessage)"
    }

    static func errorCause(_ kind: ErrorKind) -> String {
        switch kind {
        case .refused: "the server refused them"
        case .reset: "connections were reset"
        case .closed: "the server closed connections before answering"
        case .connectTimeout: "no connection could be made in time"
        case .sendFailed: "sending failed"
        case .streamReset: "the server reset the streams"
        case .badResponse: "answers could not be parsed"
        case .headerTooLarge: "answer headers were too large"
        case .idMismatch: "answers did not match their queries"
        case .unreachable: "no route to the destination; nothing left the host"
        case .other: "local failures"
        case .tlsUnknownCA, .tlsNameMismatch, .tlsExpired: "the server's certificate did not verify"
        case .tlsNotTLS: "the server did not speak TLS"
        case .tlsAlert: "the server sent a TLS alert"
        case .tlsClosed: "the server closed connections during the TLS handshake"
        case .tlsALPN: "the server chose another protocol by ALPN"
        case .tlsOther: "TLS failed"
        }
    }
}
