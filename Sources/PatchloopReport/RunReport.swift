import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopModels
import Synchronization

/// One self-contained HTML page that shows one or more run directories: the overview
/// (resolve rate, pass@k, tokens, cost, time, the failure taxonomy, distributions, the runs
/// side by side per task), a sortable and filterable table of every attempt, and each
/// attempt's trajectory, reachable by links of the form `report.html#<instance>/<attempt>/<step>`.
///
/// The page needs no network and no server: its data is embedded — the overview as JSON,
/// each attempt's detail (trajectory, patch, test verdicts) as zlib-compressed JSON that
/// the page inflates when the attempt is opened — and it is drawn by an inline script that
/// puts text from runs only into text nodes.
///
/// ```swift
/// let figures = try await RunReport(runDirectories: ["runs/a", "runs/b"]).write(to: "compare.html")
/// ```
public struct RunReport: Sendable {
    public var runDirectories: [String]

    public init(runDirectories: [String]) {
        self.runDirectories = runDirectories
    }

    /// What a written report holds, and what it took to make.
    public struct Figures: Sendable {
        public var path: String
        public var runs: Int
        public var attempts: Int
        public var bytes: Int
        /// Seconds spent reading the runs and writing the page.
        public var seconds: Double
    }

    /// Where a report goes when no `--out` is given: `report.html` in the run directory for
    /// one run (in a flywheel's output folder, beside its `run/`), in the current folder for several.
    public static func defaultOutput(for runDirectories: [String]) -> String {
        guard runDirectories.count == 1, let directory = runDirectories.first else { return "report.html" }
        return RunDirectory(directory).path + "/report.html"
    }

    /// Reads the runs and writes the page to `path` (by way of a temporary file and a rename).
    @discardableResult
    public func write(to path: String) async throws -> Figures {
        let started = Date()
        let (html, runs, attempts) = try await render()
        do {
            try RunFileWriter.writeAtomically(html, to: path)
        } catch {
            throw ReportError("cannot write the report to \(path): \(ErrorText.sentence(for: error))")
        }
        return Figures(
            path: URL(fileURLWithPath: path).standardizedFileURL.path, runs: runs, attempts: attempts, bytes: html.utf8.count,
            seconds: Date().timeIntervalSince(started))
    }

    /// The page, with how many runs and attempts it shows.
    public func render() async throws -> (html: String, runs: Int, attempts: Int) {
        guard !runDirectories.isEmpty else { throw ReportError("name at least one run directory (runs/<run-id>)") }
        var runs: [ReportRun] = []
        for directory in runDirectories {
            runs.append(try await ReportRun.load(directory))
        }
        // Two runs of one id (a run and its copy) are told apart by their place.
        var seen: [String: Int] = [:]
        for index in runs.indices {
            seen[runs[index].label, default: 0] += 1
            if seen[runs[index].label, default: 0] > 1 { runs[index].label += " (\(index + 1))" }
        }
        let attempts = runs.enumerated().flatMap { index, run in run.attempts.map { (run: index, attempt: $0) } }
        let blobs = try ReportRenderer.compressedDetails(attempts.map(\.attempt))
        let html = ReportRenderer.page(runs: runs, attempts: attempts, blobs: blobs)
        return (html, runs.count, attempts.count)
    }
}

/// Turns loaded runs into the page's text.
enum ReportRenderer {
    /// The data block that the overview and the table are drawn from.
    static func overview(runs: [ReportRun], attempts: [(run: Int, attempt: ReportAttempt)]) -> JSONValue {
        let runList: [JSONValue] = runs.map { run in
            var summary = run.summary.objectValue ?? [:]
            // The page needs the counts, not the id lists (which can be long): only the incomplete ones are listed.
            for key in ["per_instance", "completed_ids", "empty_patch_ids", "submitted_ids", "resolved_ids", "unresolved_ids", "error_ids"] {
                summary[key] = nil
            }
            return [
                "label": .string(run.label), "path": .string(run.path), "kind": .string(run.kind), "model": .string(run.model),
                "attempts_per_instance": .number(Double(run.attemptsPerInstance)),
                "instance_ids": .array(run.instanceIDs.map { .string($0) }), "summary": .object(summary),
            ]
        }
        let attemptList: [JSONValue] = attempts.enumerated().map { index, entry in
            let attempt = entry.attempt
            return [
                "run": .number(Double(entry.run)), "id": .string(attempt.instanceID), "n": .number(Double(attempt.attempt)),
                "model": .string(attempt.model), "resolved": .bool(attempt.resolved), "graded": .bool(attempt.graded),
                "category": .string(attempt.category), "evidence": .string(attempt.evidence),
                "exit": attempt.exitStatus.map { .string($0) } ?? .null, "steps": .number(Double(attempt.steps)),
                "tokens": .number(Double(attempt.usage.totalTokens)), "input": .number(Double(attempt.usage.inputTokens)),
                "output": .number(Double(attempt.usage.outputTokens)), "cached": .number(Double(attempt.usage.cachedInputTokens)),
                "cost": attempt.cost.map { .number($0) } ?? .null, "duration": .number(attempt.duration),
                "blob": .string("attempt-\(index)"),
            ]
        }
        return [
            "patchloop_version": .string(PatchloopReportVersion.current), "runs": .array(runList), "attempts": .array(attemptList),
        ]
    }

    /// Each attempt's detail as base64 of zlib-compressed JSON, made on every core.
    static func compressedDetails(_ attempts: [ReportAttempt]) throws -> [String] {
        let results = Mutex([Result<String, any Error>?](repeating: nil, count: attempts.count))
        DispatchQueue.concurrentPerform(iterations: attempts.count) { index in
            let result = Result<String, any Error> {
                Data(try Deflate.compress(AttemptDetail.json(for: attempts[index]))).base64EncodedString()
            }
            results.withLock { $0[index] = result }
        }
        return try results.withLock { $0 }.map { try ($0 ?? .failure(ReportError("an attempt's detail was not made"))).get() }
    }

    static func page(runs: [ReportRun], attempts: [(run: Int, attempt: ReportAttempt)], blobs: [String]) -> String {
        let nonce = Data((0..<18).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let title = "Patchloop report · " + runs.map { "\($0.label) (\($0.model))" }.joined(separator: " vs ")
        var html = ReportPage.opening(title: title, nonce: nonce)
        html.reserveCapacity(blobs.reduce(html.utf8.count + 200_000) { $0 + $1.utf8.count + 80 })
        html += "<script type=\"application/json\" id=\"report-data\">"
        html += scriptSafe(overview(runs: runs, attempts: attempts).encoded())
        html += "</script>\n"
        for (index, blob) in blobs.enumerated() {
            // Base64 holds no `<` or `&`: nothing in it can end the element.
            html += "<script type=\"application/x-patchloop-attempt\" id=\"attempt-\(index)\">\(blob)</script>\n"
        }
        html += ReportPage.closing(nonce: nonce)
        return html
    }

    /// JSON that can stand inside a `<script>` element: every `<` written as `\u003c`, so
    /// no `</script>` or `<!--` in a run's text can end the element or change how it parses.
    static func scriptSafe(_ json: String) -> String {
        json.replacingOccurrences(of: "<", with: "\\u003c")
    }
}

/// The version of the report's page and data (written into the data block).
enum PatchloopReportVersion {
    static let current = "1"
}
