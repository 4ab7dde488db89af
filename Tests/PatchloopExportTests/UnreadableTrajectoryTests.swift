import Foundation
import PatchloopExport
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("export leaves out a trajectory it cannot read")
struct UnreadableTrajectoryTests {
    @Test("an empty, a torn and an unreadable trajectory are skipped with a warning; the rest are exported")
    func skipsUnreadable() async throws {
        let fixture = try await ExportFixture()
        defer { fixture.directory.remove() }
        let trajectories = fixture.runDirectory + "/trajectories"
        try "".write(toFile: trajectories + "/empty.jsonl", atomically: true, encoding: .utf8)
        try "{\"type\": \"head".write(toFile: trajectories + "/torn.jsonl", atomically: true, encoding: .utf8)
        // A folder where a file should be: reading it fails.
        try FileManager.default.createDirectory(atPath: trajectories + "/unreadable.jsonl", withIntermediateDirectories: true)

        let result = try fixture.export(ExportOptions(format: .openai))
        #expect(result.attemptsRead == 3)
        #expect(result.rows.count == 3)
        #expect(result.warnings.count == 3, "\(result.warnings)")
        for name in ["empty.jsonl", "torn.jsonl", "unreadable.jsonl"] {
            #expect(result.warnings.contains { $0.contains(trajectories + "/" + name) }, "\(name): \(result.warnings)")
        }
        #expect(result.skipped["unreadable trajectory"] == 3)

        // The command line: exit 0, the rows written, one warning line per skipped file.
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        let out = fixture.directory.path + "/sft.jsonl"
        let outcome = try await ProcessRunner().run(
            ProcessSpec(executable: executable, arguments: ["export", fixture.runDirectory, "--format", "openai", "--out", out], timeout: 120))
        #expect(outcome.exitCode == 0, "\(outcome.standardError.text)")
        #expect(outcome.standardError.text.components(separatedBy: "warning: skipped a trajectory:").count - 1 == 3, "\(outcome.standardError.text)")
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 3)
    }

    @Test("when no trajectory can be read the export fails, naming one")
    func failsWhenNothingReadable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(["run/trajectories/a.jsonl": ""])
        let error = #expect(throws: ExportError.self) { try Exporter(options: ExportOptions(format: .openai)).export(paths: [directory.path + "/run"]) }
        #expect(error?.description.contains("a.jsonl") == true, "\(error?.description ?? "")")
    }
}
