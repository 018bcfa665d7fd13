extension Reports {
    /// Renders and returns what goes to stdout; writes the stderr part itself.
    static func render(_ header: ReportHeader, _ result: RunResult, output: RunConfig.Output,
                       codeNames: (Int) -> String) -> String {
        let rendered = make(header, result, json: output.json, spectrum: output.latencySpectrum, codeNames: codeNames)
        if !rendered.stderr.isEmpty { Console.error(rendered.stderr) }
        return rendered.stdout
    }
}
