extension Reports {
    /// Renders and returns what goes to stdout; writes the stderr part itself.
    static func render(_ header: ReportHeader, _ result: RunResult, output: RunConfig.Output,
                       codeNames: (Int) -> String) -> String {
        let rendered = make(header, result, json: output.json, spectrum: output.latencySpectrum, codeNames: codeNames)
        if !rendered.stderr.isEmpty { Console.error(rendered.stderr) }
        return rendered.stdout
    }
}

extension Reports {
    /// The report goes to stdout, or to stderr when stdout carries the event log (`--events -`).
    static func emit(_ text: String, output: RunConfig.Output) {
        if output.eventsOnStdout {
            Console.error(text)
        } else {
            print(text, terminator: "")
        }
    }
}
