import Foundation

/// A git command failed; carries what git said.
public struct GitError: Error, CustomStringConvertible, Sendable {
    public var arguments: [String]
    public var directory: String
    public var exitCode: Int32?
    public var message: String

    public var description: String {
        let said = message.trimmingCharacters(in: .whitespacesAndNewlines)
        return "git \(arguments.joined(separator: " ")) failed in \(directory) (\(exitCode.map { "exit \($0)" } ?? "killed")): \(said)"
    }
}

/// Runs git with a fixed, reproducible configuration: no user or system config, no
/// pager, no colour, and a fixed identity and date for commits Patchloop makes itself.
///
/// Every call is also hardened against the tree it works on, which a model or a
/// prediction may have written: hooks, fsmonitor, external diff and textconv programs,
/// submodule recursion and replace refs are off, whatever any config says.
public struct Git: Sendable {
    public var runner = ProcessRunner()

    public init() {}

    /// The environment every git call gets: an allow-listed environment, with the user's
    /// configuration shut out so that results do not depend on ~/.gitconfig.
    public static func environment(extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessEnvironment.allowListed()
        for key in environment.keys where key.hasPrefix("GIT_") {
            environment[key] = nil
        }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_ATTR_NOSYSTEM"] = "1"
        environment["GIT_NO_REPLACE_OBJECTS"] = "1"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_PROTOCOL_FROM_USER"] = "0"
        environment["GIT_AUTHOR_NAME"] = "Patchloop"
        environment["GIT_AUTHOR_EMAIL"] = "patchloop@localhost"
        environment["GIT_COMMITTER_NAME"] = "Patchloop"
        environment["GIT_COMMITTER_EMAIL"] = "patchloop@localhost"
        environment["GIT_AUTHOR_DATE"] = "2000-01-01T00:00:00Z"
        environment["GIT_COMMITTER_DATE"] = "2000-01-01T00:00:00Z"
        environment["LC_ALL"] = "C"
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Options that switch off every way a repository's files or config can make git run
    /// a program: command-line `-c` wins over any config file git reads.
    public static let hardeningOptions = [
        "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false",
        "-c", "core.sshCommand=false", "-c", "core.askPass=false", "-c", "credential.helper=",
        "-c", "submodule.recurse=false", "-c", "diff.ignoreSubmodules=all",
        "-c", "status.submoduleSummary=false", "-c", "protocol.allow=never", "-c", "protocol.file.allow=always",
        "-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false", "-c", "core.pager=cat", "-c", "core.editor=false",
        "-c", "sequence.editor=false", "-c", "gc.auto=0", "-c", "maintenance.auto=false",
    ]

    /// Options that keep output machine-readable whatever a repository's own config says.
    static let fixedOptions = hardeningOptions + [
        "-c", "core.quotePath=false", "-c", "color.ui=false", "-c", "diff.noprefix=false",
        "-c", "diff.mnemonicPrefix=false", "-c", "core.autocrlf=false", "-c", "advice.detachedHead=false",
    ]

    /// Runs `git ARGUMENTS` in `directory`; returns standard output, throws on a non-zero exit.
    @discardableResult
    public func run(
        _ arguments: [String],
        in directory: String,
        input: Data? = nil,
        environment extra: [String: String] = [:],
        timeout: Double = 600
    ) async throws -> String {
        let outcome = try await runOutcome(arguments, in: directory, input: input, environment: extra, timeout: timeout)
        guard outcome.succeeded else {
            throw GitError(
                arguments: arguments, directory: directory, exitCode: outcome.exitCode,
                message: outcome.timedOut ? "timed out after \(Int(timeout)) s" : outcome.standardError.text)
        }
        return outcome.standardOutput.text
    }

    /// Runs git and returns the whole outcome, whatever the exit status.
    public func runOutcome(
        _ arguments: [String],
        in directory: String,
        input: Data? = nil,
        environment extra: [String: String] = [:],
        timeout: Double = 600
    ) async throws -> ProcessOutcome {
        try await runner.run(
            ProcessSpec(
                executable: "git",
                arguments: Git.fixedOptions + arguments,
                workingDirectory: directory,
                environment: Git.environment(extra: extra),
                timeout: timeout,
                outputLimit: .large,
                standardInput: input ?? Data()
            ))
    }
}

/// git aimed at one worktree by name — `--git-dir` and `--work-tree`, never discovery
/// through the worktree's `.git` file, which anything writing in the worktree can replace
/// (`gitdir: evil`, with a config that runs a program).
public struct WorktreeGit: Sendable {
    /// The worktree's own git directory (`<repository>/worktrees/<name>`), recorded when
    /// Patchloop made the worktree, before anything else could write there.
    public let gitDirectory: String
    public let workTree: String
    /// The index of a plain checkout (`SandboxManager.makeCheckout`), kept outside the tree;
    /// nil for a worktree, whose index lives in its own git directory. Code that builds its
    /// own git command line from `gitDirectory` and `workTree` must pass it as `GIT_INDEX_FILE`.
    public let indexFile: String?
    public var git = Git()

    public init(gitDirectory: String, workTree: String, indexFile: String? = nil) {
        self.gitDirectory = gitDirectory
        self.workTree = workTree
        self.indexFile = indexFile
    }

    var options: [String] { ["--git-dir=\(gitDirectory)", "--work-tree=\(workTree)"] }

    @discardableResult
    public func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:], timeout: Double = 600) async throws -> String {
        try await git.run(options + arguments, in: workTree, input: input, environment: withIndex(environment), timeout: timeout)
    }

    public func runOutcome(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:], timeout: Double = 600) async throws
        -> ProcessOutcome
    {
        try await git.runOutcome(options + arguments, in: workTree, input: input, environment: withIndex(environment), timeout: timeout)
    }

    private func withIndex(_ environment: [String: String]) -> [String: String] {
        guard let indexFile, environment["GIT_INDEX_FILE"] == nil else { return environment }
        return environment.merging(["GIT_INDEX_FILE": indexFile]) { given, _ in given }
    }

    /// The same git for a worktree Patchloop just made with `git worktree add`: its `.git`
    /// file is read now, before any tool or test has run there, and must point into
    /// `repository`'s `worktrees/`.
    public static func forNewWorktree(_ workTree: String, repository: String) throws -> WorktreeGit {
        let pointer = workTree + "/.git"
        guard let text = try? String(contentsOfFile: pointer, encoding: .utf8), text.hasPrefix("gitdir: ") else {
            throw SandboxError("the new worktree \(workTree) has no .git file from git worktree add")
        }
        var target = text.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        if !target.hasPrefix("/") { target = workTree + "/" + target }
        let resolved = URL(fileURLWithPath: target).standardizedFileURL.path
        let expected = URL(fileURLWithPath: repository).standardizedFileURL.path + "/worktrees/"
        guard resolved.hasPrefix(expected) else {
            throw SandboxError("the new worktree \(workTree) points at \(resolved), not into \(expected)")
        }
        return WorktreeGit(gitDirectory: resolved, workTree: workTree)
    }
}
