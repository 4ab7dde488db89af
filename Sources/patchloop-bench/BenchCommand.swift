import ArgumentParser
import Foundation
import PatchloopBenchmarks
import PatchloopCore
import PatchloopTasks

/// `patchloop-bench`: the measurements issues name targets for. A separate executable, so
/// that the fake servers it measures against never ship inside `patchloop`.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patchloop-bench",
        abstract: "Measure the loop's per-step overhead and sandbox creation time; prints numbers.",
        discussion: """
            Targets: under 1 ms median per step, and flat: at 1,000 steps at most 0.5 ms and the last tenth of the steps \
            within 1.5× the first; under 300 ms to make a sandbox of 5,000 files; \
            under 2 s to build the repository map of a tree of over 5,000 files (--map DIR measures only that).
            """)

    @Option(help: "Measure only the repository map of this folder (a git work tree or any folder).")
    var map: String?

    @Option(help: "With --map: a file holding the issue text the map is ranked for (default: none).")
    var mapIssue: String?

    @Option(help: "With --map: the map's token budget.")
    var mapTokens: Int = 1024

    @Flag(help: "With --map: use the plain definition scanner, not universal-ctags.")
    var noCtags = false

    @Flag(help: "With --map: print the map itself too.")
    var showMap = false

    @Option(parsing: .upToNextOption, help: "Run lengths for the loop benchmark (several values: --steps 10 100 300 1000).")
    var steps: [Int] = [10, 100, 300, 1000]

    @Option(parsing: .upToNextOption, help: "Repository sizes (files) for the sandbox benchmark (several values: --files 1000 5000).")
    var files: [Int] = [1000, 2000, 5000]

    @Option(help: "Sandboxes made per repository size.")
    var repetitions: Int = 5

    @Flag(help: "Also measure the model adapters and the HTTP layer against a fake provider on 127.0.0.1.")
    var models = false

    @Flag(help: "Also measure input tokens with elision and compaction against a linear history (30 and 150 steps).")
    var context = false

    @Flag(help: "Also measure export throughput over 200 scripted attempts.")
    var export = false

    @Option(help: "Measure only what bubblewrap adds to one run_tests of this task folder (e.g. Tasks/patchloop__roman-1).")
    var sandboxCost: String?

    func validate() throws {
        func check(_ values: [Int], _ option: String, from minimum: Int = 1, to maximum: Int) throws {
            for value in values where value < minimum || value > maximum {
                throw ValidationError("\(option) \(value) is out of range: give a whole number from \(minimum) to \(maximum)")
            }
        }
        try check([mapTokens], "--map-tokens", from: 1, to: 10_000_000)
        try check(steps, "--steps", to: 1_000_000)
        try check(files, "--files", to: 10_000_000)
        try check([repetitions], "--repetitions", to: 10_000)
    }

    func run() async throws {
        do {
            if let map { return try await measureMap(map) }
            let work = NSTemporaryDirectory() + "patchloop-bench-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: work) }
            if let sandboxCost {
                let task = try TaskStore.loadTask(sandboxCost)
                print("sandbox cost: \(task.instanceID)'s test command (\(task.testCommand)), \(repetitions * 4) runs each, interleaved")
                let results = try await Benchmarks.sandboxCost(task: task, repetitions: repetitions * 4, workDirectory: work)
                for (name, summary) in results {
                    print("  " + name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "median %.1f ms, p90 %.1f ms", summary.median, summary.p90))
                }
                return
            }
            print("loop: scripted model, every step read_file of a small file, trajectory written per step")
            for (count, summary) in try await Benchmarks.loopSteps(stepCounts: steps, workDirectory: work) {
                print(
                    String(
                        format: "  %4d steps: median %.3f ms/step (first tenth %.3f, last tenth %.3f), p90 %.3f ms", count,
                        summary.overall.median, summary.firstTenth.median, summary.lastTenth.median, summary.overall.p90))
            }
            print("sandbox: git worktree of a repository with N files (\(repetitions) each)")
            for (count, create, remove) in try await Benchmarks.sandboxCreation(fileCounts: files, repetitions: repetitions, workDirectory: work) {
                print(String(format: "  %5d files: create median %.1f ms (p90 %.1f), remove median %.1f ms", count, create.median, create.p90, remove.median))
            }
            if models {
                print("models: adapters against a fake provider on 127.0.0.1")
                print(try await ModelBenchmark.run().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
                print("http: HTTPClient against a fake server on 127.0.0.1")
                print(try await HTTPBenchmark.run().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
            if export {
                print("export: trajectories per second")
                print(try await ExportBenchmark.run().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
            if context {
                print("context: Anthropic stand-in on 127.0.0.1")
                print(try await ContextBenchmark.run().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(ErrorText.sentence(for: error))\n".utf8))
            throw ExitCode(3)
        }
    }

    func measureMap(_ root: String) async throws {
        guard FileManager.default.fileExists(atPath: root) else { throw ValidationError("--map \(root): no such folder") }
        var issue = ""
        if let mapIssue {
            guard let text = try? String(contentsOfFile: mapIssue, encoding: .utf8) else { throw ValidationError("--map-issue \(mapIssue) cannot be read") }
            issue = text
        }
        let measured = try await Benchmarks.repositoryMap(
            root: root, issue: issue, tokenBudget: mapTokens, useCtags: !noCtags, repetitions: repetitions)
        if showMap { print(measured.text) }
        print(
            String(
                format: "repository map of %@: %d files, %d shown, %d tokens (budget %d), %@; build median %.0f ms, p90 %.0f ms over %d",
                root, measured.files, measured.shownFiles, measured.tokens, mapTokens, measured.usedCtags ? "universal-ctags" : "plain scanner",
                measured.seconds.median, measured.seconds.p90, measured.seconds.count))
    }
}
