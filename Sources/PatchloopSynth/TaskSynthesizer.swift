import Foundation
import PatchloopCore
import PatchloopTasks
import PatchloopTools
import PatchloopWorkspace

/// Everything `patchloop tasks synth` was asked to do.
public struct SynthRequest: Sendable {
    /// The user's checkout (only read).
    public var repository: String
    /// The shell command that runs the whole suite, and the log parser that reads it.
    public var testCommand: String
    public var parserName: String
    /// Tasks to keep (tasks already written by an earlier run count).
    public var count: Int
    /// Where task folders, `synth.json` and the scratch repository (`.repos/`) go.
    public var outputDirectory: String
    public var workers: Int
    public var seed: UInt64
    /// `python`, `swift`, `c`.
    public var languages: [String]
    public var sandboxRoot: String
    public var isolation: CommandIsolation
    /// Seconds the baseline run may take; a candidate gets three times the baseline's time plus 30 s.
    public var testTimeout: Double
    public var maxPerFunction: Int
    public var maxPerFile: Int
    /// Combined tasks to add: each joins two kept bugs of one file into a multi-location fix.
    public var combined: Int

    public init(
        repository: String, testCommand: String, parserName: String, count: Int = 50, outputDirectory: String, workers: Int = 2,
        seed: UInt64 = 0, languages: [String] = ["python", "swift", "c"], sandboxRoot: String = "Sandboxes", isolation: CommandIsolation = .bubblewrap,
        testTimeout: Double = 900, maxPerFunction: Int = 3, maxPerFile: Int = 20, combined: Int = 0
    ) {
        self.repository = repository
        self.testCommand = testCommand
        self.parserName = parserName
        self.count = count
        self.outputDirectory = outputDirectory
        self.workers = workers
        self.seed = seed
        self.languages = languages
        self.sandboxRoot = sandboxRoot
        self.isolation = isolation
        self.testTimeout = testTimeout
        self.maxPerFunction = maxPerFunction
        self.maxPerFile = maxPerFile
        self.combined = combined
    }
}

/// Turns a repository with passing tests into verified SWE-bench-style tasks: a baseline
/// run twice at HEAD, procedural bug candidates, each validated by running the suite in
/// its own worktree of a scratch repository, and the ones that break a passing test
/// written as tasks whose base commit holds the bug.
public struct TaskSynthesizer: Sendable {
    public var request: SynthRequest
    /// Progress for a person (the CLI prints it on standard error).
    public var onProgress: (@Sendable (String) -> Void)?

    public init(request: SynthRequest, onProgress: (@Sendable (String) -> Void)? = nil) {
        self.request = request
        self.onProgress = onProgress
    }

    /// What validating one candidate found.
    enum Verdict: Sendable {
        case kept(failToPass: [String], passToPass: [String], log: String)
        case breaksNothing
        /// Nothing broke in the test files that import the changed module; the full suite did not run.
        case breaksNothingInCoveringTests
        case timedOut
        case doesNotBuild
        case doesNotApply(String)
    }

    public func run() async throws -> SynthSummary {
        let started = Date()
        guard let parser = TestLogParsers.named(request.parserName) else {
            throw SynthError(.usage, "unknown test log parser '\(request.parserName)'; known: \(TestLogParsers.names.joined(separator: ", "))")
        }
        let languages = Set(request.languages.map { $0.lowercased() })
        if let unknown = languages.subtracting(["python", "swift", "c"]).sorted().first {
            throw SynthError(.usage, "--languages: '\(unknown)' makes no bug candidates; known: python, swift, c")
        }
        let (root, head) = try await openCheckout()
        let name = String((root as NSString).lastPathComponent.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let output = URL(fileURLWithPath: request.outputDirectory).standardizedFileURL.path
        if TaskSynthesizer.isInside(output, root) {
            throw SynthError(.usage, "--out \(request.outputDirectory) lies inside \(root), which synthesis leaves untouched: choose a folder outside it")
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let scratch = try await SynthScratchRepository.prepare(at: output + "/.repos/\(name).git", from: root, head: head)
        var sandboxRoot = request.sandboxRoot
        if TaskSynthesizer.isInside(sandboxRoot, root) {
            sandboxRoot = output + "/.sandboxes"
            progress("\(request.sandboxRoot) lies inside the checkout, which synthesis leaves untouched: worktrees go to \(sandboxRoot)")
        }
        let sandboxes = SandboxManager(root: sandboxRoot)
        let group = "synth-\(UUID().uuidString.prefix(8).lowercased())"
        var summary = SynthSummary(repository: root, head: head, testCommand: request.testCommand, seed: request.seed)

        // Baseline: twice at HEAD; only tests that pass both times count, the rest that differ are flaky.
        let baselineSandbox = try await sandboxes.makeSandbox(from: scratch.base, group: group, name: "baseline")
        let suite = TaskTestSuite(
            command: request.testCommand, parser: parser, isolation: request.isolation, timeout: request.testTimeout, hiddenPaths: [output])
        let stable: Set<String>
        let candidates: [BugCandidate]
        let covering: CoveringTests
        let baselineSeconds: Double
        do {
            progress("baseline: running `\(request.testCommand)` twice at HEAD \(head.prefix(12))…")
            let first = try await suite.run(tests: [], in: baselineSandbox.path)
            let second = try await suite.run(tests: [], in: baselineSandbox.path)
            let firstPassed = Set(first.passed)
            let secondPassed = Set(second.passed)
            stable = firstPassed.intersection(secondPassed)
            summary.flakyTests = firstPassed.symmetricDifference(secondPassed).sorted()
            summary.baselinePassed = stable.count
            baselineSeconds = max(first.duration, second.duration)
            progress("baseline: \(stable.count) tests pass, \(Set(first.failed).union(second.failed).count) fail, \(summary.flakyTests.count) flaky (\(String(format: "%.1f", baselineSeconds)) s)")
            if stable.isEmpty || first.timedOut {
                let why = first.timedOut ? "timed out after \(Int(request.testTimeout)) s" : "no test passed at HEAD"
                throw SynthError(
                    .usage,
                    "the test suite of \(root) cannot be a baseline: `\(request.testCommand)` \(why) (exit \(first.exitCode.map(String.init) ?? "none")); give the right command with --test-cmd. The log ends:\n"
                        + String(first.output.suffix(2000)))
            }
            let tracked = try await Git().run(["--git-dir=\(scratch.gitDirectory)", "ls-tree", "-r", "--name-only", "-z", head], in: output)
                .split(separator: "\0").map(String.init)
            var found: [BugCandidate] = []
            if languages.contains("python") {
                let generated = try await PythonBugCandidates.candidates(
                    files: tracked.filter(PythonBugCandidates.isSourceFile), in: baselineSandbox.path, isolation: request.isolation)
                found += generated.candidates
                summary.filesSkipped = generated.skipped
            }
            for file in tracked where CFamilyBugCandidates.isSourceFile(file) {
                guard let language = CFamilyBugCandidates.language(of: file), languages.contains(language),
                    let data = FileManager.default.contents(atPath: baselineSandbox.path + "/" + file)
                else { continue }
                found += CFamilyBugCandidates.candidates(file: file, source: String(decoding: data, as: UTF8.self))
            }
            candidates = found
            covering = CoveringTests(trackedFiles: tracked, worktree: baselineSandbox.path)
        } catch {
            await Task.detached { await sandboxes.remove(baselineSandbox) }.value
            throw error
        }
        await sandboxes.remove(baselineSandbox)

        // A fixed order, then a shuffle by the seed: the same seed makes the same choice.
        var generator = SeededGenerator(seed: request.seed)
        let ordered = candidates.sorted { ($0.file, $0.line, $0.operatorName, $0.diff) < ($1.file, $1.line, $1.operatorName, $1.diff) }
            .shuffled(using: &generator)
        progress("\(ordered.count) candidates in \(Set(ordered.map(\.file)).count) files; \(ordered.filter { !$0.compiles }.count) do not compile")
        let candidateTimeout = min(request.testTimeout, baselineSeconds * 3 + 30)
        let candidateSuite = TaskTestSuite(
            command: request.testCommand, parser: parser, isolation: request.isolation, timeout: candidateTimeout, hiddenPaths: [output])

        var perFunction: [String: Int] = [:]
        var perFile: [String: Int] = [:]
        var seenFailures = Set<String>()
        var keptByFile: [String: [BugCandidate]] = [:]
        var queue = ordered[...]
        while summary.kept < request.count, !queue.isEmpty {
            try Task.checkCancellation()
            // The next batch of candidates worth running, in order.
            var batch: [(id: String, candidate: BugCandidate)] = []
            while batch.count < request.workers, let candidate = queue.popFirst() {
                summary.count(candidate.operatorName, \.tried)
                guard candidate.compiles else {
                    summary.count(candidate.operatorName, \.notCompiling)
                    continue
                }
                let functionKey = candidate.file + ":" + candidate.function
                if perFunction[functionKey, default: 0] >= request.maxPerFunction || perFile[candidate.file, default: 0] >= request.maxPerFile {
                    summary.count(candidate.operatorName, \.capped)
                    continue
                }
                let id = "\(name).synth.\(candidate.operatorName).\(SynthSummary.stableHash(candidate.diff).prefix(10))"
                if FileManager.default.fileExists(atPath: output + "/" + id + "/task.json") {
                    summary.count(candidate.operatorName, \.kept)
                    summary.alreadyWritten += 1
                    perFunction[functionKey, default: 0] += 1
                    perFile[candidate.file, default: 0] += 1
                    if summary.kept >= request.count { break }
                    continue
                }
                batch.append((id, candidate))
            }
            let verdicts = try await withThrowingTaskGroup(of: (Int, Verdict, Double).self) { tasks in
                for (index, item) in batch.enumerated() {
                    tasks.addTask {
                        let began = Date()
                        let verdict = try await validate(
                            item.candidate, name: item.id, stable: stable, suite: candidateSuite, sandboxes: sandboxes, base: scratch.base,
                            group: group, firstRunning: covering.files(covering: item.candidate.file))
                        return (index, verdict, Date().timeIntervalSince(began))
                    }
                }
                var results: [(Int, Verdict, Double)] = []
                for try await result in tasks { results.append(result) }
                return results.sorted { $0.0 < $1.0 }
            }
            for (index, verdict, seconds) in verdicts {
                let (id, candidate) = batch[index]
                summary.validationSeconds += seconds
                switch verdict {
                case .breaksNothing:
                    summary.count(candidate.operatorName, \.breaksNothing)
                case .breaksNothingInCoveringTests:
                    summary.count(candidate.operatorName, \.breaksNothing)
                    summary.droppedByCoveringTests += 1
                case .timedOut:
                    summary.count(candidate.operatorName, \.slow)
                case .doesNotBuild:
                    summary.count(candidate.operatorName, \.notCompiling)
                case .doesNotApply(let why):
                    summary.count(candidate.operatorName, \.notCompiling)
                    progress("\(id): does not apply: \(why)")
                case .kept(let failToPass, let passToPass, let log):
                    let functionKey = candidate.file + ":" + candidate.function
                    guard summary.kept < request.count, seenFailures.insert(functionKey + "|" + failToPass.joined(separator: ",")).inserted else {
                        summary.count(candidate.operatorName, \.duplicate)
                        continue
                    }
                    try await write(
                        id: id, candidate: candidate, failToPass: failToPass, passToPass: passToPass, log: log, repositoryName: name,
                        scratch: scratch, output: output)
                    perFunction[functionKey, default: 0] += 1
                    perFile[candidate.file, default: 0] += 1
                    summary.count(candidate.operatorName, \.kept)
                    summary.written.append(id)
                    keptByFile[candidate.file, default: []].append(candidate)
                    progress("kept \(id): \(candidate.operatorName) in \(candidate.function) (\(candidate.file):\(candidate.line)), \(failToPass.count) failing")
                }
            }
            // Counts so far, so that a run stopped midway still tells what it did.
            summary.duration = Date().timeIntervalSince(started)
            try? (summary.json.prettyEncoded() + "\n").write(toFile: output + "/synth.json", atomically: true, encoding: .utf8)
        }
        // Combined bugs: two bugs this run kept in one file (in the order kept), joined and validated again.
        var pairs: [(BugCandidate, BugCandidate)] = []
        for file in keptByFile.keys.sorted() {
            // Far enough apart that the two hunks' context lines do not overlap.
            var unpaired = keptByFile[file] ?? []
            while let first = unpaired.first {
                unpaired.removeFirst()
                guard let partner = unpaired.firstIndex(where: { abs($0.line - first.line) > 6 }) else { continue }
                pairs.append((first, unpaired.remove(at: partner)))
            }
        }
        var combinedWritten = 0
        for (first, second) in pairs where combinedWritten < request.combined {
            try Task.checkCancellation()
            summary.count("combined", \.tried)
            let began = Date()
            guard let joined = try await join(first, second, sandboxes: sandboxes, base: scratch.base, group: group) else {
                summary.count("combined", \.notCompiling)
                continue
            }
            let id = "\(name).synth.combined.\(SynthSummary.stableHash(joined.diff).prefix(10))"
            if FileManager.default.fileExists(atPath: output + "/" + id + "/task.json") {
                summary.count("combined", \.kept)
                summary.alreadyWritten += 1
                combinedWritten += 1
                continue
            }
            let verdict = try await validate(
                joined, name: id, stable: stable, suite: candidateSuite, sandboxes: sandboxes, base: scratch.base, group: group)
            summary.validationSeconds += Date().timeIntervalSince(began)
            switch verdict {
            case .kept(let failToPass, let passToPass, let log):
                try await write(
                    id: id, candidate: joined, failToPass: failToPass, passToPass: passToPass, log: log, repositoryName: name, scratch: scratch,
                    output: output)
                summary.count("combined", \.kept)
                summary.written.append(id)
                combinedWritten += 1
                progress("kept \(id): \(joined.function) (\(joined.file)), \(failToPass.count) failing")
            case .timedOut: summary.count("combined", \.slow)
            case .breaksNothing, .breaksNothingInCoveringTests: summary.count("combined", \.breaksNothing)
            case .doesNotBuild, .doesNotApply: summary.count("combined", \.notCompiling)
            }
        }
        summary.duration = Date().timeIntervalSince(started)
        try (summary.json.prettyEncoded() + "\n").write(toFile: output + "/synth.json", atomically: true, encoding: .utf8)
        return summary
    }

    /// Applies the bug in a fresh worktree and runs the whole suite there.
    func validate(
        _ candidate: BugCandidate, name: String, stable: Set<String>, suite: TaskTestSuite, sandboxes: SandboxManager, base: BaseRepository,
        group: String, firstRunning testFiles: [String]? = nil
    ) async throws -> Verdict {
        let sandbox = try await sandboxes.makeSandbox(from: base, group: group, name: name)
        do {
            let applied = try await sandbox.git.runOutcome(["apply", "-"], input: Data(candidate.diff.utf8))
            guard applied.succeeded else {
                await sandboxes.remove(sandbox)
                return .doesNotApply(applied.standardError.text)
            }
            if let testFiles, suite.parser.selecting(testFiles, command: suite.command) != nil {
                // The tests that import the changed module first: when none of theirs breaks, no full run.
                let first = try await suite.run(tests: testFiles, in: sandbox.path)
                try Task.checkCancellation()
                let covered = stable.filter { test in testFiles.contains { test.hasPrefix($0 + "::") } }
                if !first.timedOut, !covered.isEmpty, covered.isSubset(of: Set(first.passed)) {
                    await sandboxes.remove(sandbox)
                    return .breaksNothingInCoveringTests
                }
            }
            let report = try await suite.run(tests: [], in: sandbox.path)
            // A run killed by an interruption says nothing about the candidate.
            try Task.checkCancellation()
            await sandboxes.remove(sandbox)
            if report.timedOut { return .timedOut }
            // No test result at all: the build the test command runs failed (Swift, C), or the suite could not start.
            if report.passed.isEmpty && report.failed.isEmpty && report.skipped.isEmpty { return .doesNotBuild }
            let passed = Set(report.passed)
            let failToPass = stable.filter { !passed.contains($0) }.sorted()
            guard !failToPass.isEmpty else { return .breaksNothing }
            return .kept(failToPass: failToPass, passToPass: stable.subtracting(failToPass).sorted(), log: report.output)
        } catch {
            // Detached: a cancelled run (SIGINT, SIGTERM) still removes its worktree.
            await Task.detached { await sandboxes.remove(sandbox) }.value
            throw error
        }
    }

    /// Both bugs applied in one worktree, as one candidate; nil when the second does not apply on the first.
    func join(_ first: BugCandidate, _ second: BugCandidate, sandboxes: SandboxManager, base: BaseRepository, group: String) async throws
        -> BugCandidate?
    {
        let sandbox = try await sandboxes.makeSandbox(from: base, group: group, name: "join-" + SynthSummary.stableHash(first.diff + second.diff))
        let diff: String?
        do {
            var applied = true
            for part in [first, second] where applied {
                applied = try await sandbox.git.runOutcome(["apply", "-"], input: Data(part.diff.utf8)).succeeded
            }
            diff = applied ? try await sandbox.diff() : nil
        } catch {
            // Detached: a cancelled run (SIGINT, SIGTERM) still removes its worktree.
            await Task.detached { await sandboxes.remove(sandbox) }.value
            throw error
        }
        await sandboxes.remove(sandbox)
        guard let diff else { return nil }
        return BugCandidate(
            file: first.file, operatorName: "combined", function: first.function + "+" + second.function, line: min(first.line, second.line),
            diff: diff, compiles: true)
    }

    /// Commits the bug in the scratch repository and writes the task folder.
    func write(
        id: String, candidate: BugCandidate, failToPass: [String], passToPass: [String], log: String, repositoryName: String,
        scratch: SynthScratchRepository, output: String
    ) async throws {
        let testFiles = Set(failToPass.compactMap { test in test.range(of: "::").map { String(test[..<$0.lowerBound]) } }).sorted()
        let commit = try await scratch.commitTask(id: id, bug: candidate.diff, hiddenTests: testFiles)
        var statement = ProblemStatementWriter.statement(failToPass: failToPass, log: log, goldPatch: commit.goldPatch)
        if ProblemStatementWriter.leaks(statement, goldPatch: commit.goldPatch) {
            // A test name or the report's own words hold a changed line: the names alone, in a form that cannot.
            statement = ProblemStatementWriter.statement(failToPass: failToPass, log: "", goldPatch: commit.goldPatch)
        }
        let document: [String: JSONValue] = [
            "instance_id": .string(id), "repo": .string(repositoryName), "problem_statement": .string(statement),
            "statement_source": .string(ProblemStatementWriter.source), "hints_text": "", "created_at": "", "version": "",
            "FAIL_TO_PASS": .array(failToPass.map { .string($0) }), "PASS_TO_PASS": .array(passToPass.map { .string($0) }),
            "test_cmd": .string(request.testCommand), "log_parser": .string(request.parserName),
            "language": .string(CFamilyBugCandidates.language(of: candidate.file) ?? "python"),
            "timeout": .number(request.testTimeout), "base_commit": .string(commit.baseCommit),
            "repo_path": .string("../.repos/" + (scratch.gitDirectory as NSString).lastPathComponent),
            "synth": [
                "operator": .string(candidate.operatorName), "parts": .number(Double(candidate.operatorName == "combined" ? 2 : 1)), "file": .string(candidate.file), "function": .string(candidate.function),
                "line": .number(Double(candidate.line)), "source_commit": .string(scratch.head), "seed": .number(Double(request.seed)),
            ],
        ]
        try TaskWriter.write(
            [ImportedTask(instanceID: id, document: document, repositoryFiles: nil, goldPatch: commit.goldPatch, testPatch: commit.testPatch)],
            to: output, overwrite: true)
    }

    /// The checkout's top level and HEAD, read without writing anything.
    func openCheckout() async throws -> (root: String, head: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: request.repository, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SynthError(.usage, "--repo \(request.repository): no such folder")
        }
        let git = Git()
        let top = try await git.runOutcome(["rev-parse", "--show-toplevel"], in: request.repository, environment: ["GIT_OPTIONAL_LOCKS": "0"])
        guard top.succeeded else { throw SynthError(.usage, "--repo \(request.repository) is not inside a git work tree: commit the repository first") }
        let root = top.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let head = try await git.runOutcome(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], in: root, environment: ["GIT_OPTIONAL_LOCKS": "0"])
        guard head.succeeded else { throw SynthError(.usage, "\(root) has no commit yet: synthesis starts from HEAD") }
        return (root, head.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether `path` is `root` or lies under it (symbolic links resolved).
    static func isInside(_ path: String, _ root: String) -> Bool {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let top = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        return absolute == top || absolute.hasPrefix(top + "/")
    }

    private func progress(_ text: String) { onProgress?(text) }
}
