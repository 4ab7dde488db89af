import Foundation
import PatchloopReport
import PatchloopTesting
import Testing

/// The size and speed figures of issue 15: a run of 300 attempts × 50 steps. Run with
/// `PATCHLOOP_REPORT_BENCHMARK=1 swift test --filter ReportSizeBenchmark`; it prints the
/// figures and checks only the size (timings depend on the machine).
@Suite("report size and speed for 300 attempts × 50 steps")
struct ReportSizeBenchmark {
    @Test("300 × 50: under 10 MB; prints generation time and the browser's render times",
        .enabled(if: ProcessInfo.processInfo.environment["PATCHLOOP_REPORT_BENCHMARK"] != nil))
    func largeRun() async throws {
        let directory = try TemporaryDirectory(prefix: "patchloop-report-benchmark")
        defer { directory.remove() }
        let run = directory.path + "/run"
        try SyntheticRun.write(to: run, attempts: 300, steps: 50, tasks: 100)
        let trajectoryBytes = try FileManager.default.contentsOfDirectory(atPath: run + "/trajectories").reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: run + "/trajectories/" + name)[.size] as? Int) ?? 0)
        }
        let figures = try await RunReport(runDirectories: [run]).write(to: directory.path + "/report.html")
        print(String(format: "report: %d attempts, trajectories %.1f MB → report %.2f MB, generated in %.2f s",
            figures.attempts, Double(trajectoryBytes) / 1e6, Double(figures.bytes) / 1e6, figures.seconds))
        #expect(figures.bytes < 10_000_000)

        for fragment in ["", "attempts?category=test_failure&sort=tokens&dir=desc", "synthetic__task-0042/2/37"] {
            let dom = DOM(html: try await Chromium.dumpDOM(figures.path, fragment: fragment))
            let body = dom.first(with: "data-render-ms")
            let table = dom.first(with: "id", equalTo: "attempts-table")
            print("browser #\(fragment): first render at \(body?["data-render-ms"] ?? "?") ms after navigation start (script \(body?["data-script-ms"] ?? "?") ms)"
                + (table.map { "; table filtered and sorted in \($0["data-render-ms"] ?? "?") ms" } ?? ""))
            #expect(body?["data-view"] != nil)
        }
    }
}
