import Foundation
import PatchloopCore

/// One attempt's container: started at its first command, from the task's image, with no
/// network; removed by `close()` (and, after a SIGKILL, by the next Patchloop that uses the
/// daemon: every container is labelled with its owner process and run).
///
/// The agent works on the host worktree; before each command the sandbox's changes since
/// the base commit are copied into the image's folder (a tar stream through `cp -`), and
/// files deleted on the host are deleted inside. What the image built in that folder
/// (compiled extensions, an installed package) stays: the worktree is never mounted over it.
/// The image's folder must hold the task's base commit, as SWE-bench's images do.
public actor ContainerSession {
    /// Label whose value is the owning process (`ContainerRuntime.owner`).
    public static let ownerLabel = "dev.patchloop.owner"
    /// Label whose value is the run id.
    public static let runLabel = "dev.patchloop.run"
    /// Label whose value is this session's id: `close()` removes by it, so a container whose
    /// start was cut short by an interruption (its id never read) goes too.
    public static let sessionLabel = "dev.patchloop.session"
    nonisolated let sessionID = UUID().uuidString.lowercased()

    public nonisolated let runtime: ContainerRuntime
    public nonisolated let image: ContainerImage
    public nonisolated let runID: String
    nonisolated let sandbox: Sandbox
    private var containerID: String?
    /// Paths copied in or deleted so far: a file changed and later put back is copied again.
    private var synced: Set<String> = []
    private var closed = false
    /// Containers started so far (a timeout discards one; the next command starts another).
    public private(set) var containersStarted = 0

    public init(runtime: ContainerRuntime, image: ContainerImage, runID: String, sandbox: Sandbox) {
        self.runtime = runtime
        self.image = image
        self.runID = runID
        self.sandbox = sandbox
    }

    /// The running container's id, if one is running.
    public var currentContainer: String? { containerID }

    /// Runs `command` (a shell line) in the image's folder after the activation, with only
    /// `variables` added to the image's own environment. A timeout kills the container. The
    /// outcome's duration includes starting the container and copying the changes in.
    public func execute(_ command: String, variables: [String: String], timeout: Double, outputLimit: OutputLimit = .default) async throws
        -> ProcessOutcome
    {
        let started = Date()
        let id = try await start()
        let deleted = try await bringChanges(into: id)
        var script = ""
        if !deleted.isEmpty { script += "rm -rf -- " + deleted.map(ContainerSession.shellQuoted).joined(separator: " ") + "\n" }
        if let activate = image.activate { script += activate + "\n" }
        script += command
        var arguments = ["exec", "--workdir=\(image.workdir)"]
        var clientEnvironment = runtime.environment
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) {
            if ContainerSession.steersClient(name) {
                arguments.append("--env=\(name)=\(value)")
            } else {
                // By name: the value goes through the client's environment, not its command
                // line, where any process on the host could read a variable passed with --pass-env.
                clientEnvironment[name] = value
                arguments.append("--env=\(name)")
            }
        }
        // bash where the image has it (conda's `source …/activate` needs it), else sh.
        arguments += [
            "--", id, "/bin/sh", "-c", "if [ -x /bin/bash ]; then exec /bin/bash -c \"$1\"; fi; exec /bin/sh -c \"$1\"", "sh", script,
        ]
        // The command has its whole time limit; starting the container and copying are not charged to it.
        var outcome = try await ProcessRunner().run(
            ProcessSpec(
                executable: runtime.executable, arguments: arguments, environment: clientEnvironment, timeout: timeout,
                outputLimit: outputLimit, mergeStandardError: true))
        outcome.duration = Date().timeIntervalSince(started)
        if outcome.timedOut {
            // Killing the client leaves the tests running inside: the container goes with them.
            await discard()
        } else if Task.isCancelled {
            // Interrupted: no more commands here; `close()` removes the container.
            throw CancellationError()
        } else if outcome.exitCode != 0, await !isRunning(id) {
            await discard()
            throw ContainerError("the container of \(image.name) stopped while running the tests (\(outcome.statusDescription)): \(outcome.standardOutput.text.suffix(500))")
        }
        return outcome
    }

    /// Removes the container (every one this session labelled, even one whose start was
    /// interrupted); later commands are refused.
    public func close() async {
        closed = true
        await discard()
        guard attemptedStart else { return }
        let runtime = runtime
        let filter = "label=\(ContainerSession.sessionLabel)=\(sessionID)"
        _ = await Task.detached {
            guard let listed = try? await runtime.run(["ps", "--all", "--quiet", "--filter", filter], timeout: 60), listed.succeeded else { return }
            let ids = listed.standardOutput.text.split(separator: "\n").map(String.init)
            if !ids.isEmpty { _ = try? await runtime.run(runtime.removeArguments(ids), timeout: 120) }
        }.value
    }

    /// A start was begun (its container may exist even if its id was never read).
    private var attemptedStart = false

    private func discard() async {
        guard let id = containerID else { return }
        containerID = nil
        synced = []
        let runtime = runtime
        // Outside any cancellation, so an interrupted attempt still removes its container.
        _ = await Task.detached { try? await runtime.run(runtime.removeArguments([id]), timeout: 120) }.value
    }

    private func isRunning(_ id: String) async -> Bool {
        let outcome = try? await runtime.run(["inspect", "--format", "{{.State.Running}}", "--", id], timeout: 30)
        return outcome?.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines) == "true"
    }

    private func start() async throws -> String {
        if let containerID { return containerID }
        guard !closed else { throw ContainerError("the container session for \(image.name) is closed") }
        await runtime.sweepOnce()
        attemptedStart = true
        let arguments = [
            "run", "--detach", "--network=none", "--security-opt=no-new-privileges",
            "--label=\(ContainerSession.ownerLabel)=\(ContainerRuntime.owner)", "--label=\(ContainerSession.runLabel)=\(runID)",
            "--label=\(ContainerSession.sessionLabel)=\(sessionID)",
            "--entrypoint=/bin/sh", "--workdir=\(image.workdir)", "--", image.name, "-c", "exec sleep 2147483647",
        ]
        let outcome: ProcessOutcome
        do {
            outcome = try await runtime.run(arguments, timeout: 300)
        } catch {
            throw ContainerError("\(runtime.kind.rawValue) cannot start: \(ErrorText.sentence(for: error))")
        }
        let id = outcome.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard outcome.succeeded, !id.isEmpty, !id.contains(where: \.isWhitespace) else {
            let said = outcome.standardError.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty { _ = try? await runtime.run(runtime.removeArguments([id]), timeout: 120) }
            if let problem = await runtime.daemonProblem() { throw ContainerError(problem) }
            if let problem = await runtime.imageProblem(image.name) { throw ContainerError(problem) }
            throw ContainerError("\(runtime.kind.rawValue) could not start a container of \(image.name) (\(outcome.statusDescription)): \(said.suffix(1000))")
        }
        containerID = id
        containersStarted += 1
        return id
    }

    /// Copies the sandbox's changed files into the container; returns the paths to delete there.
    private func bringChanges(into id: String) async throws -> [String] {
        let changed = try await sandbox.changedPaths()
        let paths = Set(changed).union(synced).filter { PatchPaths.problem(withPath: $0) == nil }.sorted()
        var present: [String] = []
        var absent: [String] = []
        for path in paths {
            var status = stat()
            if lstat(sandbox.path + "/" + path, &status) == 0 { present.append(path) } else { absent.append(path) }
        }
        if !present.isEmpty {
            // Names come on standard input, `./`-prefixed and verbatim: a file named
            // `--checkpoint-action=exec=…` is a file, never a tar option.
            let list = present.map { "./" + $0 }.joined(separator: "\0") + "\0"
            let archive = try await ProcessRunner().run(
                ProcessSpec(
                    executable: "tar",
                    arguments: ["--create", "--file=-", "--directory=\(sandbox.path)", "--no-recursion", "--null", "--verbatim-files-from", "--files-from=-"],
                    environment: ProcessEnvironment.allowListed(), timeout: 300, outputLimit: .large, standardInput: Data(list.utf8)))
            guard archive.succeeded, !archive.standardOutput.isTruncated else {
                throw ContainerError("could not pack the worktree's changes for the container (\(archive.statusDescription)): \(archive.standardError.text.suffix(500))")
            }
            let copy = try await runtime.run(["cp", "--", "-", "\(id):\(image.workdir)"], input: Data(archive.standardOutput.head), timeout: 300)
            guard copy.succeeded else {
                throw ContainerError("could not copy the worktree's changes into the container at \(image.workdir) (\(copy.statusDescription)): \((copy.standardError.text + copy.standardOutput.text).suffix(500))")
            }
        }
        synced.formUnion(paths)
        return absent
    }

    /// Variables the container program itself reads (where its daemon is, its settings, its
    /// proxy): a task's value for one of them goes on the command line, never into the
    /// client's environment, so a task file cannot point the client at another daemon.
    static func steersClient(_ name: String) -> Bool {
        let upper = name.uppercased()
        return ["DOCKER_", "CONTAINER", "XDG_", "BUILDAH", "REGISTRY_", "PODMAN"].contains { upper.hasPrefix($0) }
            || ["PATH", "HOME", "TMPDIR", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR"].contains(upper)
            || upper.hasPrefix("LD_") || upper.hasPrefix("GODEBUG") || upper.hasPrefix("GO")
    }

    /// `text` in single quotes for a POSIX shell.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// A container could not be started or used: an infrastructure failure of the task's
/// environment (`environment_error`), never the model's.
public struct ContainerError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "environment_error: \(message)" }
}
