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
public struct Git: Sendable {
    public var runner = ProcessRunner()

    public init() {}

    /// The environment every git call gets: the scrubbed parent environment, with the
    /// user's configuration shut out so that results do not depend on ~/.gitconfig.
    public static func environment(extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessEnvironment.scrubbed()
        for key in environment.keys where key.hasPrefix("GIT_") {
            environment[key] = nil
        }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_TERMINAL_PROMPT"] = "0"
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

    /// Options that keep output machine-readable whatever a repository's own config says.
    static let fixedOptions = [
        "-c", "core.quotePath=false", "-c", "color.ui=false", "-c", "diff.noprefix=false",
        "-c", "diff.mnemonicPrefix=false", "-c", "core.autocrlf=false", "-c", "advice.detachedHead=false",
        "-c", "gc.auto=0",
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
