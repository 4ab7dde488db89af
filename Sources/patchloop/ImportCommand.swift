import ArgumentParser
import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTasks

struct ImportTasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a benchmark as task folders (SWE-bench JSON/JSONL, HumanEval, MBPP).",
        subcommands: [ImportSWEbench.self, ImportHumanEval.self, ImportMBPP.self])
}

/// Options every importer shares.
struct ImportOutputOptions: ParsableArguments {
    @Option(name: .customLong("out"), help: "The folder to write one task folder per instance into.")
    var output: String

    @Flag(help: "Replace task folders that already exist.")
    var overwrite = false

    func write(_ tasks: [ImportedTask], kind: String) throws -> Int32 {
        let written = try TaskWriter.write(tasks, to: output, overwrite: overwrite)
        printError("imported \(written.count) \(kind) task\(written.count == 1 ? "" : "s") into \(output)")
        return 0
    }
}

struct ImportSWEbench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swebench",
        abstract: "Import SWE-bench instances (Lite, Verified, full, SWE-Gym/SWE-smith look-alikes) from .json or .jsonl.",
        discussion: """
            Each task points at the clone REPOS/owner__name and checks out base_commit; task.json keeps the \
            dataset's fields as they are and adds repo_path, test_cmd (SWE-bench's command for the repository \
            plus the test files test_patch touches) and log_parser. The tests run on this machine, so the \
            clone's dependencies must be installed where the test command finds them.
            """)

    @Argument(help: "A SWE-bench .json (list, or dict keyed by instance id) or .jsonl file.")
    var file: String

    @Option(help: "The folder of git clones, one per repository, named owner__name (e.g. django__django).")
    var repos: String

    @Option(help: "Use this test command instead of SWE-bench's for every instance (directives are still appended).")
    var testCmd: String?

    @Option(help: "Use this log parser for every instance (\(TestLogParsers.names.joined(separator: ", "))).")
    var logParser: String?

    @Option(help: "Seconds one test run may take.")
    var timeout: Double = 1800

    @Option(
        name: .customLong("environments"),
        help: "The environment each task gets: venv (SWE-bench's install spec as a cached venv where it translates, else SWE-bench's image for its own repositories), swebench (SWE-bench's prebuilt images), none.")
    var environments: RepositoryEnvironmentSpecs.Kind = .venv

    @Option(help: "`swebench`: give every task SWE-bench's prebuilt image (the same as --environments swebench).")
    var images: String?

    @OptionGroup var output: ImportOutputOptions

    func validate() throws {
        try OptionRange.seconds(timeout, "--timeout")
        if let images, images != "swebench" { throw CLIError("--images takes `swebench` (SWE-bench's prebuilt images), not '\(images)'") }
    }

    func run() async throws {
        try await reportingErrors {
            let importer = SWEbenchImporter(
                repositoriesDirectory: repos, testCommandOverride: testCmd, logParserOverride: logParser, timeout: timeout,
                environments: images == nil ? environments : .swebenchImages)
            let tasks = try importer.importTasks(from: file)
            let missing = Set(tasks.compactMap { $0.document["repo_path"]?.stringValue }).filter { !FileManager.default.fileExists(atPath: $0) }
            for clone in missing.sorted() {
                printError("warning: \(clone) does not exist yet: clone the repository there before running its tasks")
            }
            return try output.write(tasks, kind: "SWE-bench")
        }
    }
}

struct ImportHumanEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "humaneval",
        abstract: "Import HumanEval (HumanEval.jsonl or .jsonl.gz): the stub as the repository, the test as test.patch, the canonical solution as gold.patch.")

    @Argument(help: "HumanEval.jsonl.gz (or .jsonl).")
    var file: String

    @OptionGroup var interpreter: PythonOption

    @OptionGroup var output: ImportOutputOptions

    func run() async throws {
        try await reportingErrors {
            try output.write(try await FunctionTaskImporter.humanEval(from: file, python: interpreter.python), kind: "HumanEval")
        }
    }
}

struct ImportMBPP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mbpp",
        abstract: "Import MBPP (mbpp.jsonl, or sanitized-mbpp.json): a stub with the function's signature, the asserts as test.patch, the reference code as gold.patch.")

    @Argument(help: "mbpp.jsonl or sanitized-mbpp.json.")
    var file: String

    @OptionGroup var interpreter: PythonOption

    @OptionGroup var output: ImportOutputOptions

    func run() async throws {
        try await reportingErrors {
            try output.write(try await FunctionTaskImporter.mbpp(from: file, python: interpreter.python), kind: "MBPP")
        }
    }
}

/// The interpreter function-level tasks run their tests with.
struct PythonOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The Python interpreter the tasks' test command calls.",
        discussion: "An absolute path skips version-manager shims: pyenv's python3 shim costs about 0.4 s a start, five times the interpreter."))
    var python: String = "python3"
}

extension RepositoryEnvironmentSpecs.Kind: ExpressibleByArgument {}
