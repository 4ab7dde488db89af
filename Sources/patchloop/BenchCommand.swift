import ArgumentParser
import Foundation
import PatchloopEval
import PatchloopTesting

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the loop's per-step overhead and sandbox creation time; prints numbers.",
        discussion: "Targets: under 1 ms median per step, flat from 10 to 300 steps; under 300 ms to make a sandbox of 5,000 files.")

    @Option(help: "Run lengths for the loop benchmark.")
    var steps: [Int] = [10, 100, 300]

    @Option(help: "Repository sizes (files) for the sandbox benchmark.")
    var files: [Int] = [1000, 2000, 5000]

    @Option(help: "Sandboxes made per repository size.")
    var repetitions: Int = 5

    @Flag(help: "Also measure the model adapters and the HTTP layer against a fake provider on 127.0.0.1.")
    var models = false

    @Flag(help: "Also measure input tokens with elision and compaction against a linear history (30 and 150 steps).")
    var context = false

    func run() async throws {
        try await reportingErrors {
            let work = NSTemporaryDirectory() + "patchloop-bench-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: work) }
            print("loop: scripted model, every step read_file of a small file, trajectory written per step")
            for (count, summary) in try await Benchmarks.loopSteps(stepCounts: steps, workDirectory: work) {
                print(String(format: "  %4d steps: median %.3f ms/step, p90 %.3f ms", count, summary.median, summary.p90))
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
            if context {
                print("context: Anthropic stand-in on 127.0.0.1")
                print(try await ContextBenchmark.run().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
            return 0
        }
    }
}
