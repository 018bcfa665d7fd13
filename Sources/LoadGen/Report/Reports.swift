/// Picks the report the output options ask for: text (plus the spectrum with `--latency`) or one JSON document
/// (the spectrum then goes to stderr, keeping stdout one document).
enum Reports {
    struct Rendered {
        var stdout: String
        var stderr: String
    }

    static func make(_ header: ReportHeader, _ result: RunResult, json: Bool, spectrum: Bool,
                     codeNames: (Int) -> String) -> Rendered {
        let spectra = spectrum
            ? SpectrumReport.make(title: header.requestedRate != nil ? "Response time (from intended send time)"
                                      : "Response time (closed loop: from when each event was issued)", result.responseTime) + "\n"
                + SpectrumReport.make(title: "Service time (from actual send)", result.serviceTime)
            : ""
        if json {
            return Rendered(stdout: JSONReport.make(header, result, codeNames: codeNames).serialized() + "\n",
                            stderr: spectra)
        }
        let text = TextReport.make(header, result, codeNames: codeNames)
        return Rendered(stdout: spectrum ? text + "\n" + spectra : text, stderr: "")
    }
}
