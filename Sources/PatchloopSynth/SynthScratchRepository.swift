import Foundation
import PatchloopWorkspace

/// The one bare repository per source repository that every synthesized task of it
/// points at (`repo_path` + `base_commit`): HEAD's objects fetched from the user's
/// checkout (which is only read), plus one commit per task holding the bug.
public struct SynthScratchRepository: Sendable {
    /// The bare repository's folder.
    public var gitDirectory: String
    /// The source repository's HEAD.
    public var head: String
    let git = Git()

    /// Opens or makes `gitDirectory` and fetches HEAD of `checkout` into it.
    public static func prepare(at gitDirectory: String, from checkout: String, head: String) async throws -> SynthScratchRepository {
        let git = Git()
        if !FileManager.default.fileExists(atPath: gitDirectory + "/HEAD") {
            try FileManager.default.createDirectory(atPath: (gitDirectory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try await git.run(["init", "--bare", "--quiet", gitDirectory], in: checkout)
        }
        let present = try await git.runOutcome(["--git-dir=\(gitDirectory)", "cat-file", "-e", "\(head)^{commit}"], in: gitDirectory)
        if !present.succeeded {
            try await git.run(["--git-dir=\(gitDirectory)", "fetch", "--quiet", "--no-tags", checkout, "\(head):refs/synth/head"], in: gitDirectory)
        }
        try await git.run(["--git-dir=\(gitDirectory)", "update-ref", "refs/synth/head", head], in: gitDirectory)
        return SynthScratchRepository(gitDirectory: gitDirectory, head: head)
    }

    /// The sandbox base at HEAD.
    public var base: BaseRepository { BaseRepository(gitDirectory: gitDirectory, commit: head) }

    /// The Swift and C test files (in a test folder or named as tests) at HEAD that hold the
    /// name of every test in `tests` (`Module.Suite/testName` → `testName`; a TAP
    /// description as it is), to hide like pytest's test files; empty when some test's name
    /// is in none of them, and then the tests stay visible.
    public func testFiles(naming tests: [String]) async throws -> [String] {
        let listing = try await git.run(["--git-dir=\(gitDirectory)", "ls-tree", "-r", "--name-only", "-z", head], in: gitDirectory)
        let candidates = listing.split(separator: "\0").map(String.init).filter {
            CFamilyBugCandidates.language(of: $0) != nil && !CFamilyBugCandidates.isSourceFile($0)
        }
        guard !candidates.isEmpty else { return [] }
        var files = Set<String>()
        for test in tests {
            var name = String(test.split(whereSeparator: { $0 == "/" || $0 == "." }).last ?? Substring(test))
            if name.hasSuffix("()") { name.removeLast(2) }
            guard !name.isEmpty else { return [] }
            let found = try await git.runOutcome(
                ["--git-dir=\(gitDirectory)", "grep", "-l", "-F", "-e", name, head, "--"] + candidates, in: gitDirectory)
            let paths = found.standardOutput.text.split(separator: "\n").compactMap { line -> String? in
                line.hasPrefix(head + ":") ? String(line.dropFirst(head.count + 1)) : nil
            }
            guard !paths.isEmpty else { return [] }
            files.formUnion(paths)
        }
        return files.sorted()
    }

    /// What a task needs from the repository.
    public struct TaskCommit: Sendable {
        /// HEAD with the bug, without the hidden test files.
        public var baseCommit: String
        /// Undoes the bug (SWE-bench `patch`).
        public var goldPatch: String
        /// Brings the hidden test files back (SWE-bench `test_patch`).
        public var testPatch: String
    }

    /// Commits HEAD + `bug` − `hiddenTests` (a fixed author and date, so the same bug gives
    /// the same commit on a rerun) and the patches between it, the fixed tree and HEAD.
    public func commitTask(id: String, bug: String, hiddenTests: [String]) async throws -> TaskCommit {
        let index = gitDirectory + "/synth-index-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: index) }
        let environment = ["GIT_INDEX_FILE": index]
        let options = ["--git-dir=\(gitDirectory)"]
        func run(_ arguments: [String], input: Data? = nil) async throws -> String {
            try await git.run(options + arguments, in: gitDirectory, input: input, environment: environment)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Mode 0 entries remove paths from the index, without a work tree.
        let removals = Data(hiddenTests.map { "0 0000000000000000000000000000000000000000\t\($0)\n" }.joined().utf8)

        _ = try await run(["read-tree", head])
        if !hiddenTests.isEmpty { _ = try await run(["update-index", "--index-info"], input: removals) }
        let fixedTree = try await run(["write-tree"])
        _ = try await run(["apply", "--cached", "-"], input: Data(bug.utf8))
        let buggyTree = try await run(["write-tree"])
        let commit = try await run(["commit-tree", buggyTree, "-p", head, "-m", "Synthesized bug \(id)"])
        _ = try await run(["update-ref", "refs/synth/tasks/\(id)", commit])
        let gold = try await run(["diff", "--binary", "--no-color", "--no-ext-diff", buggyTree, fixedTree]) + "\n"
        let tests = hiddenTests.isEmpty ? "" : try await run(["diff", "--binary", "--no-color", "--no-ext-diff", fixedTree, head]) + "\n"
        return TaskCommit(baseCommit: commit, goldPatch: gold, testPatch: tests)
    }
}
