import ArgumentParser
import Foundation
import PatchloopCore
import PatchloopReport

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "One self-contained HTML page per run: the overview, every attempt in a table, every trajectory.",
        discussion: """
            The page needs no network and no server: open it from disk, or mail it. With several run directories it \
            compares them task by task. Links into it name an attempt's step: report.html#<instance>/<attempt>/<step>. \
            eval, score and flywheel write one at the end of a run (RUN_DIR/report.html).
            """)

    @Argument(help: "Run directories (of eval or score, or a flywheel's output folder).")
    var runDirectories: [String]

    @Option(help: "Where the page goes (default: RUN_DIR/report.html for one run, ./report.html for several).")
    var out: String?

    @Flag(help: "Open the page in the default browser (xdg-open or open).")
    var open = false

    func run() async throws {
        try await reportingErrors {
            let figures: RunReport.Figures
            do {
                figures = try await RunReport(runDirectories: runDirectories).write(to: out ?? RunReport.defaultOutput(for: runDirectories))
            } catch let error as ReportError {
                throw CLIError(error.description)
            }
            printError(
                "\(figures.attempts) attempt\(figures.attempts == 1 ? "" : "s") of \(figures.runs) run\(figures.runs == 1 ? "" : "s") · "
                    + String(format: "%.1f MB · %.2f s", Double(figures.bytes) / 1_000_000, figures.seconds))
            print(figures.path)
            if open { ReportCommand.openInBrowser(figures.path) }
            return 0
        }
    }

    /// Hands the page to the desktop's opener; says where it is when there is none.
    static func openInBrowser(_ path: String) {
        let url = URL(fileURLWithPath: path).absoluteString
        for opener in ["/usr/bin/xdg-open", "/usr/bin/open"] where FileManager.default.isExecutableFile(atPath: opener) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: opener)
            process.arguments = [url]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            if (try? process.run()) != nil { return }
        }
        printError("no browser opener (xdg-open or open) found: open \(url) in a browser")
    }

    /// Writes `report.html` for a run that just ended; a failure is reported, not fatal
    /// (the run's own files are what matters).
    static func writeAfterRun(_ runDirectory: String, to path: String? = nil) async {
        do {
            let figures = try await RunReport(runDirectories: [runDirectory]).write(to: path ?? RunReport.defaultOutput(for: [runDirectory]))
            print("report: \(figures.path)")
        } catch {
            printError("could not write the run's report.html: \(ErrorText.sentence(for: error))")
        }
    }
}
