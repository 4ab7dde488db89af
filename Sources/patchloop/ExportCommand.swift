import ArgumentParser
import Foundation
import PatchloopCore
import PatchloopExport

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export trajectories as fine-tuning data: openai, trl, sharegpt, dpo (preference pairs) or swe-agent (.traj files).",
        discussion: """
            Reads runs/<run-id>/trajectories/*.jsonl. Rows carry where they came from (run, task, attempt, model, the \
            scorer's verdict): inline as `metadata` for trl, sharegpt and dpo --dpo-format trl; for openai in a sidecar \
            FILE.meta.jsonl, line by line (or inline with --inline-metadata). Identical conversations are kept once.
            """)

    @Argument(help: "Run directories (or trajectory files).")
    var runs: [String]

    @Option(help: "openai, trl, sharegpt, dpo or swe-agent.")
    var format: String

    @Option(help: "Output file (a directory for swe-agent). Default: standard output.")
    var out: String?

    @Flag(help: "Keep only attempts the scorer marked resolved.")
    var resolvedOnly = false

    @Option(help: "Skip conversations estimated above this many tokens.")
    var maxTokens: Int?

    @Option(help: "A file of task ids to leave out (one per line, or a JSON list): keep evaluation tasks out of training data.")
    var excludeTasks: String?

    @Option(help: "openai only: which assistant messages to train on — all, successful (failed calls get weight 0) or final.")
    var trainOn: String = "all"

    @Option(help: "dpo only: openai (preferred_output / non_preferred_output) or trl (prompt / chosen / rejected).")
    var dpoFormat: String = "openai"

    @Flag(help: "openai only: put provenance in each row as `metadata` instead of a sidecar file.")
    var inlineMetadata = false

    func validate() throws {
        if let maxTokens { try OptionRange.count(maxTokens, "--max-tokens", to: OptionRange.maxTokens) }
    }

    func run() async throws {
        try await reportingErrors {
            guard let format = ExportFormat(rawValue: format) else {
                throw CLIError("--format must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")), not '\(self.format)'")
            }
            guard let trainOn = TrainingTarget(rawValue: trainOn) else { throw CLIError("--train-on must be all, successful or final") }
            guard let dpoFormat = ExportOptions.DPOFormat(rawValue: dpoFormat) else { throw CLIError("--dpo-format must be openai or trl") }
            if format == .sweAgent && out == nil { throw CLIError("--format swe-agent writes one .traj file per attempt: give --out DIRECTORY") }
            let options = ExportOptions(
                format: format, resolvedOnly: resolvedOnly, maxTokens: maxTokens, excludedTasks: try excludeTasks.map(ExcludedTasks.load) ?? [], trainOn: trainOn,
                dpoFormat: dpoFormat, inlineMetadata: inlineMetadata)
            let started = Date()
            let result = try Exporter(options: options).export(paths: runs)
            for warning in result.warnings { printError("warning: skipped a trajectory: \(warning)") }
            try ExportWriter.write(result, format: format, to: out, sidecar: format == .openai && !inlineMetadata)
            let elapsed = Date().timeIntervalSince(started)
            let count = format == .sweAgent ? result.files.count : result.rows.count
            var line = "exported \(count) \(format == .dpo ? "pairs" : "rows") from \(result.attemptsRead) attempts"
            line += String(format: " in %.2f s", elapsed)
            if !result.skipped.isEmpty {
                line += "; skipped: " + result.skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            }
            printError(line)
            return 0
        }
    }
}
