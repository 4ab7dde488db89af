import Foundation

/// A git repository and commit that attempts start from.
public struct BaseRepository: Sendable, Hashable {
    /// The repository's git directory (a bare cache, or a user's `.git`).
    public var gitDirectory: String
    /// The full commit id every sandbox of this base is made at.
    public var commit: String

    public init(gitDirectory: String, commit: String) {
        self.gitDirectory = gitDirectory
        self.commit = commit
    }
}

/// One attempt's scratch git worktree, checked out at the base commit.
///
/// The agent's tools read and write inside `path`; `diff()` is the attempt's answer.
public struct Sandbox: Sendable {
    public var path: String
    public var base: BaseRepository
    let git: Git
    let excludesFile: String

    /// The change from the base commit as a patch `git apply` accepts: new files
    /// included, binary-safe, without what test runs leave behind (caches, build
    /// products; see `SandboxManager.artifactPatterns`).
    public func diff() async throws -> String {
        try await git.run(["-c", "core.excludesFile=\(excludesFile)", "add", "-A", "."], in: path)
        return try await git.run(
            ["diff", "--cached", "--binary", "--no-color", "--no-ext-diff", base.commit], in: path)
    }

    /// Paths changed since the base commit (after the same exclusions as `diff`).
    public func changedPaths() async throws -> [String] {
        try await git.run(["-c", "core.excludesFile=\(excludesFile)", "add", "-A", "."], in: path)
        let output = try await git.run(["diff", "--cached", "--name-only", "-z", base.commit], in: path)
        return output.split(separator: "\0").map(String.init)
    }

    /// Applies a patch to the worktree, falling back as SWE-bench's harness does:
    /// `git apply`, then `git apply --reject`, then `patch --fuzz=5`.
    public func apply(patch: String) async throws -> PatchApplication {
        let data = Data(patch.utf8)
        var log = ""
        let attempts: [(String, [String])] = [
            ("git", ["apply", "--verbose", "--binary", "-"]),
            ("git", ["apply", "--verbose", "--binary", "--reject", "-"]),
        ]
        for (_, arguments) in attempts {
            let outcome = try await git.runOutcome(arguments, in: path, input: data)
            log += "$ git \(arguments.joined(separator: " "))\n" + outcome.standardError.text + outcome.standardOutput.text
            if outcome.succeeded { return PatchApplication(applied: true, method: arguments.joined(separator: " "), log: log) }
        }
        let outcome = try await git.runner.run(
            ProcessSpec(
                executable: "patch", arguments: ["--batch", "--fuzz=5", "-p1", "--forward", "--no-backup-if-mismatch"],
                workingDirectory: path, timeout: 120, mergeStandardError: true, standardInput: data))
        log += "$ patch --batch --fuzz=5 -p1\n" + outcome.standardOutput.text
        return PatchApplication(applied: outcome.succeeded, method: outcome.succeeded ? "patch --fuzz=5" : "", log: log)
    }
}

/// How a patch went onto a worktree.
public struct PatchApplication: Sendable {
    public var applied: Bool
    /// The command that applied it.
    public var method: String
    /// What the commands said.
    public var log: String
}

/// Creates and removes sandboxes under one root (by default `Sandboxes/`), and keeps
/// the base repositories of tasks that ship as plain files (`Sandboxes/.repos/`).
public struct SandboxManager: Sendable {
    public var root: String
    let git = Git()

    /// Files that test runs and builds leave in a worktree; never part of a patch.
    public static let artifactPatterns = [
        "__pycache__/", "*.pyc", "*.pyo", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", ".hypothesis/", ".benchmarks/",
        ".build/", ".swiftpm/", "*.o", "*.gcda", "*.gcno", ".patchloop-home/",
    ]

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    var repositoriesDirectory: String { root + "/.repos" }
    var excludesFile: String { repositoriesDirectory + "/artifact-excludes" }

    /// Makes (or reuses) a git repository holding the files of `directory` as one
    /// commit with a fixed author and date, so the commit id depends only on the files.
    public func baseRepository(forFilesIn directory: String, name: String) async throws -> BaseRepository {
        guard FileManager.default.fileExists(atPath: directory) else {
            throw SandboxError("the task's repository files are missing: \(directory) does not exist")
        }
        try prepareRoot()
        let safeName = name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        let gitDirectory = repositoriesDirectory + "/" + String(safeName) + ".git"
        if !FileManager.default.fileExists(atPath: gitDirectory + "/HEAD") {
            // Made beside its final place and renamed, so concurrent attempts never see half a repository.
            let staging = repositoriesDirectory + "/.init-\(UUID().uuidString).git"
            try await git.run(["init", "--bare", "--quiet", staging], in: root)
            do {
                try FileManager.default.moveItem(atPath: staging, toPath: gitDirectory)
            } catch {
                try? FileManager.default.removeItem(atPath: staging)
                guard FileManager.default.fileExists(atPath: gitDirectory + "/HEAD") else { throw error }
            }
        }
        let index = repositoriesDirectory + "/.index-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: index) }
        let environment = ["GIT_INDEX_FILE": index]
        let treeOptions = ["--git-dir=\(gitDirectory)", "--work-tree=\(directory)"]
        try await git.run(
            treeOptions + ["-c", "core.excludesFile=\(excludesFile)", "add", "-A", "."], in: directory, environment: environment)
        let tree = try await git.run(treeOptions + ["write-tree"], in: directory, environment: environment)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try await git.run(
            ["--git-dir=\(gitDirectory)", "commit-tree", tree, "-m", "Base state of \(name)"], in: directory
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        // A ref keeps the commit from being pruned; a concurrent writer of the same commit may hold the lock.
        _ = try? await git.runOutcome(["--git-dir=\(gitDirectory)", "update-ref", "refs/heads/base", commit], in: directory)
        return BaseRepository(gitDirectory: gitDirectory, commit: commit)
    }

    /// The base of an existing git repository at `revision` (a user's checkout, or a
    /// local clone named by a SWE-bench task).
    public func baseRepository(gitRepository directory: String, revision: String = "HEAD") async throws -> BaseRepository {
        let gitDirectory = try await git.run(["rev-parse", "--absolute-git-dir"], in: directory)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try await git.run(["rev-parse", "--verify", "\(revision)^{commit}"], in: directory)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return BaseRepository(gitDirectory: gitDirectory, commit: commit)
    }

    /// Checks out `base` into a new worktree at `Sandboxes/<group>/<name>`.
    public func makeSandbox(from base: BaseRepository, group: String, name: String) async throws -> Sandbox {
        try prepareRoot()
        let parent = root + "/" + group
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let path = parent + "/" + name
        if FileManager.default.fileExists(atPath: path) {
            throw SandboxError("sandbox \(path) already exists: another attempt uses it (choose another run id)")
        }
        // Run from the root: a concurrent `remove` may take the (empty) group folder away
        // at any moment, and `git worktree add` makes the missing folders itself.
        try await git.run(
            ["--git-dir=\(base.gitDirectory)", "-c", "checkout.workers=0", "worktree", "add", "--detach", "--quiet", path, base.commit],
            in: root)
        return Sandbox(path: path, base: base, git: git, excludesFile: excludesFile)
    }

    /// Removes a sandbox's worktree and its registration in the base repository.
    public func remove(_ sandbox: Sandbox) async {
        let outcome = try? await git.runOutcome(
            ["--git-dir=\(sandbox.base.gitDirectory)", "worktree", "remove", "--force", "--force", sandbox.path], in: root)
        if outcome?.succeeded != true {
            try? FileManager.default.removeItem(atPath: sandbox.path)
            _ = try? await git.runOutcome(["--git-dir=\(sandbox.base.gitDirectory)", "worktree", "prune"], in: root)
        }
        // The group directory goes too once its last attempt is gone.
        let parent = (sandbox.path as NSString).deletingLastPathComponent
        // rmdir only removes an empty folder, so a sandbox another attempt is making there is safe.
        _ = rmdir(parent)
    }

    /// Removes what a crashed process left at `Sandboxes/<group>/<name>` (a worktree it never
    /// removed), so the attempt can be made again under the same name.
    public func removeLeftover(group: String, name: String, base: BaseRepository) async {
        let path = root + "/" + group + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { return }
        try? FileManager.default.removeItem(atPath: path)
        _ = try? await git.runOutcome(["--git-dir=\(base.gitDirectory)", "worktree", "prune"], in: root)
    }

    /// Whether `Sandboxes/<group>/<name>` exists.
    public func hasLeftover(group: String, name: String) -> Bool {
        FileManager.default.fileExists(atPath: root + "/" + group + "/" + name)
    }

    private func prepareRoot() throws {
        try FileManager.default.createDirectory(atPath: repositoriesDirectory, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: excludesFile) {
            let text = "# Written by Patchloop: files test runs leave behind, kept out of patches.\n"
                + SandboxManager.artifactPatterns.joined(separator: "\n") + "\n"
            let temporary = excludesFile + ".\(UUID().uuidString)"
            try text.write(toFile: temporary, atomically: false, encoding: .utf8)
            _ = rename(temporary, excludesFile)
        }
    }
}

/// A sandbox could not be made or used.
public struct SandboxError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
