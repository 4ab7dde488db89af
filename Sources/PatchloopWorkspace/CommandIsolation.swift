import Foundation

/// How commands chosen by a task (its tests) are confined.
public enum CommandIsolation: Sendable, Hashable {
    /// bubblewrap: read-only root, writable worktree, private /tmp, no network, the
    /// whole process tree dies with its parent.
    case bubblewrap
    /// Run directly on the host, with only the timeout, output cap and scrubbed
    /// environment (`--no-sandbox`).
    case none

    /// The process to run for `command` (a shell command line) in `worktree`.
    public func spec(
        command: String,
        worktree: String,
        environment: [String: String],
        timeout: Double,
        outputLimit: OutputLimit = .default
    ) -> ProcessSpec {
        var environment = environment
        switch self {
        case .none:
            return ProcessSpec(
                executable: "/bin/sh", arguments: ["-c", command], workingDirectory: worktree,
                environment: environment, timeout: timeout, outputLimit: outputLimit, mergeStandardError: true)
        case .bubblewrap:
            // HOME must be writable for tools that cache there (swift, pip); the private /tmp is.
            environment["HOME"] = "/tmp"
            environment["TMPDIR"] = "/tmp"
            let arguments = [
                "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                "--bind", worktree, worktree,
                "--unshare-all", "--die-with-parent", "--new-session", "--chdir", worktree,
                // bwrap hands its own environment on to the command.
                "--", "/bin/sh", "-c", command,
            ]
            return ProcessSpec(
                executable: "bwrap", arguments: arguments, workingDirectory: worktree,
                environment: environment, timeout: timeout, outputLimit: outputLimit, mergeStandardError: true)
        }
    }

    /// Checks once that bubblewrap can start here; the message says what to do when not.
    public static func checkBubblewrap(runner: ProcessRunner = ProcessRunner()) async -> String? {
        let environment = ProcessEnvironment.scrubbed()
        guard ProcessRunner.resolveExecutable("bwrap", environment: environment) != nil else {
            return "bubblewrap (bwrap) is not installed: install it (apt-get install -y bubblewrap) or pass --no-sandbox to run tests unconfined"
        }
        let spec = ProcessSpec(
            executable: "bwrap",
            arguments: ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all", "--die-with-parent", "--", "/bin/true"],
            environment: environment, timeout: 20, mergeStandardError: true)
        do {
            let outcome = try await runner.run(spec)
            if outcome.succeeded { return nil }
            return "bubblewrap cannot start here (\(outcome.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines))): user namespaces may be disabled; enable them or pass --no-sandbox to run tests unconfined"
        } catch {
            return "bubblewrap cannot start: \(error); pass --no-sandbox to run tests unconfined"
        }
    }
}
