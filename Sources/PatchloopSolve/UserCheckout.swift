import Foundation
import PatchloopWorkspace

/// The user's git checkout that `solve` works for. It is only read, except by `apply`
/// (`--apply`) and `commitOnNewBranch` (`--branch`).
///
/// The scratch repository that sandboxes are made from borrows the checkout's objects
/// through git's alternates, so worktrees, indexes and new objects all go to the scratch
/// repository under `Sandboxes/`, never into the user's `.git`.
public struct UserCheckout: Sendable {
    /// The top level of the work tree.
    public var root: String
    /// The commit HEAD points at.
    public var head: String
    /// `.git/objects` (of the main repository when the checkout is a linked worktree).
    public var objectsDirectory: String
    /// `.git` (the common directory of a linked worktree).
    public var commonDirectory: String

    let runner = ProcessRunner()

    /// Opens the checkout at (or above) `path`.
    public static func open(_ path: String) async throws -> UserCheckout {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SolveError(.usage, "--repo \(path): no such folder")
        }
        let probe = UserCheckout(root: path, head: "", objectsDirectory: "", commonDirectory: "")
        let topLevel = try await probe.git(["rev-parse", "--show-toplevel"])
        guard topLevel.succeeded else {
            throw SolveError(.usage, "--repo \(path) is not inside a git work tree (solve works on a git checkout; run `git init` and commit first)")
        }
        let root = topLevel.standardOutput.text.trimmingCharacters(in: .newlines)
        let checkout = UserCheckout(root: root, head: "", objectsDirectory: "", commonDirectory: "")
        let head = try await checkout.git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
        guard head.succeeded else {
            throw SolveError(.usage, "\(root) has no commit yet: solve starts from HEAD, so commit something first")
        }
        let paths = try await checkout.git(["rev-parse", "--path-format=absolute", "--git-path", "objects", "--git-common-dir"])
        let lines = paths.standardOutput.text.split(separator: "\n").map(String.init)
        guard paths.succeeded, lines.count == 2 else {
            throw SolveError(.infrastructure, "git cannot say where the objects of \(root) are: \(paths.standardError.text)")
        }
        return UserCheckout(
            root: root, head: head.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines), objectsDirectory: lines[0],
            commonDirectory: lines[1])
    }

    /// The repository's folder name (`calc` for /home/me/src/calc).
    public var name: String { (root as NSString).lastPathComponent }

    /// Uncommitted changes as `git status --porcelain` shows them (`M calc.py`, `?? notes.txt`),
    /// read without refreshing the checkout's index.
    public func uncommittedChanges() async throws -> [String] {
        let outcome = try await git(["status", "--porcelain=v1", "-z", "--untracked-files=all"])
        guard outcome.succeeded else { throw SolveError(.infrastructure, "git status failed in \(root): \(outcome.standardError.text)") }
        var entries: [String] = []
        var fields = outcome.standardOutput.text.split(separator: "\0", omittingEmptySubsequences: true).makeIterator()
        while let field = fields.next() {
            entries.append(String(field))
            // A rename or copy is followed by its source path.
            if field.hasPrefix("R") || field.hasPrefix("C") { _ = fields.next() }
        }
        return entries
    }

    /// Whether tracked files differ from HEAD (in the index or the work tree).
    public static func hasTrackedChanges(_ entries: [String]) -> Bool {
        entries.contains { !$0.hasPrefix("??") }
    }

    /// A scratch repository at `gitDirectory` that sees this checkout's objects, with the
    /// base commit that sandboxes start from: HEAD, or HEAD plus the uncommitted changes
    /// when `includeUncommitted`.
    public func makeScratchRepository(at gitDirectory: String, includeUncommitted: Bool) async throws -> BaseRepository {
        let git = Git()
        try FileManager.default.createDirectory(atPath: (gitDirectory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try await git.run(["init", "--bare", "--quiet", gitDirectory], in: root)
        try (objectsDirectory + "\n").write(toFile: gitDirectory + "/objects/info/alternates", atomically: true, encoding: .utf8)
        // The checkout's own ignore rules, so that its ignored files stay out of an uncommitted snapshot.
        if let exclude = FileManager.default.contents(atPath: commonDirectory + "/info/exclude") {
            try FileManager.default.createDirectory(atPath: gitDirectory + "/info", withIntermediateDirectories: true)
            try exclude.write(to: URL(fileURLWithPath: gitDirectory + "/info/exclude"))
        }
        var commit = head
        if includeUncommitted {
            commit = try await snapshotUncommitted(into: gitDirectory, git: git)
        }
        try await git.run(["--git-dir=\(gitDirectory)", "update-ref", "refs/heads/base", commit], in: root)
        return BaseRepository(gitDirectory: gitDirectory, commit: commit)
    }

    /// A commit on HEAD holding the work tree as it is (tracked changes and untracked,
    /// not ignored files), written to the scratch repository with a temporary index.
    func snapshotUncommitted(into gitDirectory: String, git: Git) async throws -> String {
        let index = gitDirectory + "/snapshot-index"
        defer { try? FileManager.default.removeItem(atPath: index) }
        let environment = ["GIT_INDEX_FILE": index]
        let options = ["--git-dir=\(gitDirectory)", "--work-tree=\(root)"]
        try await git.run(options + ["read-tree", head], in: root, environment: environment)
        try await git.run(options + ["add", "-A", "."], in: root, environment: environment)
        let tree = try await git.run(options + ["write-tree"], in: root, environment: environment)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try await git.run(
            ["--git-dir=\(gitDirectory)", "commit-tree", tree, "-p", head, "-m", "Uncommitted changes of \(root)"], in: root
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Fails with a usage error when `name` is not a valid new branch.
    public func checkNewBranchName(_ name: String) async throws {
        let format = try await git(["check-ref-format", "--branch", name])
        guard format.succeeded, !name.hasPrefix("-") else {
            throw SolveError(.usage, "--branch '\(name)' is not a valid branch name")
        }
        let existing = try await git(["rev-parse", "--verify", "--quiet", "refs/heads/\(name)"])
        if existing.succeeded {
            throw SolveError(.usage, "--branch \(name): the branch already exists in \(root); choose a new name")
        }
    }

    /// Applies `patch` to the work tree (not the index): checked first, so it applies whole or not at all.
    public func apply(patch: String) async throws {
        if let problem = PatchPaths.problem(in: patch) {
            throw SolveError(.infrastructure, "the patch was not applied to \(root): \(problem); your files were not changed")
        }
        let check = try await git(["apply", "--check", "--binary", "-"], input: Data(patch.utf8))
        guard check.succeeded else {
            throw SolveError(
                .infrastructure,
                "the patch does not apply to \(root) as it is now (\(check.standardError.text.trimmingCharacters(in: .whitespacesAndNewlines))); your files were not changed")
        }
        let applied = try await git(["apply", "--binary", "-"], input: Data(patch.utf8))
        guard applied.succeeded else {
            throw SolveError(.infrastructure, "git apply failed in \(root): \(applied.standardError.text)")
        }
    }

    /// Makes branch `name` at HEAD plus one commit holding `patch`, without touching the
    /// work tree or the index (a temporary index builds the commit). Returns the commit id.
    public func commitOnNewBranch(_ name: String, patch: String, message: String) async throws -> String {
        let temporary = NSTemporaryDirectory() + "patchloop-branch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        var environment = ["GIT_INDEX_FILE": temporary + "/index"]
        // The user's identity when git has one, else Patchloop's.
        let hasAuthor = try await git(["var", "GIT_AUTHOR_IDENT"]).succeeded
        let hasCommitter = try await git(["var", "GIT_COMMITTER_IDENT"]).succeeded
        if !hasAuthor || !hasCommitter {
            environment.merge(
                ["GIT_AUTHOR_NAME": "Patchloop", "GIT_AUTHOR_EMAIL": "patchloop@localhost", "GIT_COMMITTER_NAME": "Patchloop",
                 "GIT_COMMITTER_EMAIL": "patchloop@localhost"]) { _, new in new }
        }
        func step(_ arguments: [String], input: Data? = nil) async throws -> String {
            let outcome = try await git(arguments, input: input, environment: environment)
            guard outcome.succeeded else {
                throw SolveError(
                    .infrastructure,
                    "--branch \(name): git \(arguments.first ?? "") failed in \(root): \(outcome.standardError.text.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            return outcome.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try await step(["read-tree", head])
        _ = try await step(["apply", "--cached", "--binary", "-"], input: Data(patch.utf8))
        let tree = try await step(["write-tree"])
        let commit = try await step(["commit-tree", tree, "-p", head, "-F", "-"], input: Data(message.utf8))
        // The empty old value makes the update fail if the branch appeared meanwhile.
        _ = try await step(["update-ref", "-m", "patchloop solve", "refs/heads/\(name)", commit, ""])
        return commit
    }

    /// Runs git in the checkout with the user's own configuration (their identity, their
    /// ignore rules), never taking optional locks, so a read leaves `.git/index` alone;
    /// hooks, fsmonitor and other config-driven programs stay off all the same.
    func git(_ arguments: [String], input: Data? = nil, environment extra: [String: String] = [:]) async throws -> ProcessOutcome {
        var environment = ProcessEnvironment.allowListed()
        for key in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_PREFIX"] {
            environment[key] = nil
        }
        environment["GIT_OPTIONAL_LOCKS"] = "0"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["LC_ALL"] = "C"
        environment.merge(extra) { _, new in new }
        return try await runner.run(
            ProcessSpec(
                executable: "git", arguments: Git.hardeningOptions + ["-c", "core.quotePath=false", "-c", "color.ui=false"] + arguments,
                workingDirectory: root,
                environment: environment, timeout: 300, outputLimit: .large, standardInput: input ?? Data()))
    }
}
