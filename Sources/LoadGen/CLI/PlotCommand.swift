import ArgumentParser
import Foundation
import Glibc

/// `loadgen plot FILE... -o OUT.svg`: an SVG of JSON reports (percentile spectrum) or interval logs (over time).
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw loadgen results as SVG: the percentile spectrum of --json reports, or latency and rate over time from --hlog logs.",
        discussion: """
        JSON reports: response time (solid) and service time (dashed) of each \
        run by percentile, the x axis 1/(1-p) on a log scale as HdrHistogram's \
        plotter draws it, so p99.9 and p99.99 get the room they need; for shaped \
        runs (--steps, --ramp) also the step table: requested and achieved rate \
        and response time p50 and p99 per step window. Interval \
        logs: p50, p99 and max of each second's response time, and answers per \
        second. Plain SVG written by loadgen; the plotted values are also in \
        each line's data-points attribute.

          loadgen plot before.json after.json -o spectrum.svg
          loadgen plot run.hlog -o over-time.svg
        """
    )

    @Argument(help: ArgumentHelp("loadgen --json reports, or --hlog interval logs (not both).", valueName: "FILE"))
    var files: [String] = []

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Where to write the SVG; - for stdout.", valueName: "OUT.svg"))
    var output: String

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("plot needs at least one file: loadgen plot run.json -o run.svg") }
        guard !files.contains("-") else { throw ValidationError("plot reads files, not stdin: save the report first") }
    }

    func run() throws {
        let svg: String
        do throws(JSONInput.Failure) {
            switch try MergeCommand.load(files) {
            case .logs(let logs):
                svg = SVGChart.document(Plots.timeCharts(logs.map { (PlotCommand.label($0.file), $0.log) }))
            case .reports(let reports):
                var runs: [(name: String, header: ReportHeader, result: RunResult)] = []
                for (file, inputs) in reports {
                    let (header, result) = try ReportMerge.merge(inputs)
                    runs.append((PlotCommand.label(file), header, result))
                }
                svg = SVGChart.document([Plots.spectrumChart(runs.map { ($0.name, $0.result) })] + Plots.stepCharts(runs))
            }
        } catch {
            Console.error("loadgen plot: \(error.description)\n")
            Glibc.exit(2)
        }
        if output == "-" {
            print(svg, terminator: "")
            return
        }
        do {
            try svg.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            Console.error("loadgen plot: -o \(output): cannot write: \(error.localizedDescription)\n")
            Glibc.exit(1)
        }
    }

    /// The file name without directory and extension.
    static func label(_ path: String) -> String {
        let base = (path as NSString).lastPathComponent
        return (base as NSString).deletingPathExtension
    }
}
