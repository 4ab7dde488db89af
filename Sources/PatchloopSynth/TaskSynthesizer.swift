import Foundation
import PatchloopCore
import PatchloopModels
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
    /// Combined tasks to add: each joins two or three kept bugs of one file into a multi-location fix.
    public var combined: Int
    /// Run the whole suite on every candidate that breaks a test calling its function, to
    /// find FAIL_TO_PASS tests the call map missed (slower; off by default).
    public var confirmWithFullSuite: Bool
    /// With a model: it rewrites functions (`lm_rewrite` candidates) and writes the problem statements.
    public var model: (any ChatModel)?
    /// Functions the model is asked to rewrite, at most.
    public var rewrites: Int
    /// Seconds one model call may take; nil: no limit beyond the provider's idle timeout.
    public var modelTimeLimit: Double?

    public init(
        repository: String, testCommand: String, parserName: String, count: Int = 50, outputDirectory: String, workers: Int = 2,
        seed: UInt64 = 0, languages: [String] = ["python", "swift", "c"], sandboxRoot: String = "Sandboxes", isolation: CommandIsolation = .bubblewrap,
        testTimeout: Double = 900, maxPerFunction: Int = 3, maxPerFile: Int = 20, combined: Int = 0,
        confirmWithFullSuite: Bool = false, model: (any ChatModel)? = nil, rewrites: Int = 20, modelTimeLimit: Double? = nil
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
        self.confirmWithFullSuite = confirmWithFullSuite
        self.model = model
        self.rewrites = rewrites
        self.modelTimeLimit = modelTimeLimit
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
        let ledger = request.model.map { SynthModelLedger(model: $0) }

        // Baseline: twice at HEAD; only tests that pass both times count, the rest that differ are flaky.
        // The second run also records which tests call which functions (pytest suites).
        let baselineSandbox = try await sandboxes.makeSandbox(from: scratch.base, group: group, name: "baseline")
        let suite = TaskTestSuite(
            command: request.testCommand, parser: parser, isolation: request.isolation, timeout: request.testTimeout, hiddenPaths: [output])
        let stable: Set<String>
        let candidates: [BugCandidate]
        let covering: CoveringTests
        let callMap: TestCallMap?
        let baselineSeconds: Double
        do {
            progress("baseline: running `\(request.testCommand)` twice at HEAD \(head.prefix(12))…")
            let first = try await suite.run(tests: [], in: baselineSandbox.path)
            var (second, map) = try await runRecordingCalls(suite: suite, in: baselineSandbox.path, output: output)
            if map == nil && second.passed.isEmpty && !first.passed.isEmpty {
                // The recording plugin could not load: the plain run again, for the flakiness check.
                second = try await suite.run(tests: [], in: baselineSandbox.path)
            }
            callMap = map
            let firstPassed = Set(first.passed)
            let secondPassed = Set(second.passed)
            stable = firstPassed.intersection(secondPassed)
            summary.flakyTests = firstPassed.symmetricDifference(secondPassed).sorted()
            summary.baselinePassed = stable.count
            summary.baselineSeconds = first.duration + second.duration
            baselineSeconds = max(first.duration, second.duration)
            progress("baseline: \(stable.count) tests pass, \(Set(first.failed).union(second.failed).count) fail, \(summary.flakyTests.count) flaky (\(String(format: "%.1f", baselineSeconds)) s)"
                + (map == nil ? "; no call map (not pytest, or the suite sets its own trace function): candidates run the full suite" : "; call map recorded"))
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
                if let model = request.model, let ledger, request.rewrites > 0 {
                    found += try await rewriteCandidates(
                        model: model, ledger: ledger, files: tracked.filter(PythonBugCandidates.isSourceFile), worktree: baselineSandbox.path,
                        callMap: callMap, stable: stable, output: output, summary: &summary)
                }
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

        let candidateTimeout = min(request.testTimeout, baselineSeconds * 3 + 30)
        let candidateSuite = TaskTestSuite(
            command: request.testCommand, parser: parser, isolation: request.isolation, timeout: candidateTimeout, hiddenPaths: [output])
        let canSelect = parser.selecting(["x"], command: request.testCommand) != nil
        // What a run costs besides its tests (the interpreter, collection, the sandbox): a selected run pays it too, and on a
        // loaded machine it is most of the run.
        let startupSeconds = max(0, baselineSeconds - (callMap?.durations.values.reduce(0, +) ?? baselineSeconds))
        func selection(for candidate: BugCandidate) -> Selection {
            guard canSelect, candidate.file.hasSuffix(".py") else { return .all }
            switch callMap?.tests(calling: candidate.function, in: candidate.file) {
            case .tests(let tests):
                let covered = tests.filter(stable.contains)
                guard !covered.isEmpty else { return .uncalled }
                let seconds = startupSeconds + covered.reduce(0.0) { $0 + (callMap?.durations[$1] ?? baselineSeconds) }
                return .tests(covered, seconds: seconds)
            case .uncalled: return .uncalled
            case .unknown, nil:
                return covering.files(covering: candidate.file).map(Selection.files) ?? .all
            }
        }

        // A fixed order, then a shuffle by the seed: the same seed makes the same choice. Then
        // the likeliest and cheapest first: candidates whose function some tests call (a quick
        // run of those tests), then those no test calls (dropped without a run), then the rest.
        var generator = SeededGenerator(seed: request.seed)
        let ordered = candidates.sorted { ($0.file, $0.line, $0.operatorName, $0.diff) < ($1.file, $1.line, $1.operatorName, $1.diff) }
            .shuffled(using: &generator)
            .map { ($0, selection(for: $0)) }
            // Rewrites first: the model was paid for them.
            .enumerated().sorted { ($0.element.0.isRewrite ? 0 : 1, $0.element.1.rank, $0.offset) < ($1.element.0.isRewrite ? 0 : 1, $1.element.1.rank, $1.offset) }
            .map(\.element)
        let selected = ordered.filter { if case .tests = $0.1 { return true } else { return false } }.count
        progress("\(ordered.count) candidates in \(Set(ordered.map(\.0.file)).count) files; \(ordered.filter { !$0.0.compiles }.count) do not compile; \(selected) run only the tests that call their function")

        var perFunction: [String: Int] = [:]
        var perFile: [String: Int] = [:]
        var seenFailures = Set<String>()
        var keptByFile: [String: [BugCandidate]] = [:]
        // Tasks an earlier run wrote (same seed, same ids) count first, so a rerun after a
        // crash or an interruption adds only what is missing and never goes past --count.
        var queue: ArraySlice<(BugCandidate, Selection)> = []
        for (candidate, selection) in ordered {
            let id = "\(name).synth.\(candidate.operatorName).\(StableHash.hex(candidate.diff).prefix(10))"
            guard summary.kept < request.count, FileManager.default.fileExists(atPath: output + "/" + id + "/task.json") else {
                queue.append((candidate, selection))
                continue
            }
            summary.count(candidate.operatorName, \.tried)
            summary.count(candidate.operatorName, \.kept)
            summary.alreadyWritten += 1
            perFunction[candidate.file + ":" + candidate.function, default: 0] += 1
            perFile[candidate.file, default: 0] += 1
            keptByFile[candidate.file, default: []].append(candidate)
        }
        var inFlightFunctions: [String: Int] = [:]
        var inFlightFiles: [String: Int] = [:]
        /// The next candidate worth running, counting those skipped on the way.
        func nextCandidate() -> (id: String, candidate: BugCandidate, selection: Selection)? {
            while summary.kept < request.count, let (candidate, selection) = queue.popFirst() {
                summary.count(candidate.operatorName, \.tried)
                guard candidate.compiles else {
                    summary.count(candidate.operatorName, \.notCompiling)
                    continue
                }
                let functionKey = candidate.file + ":" + candidate.function
                if perFunction[functionKey, default: 0] + inFlightFunctions[functionKey, default: 0] >= request.maxPerFunction
                    || perFile[candidate.file, default: 0] + inFlightFiles[candidate.file, default: 0] >= request.maxPerFile
                {
                    summary.count(candidate.operatorName, \.capped)
                    continue
                }
                if case .uncalled = selection {
                    summary.count(candidate.operatorName, \.breaksNothing)
                    summary.droppedUncalled += 1
                    continue
                }
                let id = "\(name).synth.\(candidate.operatorName).\(StableHash.hex(candidate.diff).prefix(10))"
                return (id, candidate, selection)
            }
            return nil
        }
        // A pool of `workers` validations: a new one starts as soon as one ends.
        try await withThrowingTaskGroup(of: (String, BugCandidate, Verdict, Double).self) { tasks in
            var running = 0
            func startNext() {
                guard let (id, candidate, selection) = nextCandidate() else { return }
                let functionKey = candidate.file + ":" + candidate.function
                inFlightFunctions[functionKey, default: 0] += 1
                inFlightFiles[candidate.file, default: 0] += 1
                running += 1
                tasks.addTask {
                    let began = Date()
                    let verdict = try await validate(
                        candidate, name: id, stable: stable, suite: candidateSuite, sandboxes: sandboxes, base: scratch.base, group: group,
                        selection: selection)
                    return (id, candidate, verdict, Date().timeIntervalSince(began))
                }
            }
            for _ in 0..<request.workers { startNext() }
            while running > 0, let (id, candidate, verdict, seconds) = try await tasks.next() {
                running -= 1
                let functionKey = candidate.file + ":" + candidate.function
                inFlightFunctions[functionKey, default: 0] -= 1
                inFlightFiles[candidate.file, default: 0] -= 1
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
                    guard summary.kept < request.count else {
                        // Finished after the count was reached: not needed.
                        summary.count(candidate.operatorName, \.capped)
                        break
                    }
                    guard seenFailures.insert(functionKey + "|" + failToPass.joined(separator: ",")).inserted else {
                        summary.count(candidate.operatorName, \.duplicate)
                        break
                    }
                    try await write(
                        id: id, candidate: candidate, failToPass: failToPass, passToPass: passToPass, log: log, repositoryName: name,
                        scratch: scratch, output: output, ledger: ledger)
                    perFunction[functionKey, default: 0] += 1
                    perFile[candidate.file, default: 0] += 1
                    summary.count(candidate.operatorName, \.kept)
                    summary.written.append(id)
                    keptByFile[candidate.file, default: []].append(candidate)
                    progress(
                        "kept \(id): \(candidate.operatorName) in \(candidate.function) (\(candidate.file):\(candidate.line)), \(failToPass.count) failing "
                            + String(format: "[%d kept, %.0f s]", summary.kept, Date().timeIntervalSince(started)))
                }
                // Counts so far, so that a run stopped midway still tells what it did.
                summary.duration = Date().timeIntervalSince(started)
                summary.model = ledger?.usage
                try? (summary.json.prettyEncoded() + "\n").write(toFile: output + "/synth.json", atomically: true, encoding: .utf8)
                if summary.kept < request.count { startNext() }
            }
            tasks.cancelAll()
        }
        // Combined bugs: two or three kept bugs of one file, joined and validated again.
        let groups = TaskSynthesizer.combinedGroups(keptByFile)
        var combinedWritten = 0
        for parts in groups where combinedWritten < request.combined {
            try Task.checkCancellation()
            summary.count("combined", \.tried)
            let began = Date()
            guard let joined = try await join(parts, sandboxes: sandboxes, base: scratch.base, group: group) else {
                summary.count("combined", \.notCompiling)
                continue
            }
            // The tests that call any of the functions, when the call map knows them all.
            var joinedSelection = Selection.all
            var union = Set<String>()
            var seconds = startupSeconds
            for part in parts {
                guard case .tests(let tests, let partSeconds) = selection(for: part) else {
                    union = []
                    break
                }
                union.formUnion(tests)
                seconds += partSeconds - startupSeconds
            }
            if !union.isEmpty { joinedSelection = .tests(union.sorted(), seconds: seconds) }
            let id = "\(name).synth.combined.\(StableHash.hex(joined.diff).prefix(10))"
            if FileManager.default.fileExists(atPath: output + "/" + id + "/task.json") {
                summary.count("combined", \.kept)
                summary.alreadyWritten += 1
                combinedWritten += 1
                continue
            }
            let verdict = try await validate(
                joined, name: id, stable: stable, suite: candidateSuite, sandboxes: sandboxes, base: scratch.base, group: group,
                selection: joinedSelection)
            summary.validationSeconds += Date().timeIntervalSince(began)
            switch verdict {
            case .kept(let failToPass, let passToPass, let log):
                try await write(
                    id: id, candidate: joined, failToPass: failToPass, passToPass: passToPass, log: log, repositoryName: name, scratch: scratch,
                    output: output, ledger: ledger)
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
        summary.model = ledger?.usage
        try (summary.json.prettyEncoded() + "\n").write(toFile: output + "/synth.json", atomically: true, encoding: .utf8)
        return summary
    }

    /// Which tests a candidate runs first.
    enum Selection: Sendable {
        /// The stable tests that call its function (from the call map), and their time at HEAD with the run's startup.
        case tests([String], seconds: Double)
        /// No stable test calls its function.
        case uncalled
        /// The test files that import its module; the full suite when one of theirs breaks.
        case files([String])
        /// Only the full suite can tell.
        case all

        var rank: Int {
            switch self {
            case .tests(_, let seconds): seconds > 20 ? 1 : 0
            case .uncalled: 2
            case .files: 3
            case .all: 4
            }
        }
    }

    /// The baseline's second run, with the plugin that records which tests call which functions.
    func runRecordingCalls(suite: TaskTestSuite, in worktree: String, output: String) async throws -> (TestRunReport, TestCallMap?) {
        let folder = worktree + "/" + TestCallMap.folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try TestCallMap.plugin.write(toFile: folder + "/\(TestCallMap.moduleName).py", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let environment = TestCallMap.environment(worktree: worktree, base: TaskTestSuite.environment())
        let outcome = try await suite.runner.run(
            request.isolation.spec(command: suite.command, worktree: worktree, environment: environment, timeout: suite.timeout, hiding: [output]))
        let statuses = suite.parser.parse(outcome.standardOutput.text)
        let report = TestRunReport(
            passed: statuses.filter { $0.value.countsAsPassed }.keys.sorted(),
            failed: statuses.filter { $0.value == .failed || $0.value == .error }.keys.sorted(),
            skipped: statuses.filter { $0.value == .skipped }.keys.sorted(),
            exitCode: outcome.exitCode, timedOut: outcome.timedOut, duration: outcome.duration, output: outcome.standardOutput.text)
        let map = outcome.timedOut ? nil : FileManager.default.contents(atPath: folder + "/map.json").flatMap(TestCallMap.read)
        return (report, map)
    }

    /// Applies the bug in a fresh worktree and runs the tests that can notice it: those
    /// that call its function when the call map knows them, else the covering test files
    /// first and then the whole suite.
    func validate(
        _ candidate: BugCandidate, name: String, stable: Set<String>, suite: TaskTestSuite, sandboxes: SandboxManager, base: BaseRepository,
        group: String, selection: Selection = .all
    ) async throws -> Verdict {
        if case .uncalled = selection { return .breaksNothing }
        // A plain checkout: one git process to make, none to remove, nothing registered in the repository.
        let sandbox = try await sandboxes.makeCheckout(from: base, group: group, name: name)
        do {
            let applied = try await sandbox.git.runOutcome(["apply", "-"], input: Data(candidate.diff.utf8))
            guard applied.succeeded else {
                await sandboxes.remove(sandbox)
                return .doesNotApply(applied.standardError.text)
            }
            switch selection {
            case .tests(let tests, let seconds):
                // Only these tests call the function: no other test can tell the bug from HEAD.
                var selected = suite
                selected.timeout = min(suite.timeout, seconds * 3 + 30)
                let report = try await selected.run(tests: tests, in: sandbox.path)
                try Task.checkCancellation()
                if report.timedOut {
                    await sandboxes.remove(sandbox)
                    return .timedOut
                }
                let failed = Set(report.failed)
                let failToPass = tests.filter(failed.contains)
                let missing = tests.filter { !failed.contains($0) && !report.passed.contains($0) }
                if failToPass.isEmpty && missing.isEmpty {
                    await sandboxes.remove(sandbox)
                    return .breaksNothingInCoveringTests
                }
                if !request.confirmWithFullSuite, missing.isEmpty {
                    await sandboxes.remove(sandbox)
                    return .kept(failToPass: failToPass, passToPass: stable.subtracting(failToPass).sorted(), log: report.output)
                }
                // Tests that did not report (the selection could not name them), or asked for: the whole suite decides.
            case .files(let testFiles):
                // The tests that import the changed module first: when none of theirs breaks, no full run.
                let first = try await suite.run(tests: testFiles, in: sandbox.path)
                try Task.checkCancellation()
                let covered = stable.filter { test in testFiles.contains { test.hasPrefix($0 + "::") } }
                if !first.timedOut, !covered.isEmpty, covered.isSubset(of: Set(first.passed)) {
                    await sandboxes.remove(sandbox)
                    return .breaksNothingInCoveringTests
                }
            case .uncalled, .all:
                break
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

    /// The bugs applied one after another in one worktree, as one candidate; nil when one does not apply on the others.
    func join(_ parts: [BugCandidate], sandboxes: SandboxManager, base: BaseRepository, group: String) async throws -> BugCandidate? {
        guard let first = parts.first else { return nil }
        let sandbox = try await sandboxes.makeCheckout(
            from: base, group: group, name: "join-" + StableHash.hex(parts.map(\.diff).joined()))
        let diff: String?
        do {
            var applied = true
            for part in parts where applied {
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
            file: first.file, operatorName: "combined", function: parts.map(\.function).joined(separator: "+"), line: parts.map(\.line).min() ?? first.line,
            diff: diff, compiles: true)
    }

    /// Kept bugs joined into groups of three and two, alternating, each from one file: in a
    /// fixed order (not the order validations ended), so a rerun makes the same groups.
    static func combinedGroups(_ keptByFile: [String: [BugCandidate]]) -> [[BugCandidate]] {
        var groups: [[BugCandidate]] = []
        for file in keptByFile.keys.sorted() {
            var unpaired = (keptByFile[file] ?? []).sorted { ($0.line, $0.operatorName, $0.diff) < ($1.line, $1.operatorName, $1.diff) }
            while let first = unpaired.first {
                unpaired.removeFirst()
                var group = [first]
                let size = groups.count % 2 == 0 ? 3 : 2
                // Hunks that share no line, context included: the next part still applies after the
                // ones before it (a dropped `else` spans many lines, not just its first).
                while group.count < size,
                    let partner = unpaired.firstIndex(where: { next in group.allSatisfy { !coveredLines($0).overlaps(coveredLines(next)) } })
                {
                    group.append(unpaired.remove(at: partner))
                }
                if group.count >= 2 { groups.append(group) }
            }
        }
        return groups
    }

    /// The lines of the file a candidate's diff spans, its context lines included (from each
    /// hunk's `@@ -start,count`); three lines either side of `line` when the diff has no hunk header.
    static func coveredLines(_ candidate: BugCandidate) -> ClosedRange<Int> {
        let spans = candidate.diff.split(separator: "\n").compactMap { header -> ClosedRange<Int>? in
            guard let match = header.prefixMatch(of: #/@@ -([0-9]+)(?:,([0-9]+))? /#), let start = Int(match.output.1) else { return nil }
            let count = match.output.2.flatMap { Int($0) } ?? 1
            return start...(start + max(count, 1) - 1)
        }
        guard let low = spans.map(\.lowerBound).min(), let high = spans.map(\.upperBound).max() else {
            return (candidate.line - 3)...(candidate.line + 3)
        }
        return low...high
    }

    /// Commits the bug in the scratch repository and writes the task folder.
    func write(
        id: String, candidate: BugCandidate, failToPass: [String], passToPass: [String], log: String, repositoryName: String,
        scratch: SynthScratchRepository, output: String, ledger: SynthModelLedger? = nil
    ) async throws {
        var testFiles = Set(failToPass.compactMap { test in test.range(of: "::").map { String(test[..<$0.lowerBound]) } }).sorted()
        if testFiles.isEmpty, CFamilyBugCandidates.language(of: candidate.file) != nil {
            testFiles = try await scratch.testFiles(naming: failToPass)
        }
        let commit = try await scratch.commitTask(id: id, bug: candidate.diff, hiddenTests: testFiles)
        var statement = ProblemStatementWriter.statement(failToPass: failToPass, log: log, goldPatch: commit.goldPatch)
        if ProblemStatementWriter.leaks(statement, goldPatch: commit.goldPatch) {
            // A test name or the report's own words hold a changed line: the names alone, in a form that cannot.
            statement = ProblemStatementWriter.statement(failToPass: failToPass, log: "", goldPatch: commit.goldPatch)
        }
        var statementSource = ProblemStatementWriter.source
        if let model = request.model, let ledger,
            let written = try await modelStatement(
                model: model, ledger: ledger, candidate: candidate, failToPass: failToPass, log: log, goldPatch: commit.goldPatch)
        {
            statement = written
            statementSource = ProblemStatementWriter.modelSource(model.identifier)
        }
        let document: [String: JSONValue] = [
            "instance_id": .string(id), "repo": .string(repositoryName), "problem_statement": .string(statement),
            "statement_source": .string(statementSource), "hints_text": "", "created_at": "", "version": "",
            "FAIL_TO_PASS": .array(failToPass.map { .string($0) }), "PASS_TO_PASS": .array(passToPass.map { .string($0) }),
            "test_cmd": .string(request.testCommand), "log_parser": .string(request.parserName),
            "language": .string(CFamilyBugCandidates.language(of: candidate.file) ?? "python"),
            "timeout": .number(request.testTimeout), "base_commit": .string(commit.baseCommit),
            "repo_path": .string("../.repos/" + (scratch.gitDirectory as NSString).lastPathComponent),
            "synth": [
                "operator": .string(candidate.operatorName), "parts": .number(Double(candidate.operatorName == "combined" ? candidate.function.split(separator: "+").count : 1)), "file": .string(candidate.file), "function": .string(candidate.function),
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

    func progress(_ text: String) { onProgress?(text) }
}
