import Foundation
import PatchloopCore
import PatchloopEval
@testable import PatchloopReport
import PatchloopTesting
import Testing

@Suite("patchloop report: files, errors, size")
struct ReportTests {
    @Test("a run's text cannot end the data block: every < in the embedded JSON is \\u003c")
    func dataBlockIsScriptSafe() throws {
        let json = JSONValue.object(["text": .string("</script><script>alert(1)</script><!-- x")]).encoded()
        let safe = ReportRenderer.scriptSafe(json)
        #expect(!safe.contains("<"))
        #expect(try JSONValue.parse(safe) == JSONValue.parse(json))
    }

    @Test("a folder that is not a run directory is refused with a sentence and exit code 2")
    func notARun() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try await ReportFixtures.run(["report", directory.path])
        #expect(outcome.exitCode == 2)
        #expect(outcome.text.contains("\(directory.path) is not a run directory: it has no config.json"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/report.html"))
    }

    @Test("a run under way (its lock held) is refused, not read while it is written")
    func lockedRun() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try SyntheticRun.write(to: directory.path + "/run", attempts: 2, steps: 2)
        let lock = try await RunDirectoryLock.acquire(directory: directory.path + "/run")
        defer { lock.release() }
        await #expect(throws: ReportError.self) { try await RunReport(runDirectories: [directory.path + "/run"]).render() }
    }

    @Test("a run without summary.json (still under way, or killed) is reported from its results; a flywheel folder from its run/")
    func summaryComputedAndFlywheelFolder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try SyntheticRun.write(to: directory.path + "/run", attempts: 16, steps: 3, tasks: 8)
        let figures = try await RunReport(runDirectories: [directory.path]).write(to: RunReport.defaultOutput(for: [directory.path]))
        #expect(figures.path == directory.path + "/report.html")
        #expect(figures.attempts == 16 && figures.runs == 1)
        let html = try String(contentsOfFile: figures.path, encoding: .utf8)
        let data = try #require(html.firstMatch(of: #/<script type="application/json" id="report-data">(.*?)</script>/#.dotMatchesNewlines()))
        let document = try JSONValue.parse(String(data.1))
        let summary = document["runs"]?.arrayValue?.first?["summary"]
        #expect(summary?["total_instances"] == 8)
        #expect(summary?["pass_at_k"]?["2"] != nil)
        #expect(document["attempts"]?.arrayValue?.count == 16)
    }
}
