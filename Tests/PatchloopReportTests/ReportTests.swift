import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopModels
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

    @Test("the output of `patchloop run` (its record in results/ too) is reported like an evaluation's")
    func singleRunOutput() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tasks = try ReportFixtures.writeTasks(in: directory)
        let output = directory.path + "/one"
        _ = try await ReportFixtures.run([
            "run", tasks + "/report__wrong-1", "--model", "scripted:gold", "--output", output, "--sandboxes", directory.path + "/Sandboxes",
        ])
        let (html, runs, attempts) = try await RunReport(runDirectories: [output]).render()
        #expect(runs == 1 && attempts == 1)
        #expect(html.contains("report__wrong-1"))
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

@Suite("reading trajectory lines without decoding them")
struct TrajectoryScanTests {
    func type(_ line: String) -> String? {
        Array(line.utf8).withUnsafeBufferPointer { TrajectoryScan.type(of: $0) }
    }

    @Test("the top-level type, not a nested one; strings with escaped quotes and braces are skipped whole")
    func topLevelType() {
        #expect(type(#"{"assistant":{"tool_calls":[{"type":"function"}]},"type":"step","usage":{}}"#) == "step")
        #expect(type(#"{"output":"a \"type\": \"x\" {[ \\","type":"compaction"}"#) == "compaction")
        #expect(type(#"{"kind":"type","n":1}"#) == "")
        #expect(type(#"  {"type":"header"}"#) == "header")
    }

    @Test("a line cut off by a crash, or not an object, is unreadable")
    func tornLines() {
        #expect(type(#"{"type":"step","assistant":{"content":"hal"#) == nil)
        #expect(type(#"{"type":"step","observations":[{"output":"x"}"#) == nil)
        #expect(type(#"["type","step"]"#) == nil)
        #expect(type("") == nil)
    }

    @Test("an attempt's detail is valid JSON holding the step lines as written, and notes torn lines")
    func detailJSON() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/t.jsonl"
        let lines = [
            #"{"type":"header","task":{"problem_statement":"Fix </script> <b>it</b>"},"settings":{"budget":{"max_steps":3}}}"#,
            #"{"type":"step","step":1,"assistant":{"content":"hi","tool_calls":[]},"observations":[]}"#,
            #"{"type":"compaction","step":1,"compacted_steps":1}"#,
            #"{"type":"step","step":2,"assistant":{"content":"cut of"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let attempt = ReportAttempt(
            instanceID: "x", attempt: 1, model: "m", resolved: false, graded: false, resolution: nil, category: "stuck", evidence: "e",
            exitStatus: nil, detail: "d", steps: 2, usage: .init(), cost: nil, duration: 1, startedAt: Date(), patch: "", testsStatus: nil,
            trajectoryPath: path)
        let detail = try JSONValue.parse(Data(AttemptDetail.json(for: attempt)))
        #expect(detail["events"]?.arrayValue?.map { $0["type"]?.stringValue } == ["step", "compaction"])
        #expect(detail["events"]?.arrayValue?.first == (try JSONValue.parse(lines[1])))
        #expect(detail["statement"] == "Fix </script> <b>it</b>")
        #expect(detail["unreadable_lines"] == [4])
        #expect(detail["trajectory_note"] == "the trajectory has no result line: the attempt was cut short")
    }
}

@Suite("report.html at the end of score and flywheel")
struct RunEndReportTests {
    @Test("score and flywheel write report.html too, and say where")
    func scoreAndFlywheel() async throws {
        let directory = try TemporaryDirectory(prefix: "patchloop-report-end")
        defer { directory.remove() }
        let tasks = try ReportFixtures.writeTasks(in: directory)
        let sandboxes = directory.path + "/Sandboxes"
        let scored = directory.path + "/scored"
        let score = try await ReportFixtures.patchloop(["score", "gold", "--tasks", tasks, "--output", scored, "--sandboxes", sandboxes, "--no-sandbox"])
        #expect(score.contains("report: \(scored)/report.html"))
        let scoredPage = try String(contentsOfFile: scored + "/report.html", encoding: .utf8)
        #expect(scoredPage.contains(#""kind":"score""#))

        let wheel = directory.path + "/wheel"
        let flywheel = try await ReportFixtures.patchloop([
            "flywheel", tasks, "--model", "scripted:gold", "--attempts", "1", "--workers", "2", "--output", wheel, "--sandboxes", sandboxes, "--no-sandbox",
        ])
        #expect(flywheel.contains("report: \(wheel)/report.html"))
        #expect(FileManager.default.fileExists(atPath: wheel + "/report.html"))
    }
}
