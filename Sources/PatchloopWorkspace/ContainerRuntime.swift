import Foundation
import PatchloopCore
import Synchronization

/// A container program (docker or podman) and how to reach its daemon: the one place
/// Patchloop builds their command lines.
///
/// Everything a task names (the image, the folder inside it, the activation) reaches these
/// command lines only as the value of a `--flag=value` argument or after the image, and is
/// checked before (`ContainerImage.problem`), so an image named `--privileged` is refused,
/// never read as an option.
public struct ContainerRuntime: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case docker, podman
    }

    public var kind: Kind
    /// The program's path.
    public var executable: String
    /// The program's own environment: the allow-list plus what finds the daemon
    /// (`DOCKER_HOST`, `CONTAINER_HOST`, `CONTAINERS_CONF`, …). Never handed into a container.
    public var environment: [String: String]

    /// Variables the container program itself needs to find its daemon and settings; none is a secret.
    static let clientVariables = [
        "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "CONTAINER_HOST", "CONTAINERS_CONF",
        "CONTAINERS_STORAGE_CONF", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
    ]

    public init(kind: Kind, executable: String, environment: [String: String]) {
        self.kind = kind
        self.executable = executable
        self.environment = environment
    }

    /// `docker` or `podman` as found on `PATH`, or nil when it is not installed.
    public static func named(_ kind: Kind, base: [String: String] = ProcessInfo.processInfo.environment) -> ContainerRuntime? {
        let environment = ProcessEnvironment.allowListed(base, passing: clientVariables)
        guard let executable = ProcessRunner.resolveExecutable(kind.rawValue, environment: environment) else { return nil }
        return ContainerRuntime(kind: kind, executable: executable, environment: environment)
    }

    /// The first of docker and podman that is installed.
    public static func detect(base: [String: String] = ProcessInfo.processInfo.environment) -> ContainerRuntime? {
        Kind.allCases.lazy.compactMap { named($0, base: base) }.first
    }

    /// Runs the container program with `arguments`.
    public func run(_ arguments: [String], input: Data? = nil, timeout: Double? = 120, outputLimit: OutputLimit = .default) async throws
        -> ProcessOutcome
    {
        try await ProcessRunner().run(
            ProcessSpec(
                executable: executable, arguments: arguments, environment: environment, timeout: timeout, outputLimit: outputLimit,
                standardInput: input))
    }

    /// Why the daemon cannot be used (not running, no permission), or nil when it answers.
    public func daemonProblem() async -> String? {
        let outcome: ProcessOutcome
        do {
            outcome = try await run(["version", "--format", kind == .docker ? "{{.Server.Version}}" : "{{.Version}}"], timeout: 30)
        } catch {
            return "\(kind.rawValue) cannot start: \(ErrorText.sentence(for: error))"
        }
        if outcome.succeeded { return nil }
        let said = (outcome.standardError.text + outcome.standardOutput.text).trimmingCharacters(in: .whitespacesAndNewlines)
        let hint =
            kind == .docker
            ? "start the daemon (systemctl start docker, or dockerd) or point DOCKER_HOST at it"
            : "check podman's setup (podman info), or point CONTAINER_HOST at its service"
        return "the \(kind.rawValue) daemon does not answer (\(said.split(separator: "\n").last.map(String.init) ?? outcome.statusDescription)): \(hint)"
    }

    /// Why `image` cannot be used (it is not loaded), or nil when it is there.
    public func imageProblem(_ image: String) async -> String? {
        if let problem = ContainerImage.nameProblem(image) { return problem }
        let outcome: ProcessOutcome
        do {
            outcome = try await run(["image", "inspect", "--format", "{{.Id}}", "--", image], timeout: 60)
        } catch {
            return "\(kind.rawValue) cannot start: \(ErrorText.sentence(for: error))"
        }
        if outcome.succeeded { return nil }
        return "the image \(image) is not in \(kind.rawValue)'s store: load it (\(kind.rawValue) load -i FILE, or \(kind.rawValue) pull \(image) where a registry can be reached)"
    }

    /// The process that owns the containers this Patchloop starts: host, pid and the
    /// process's start time (so a reused pid is not taken for it).
    public static let owner: String = {
        let pid = getpid()
        return "\(hostName):\(pid):\(processStartTime(pid) ?? "?")"
    }()

    /// The kernel's host name (`uname -n`), as a shell reads it from `/proc/sys/kernel/hostname`.
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Field 22 of `/proc/PID/stat` (start time in clock ticks since boot), nil when the
    /// process is gone or only a zombie (killed, not yet reaped by its parent).
    static func processStartTime(_ pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm) ": state is field 3, start time field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return String(fields[19])
    }

    /// Whether the owner label `owner` names a process that is still alive on this host.
    public static func isAlive(owner: String) -> Bool {
        let parts = owner.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        // Another host's containers (a shared daemon) are not ours to judge.
        guard parts.count == 3, parts[0] == hostName else { return true }
        guard let pid = Int32(parts[1]), pid > 0 else { return false }
        return processStartTime(pid) == parts[2]
    }

    /// Removes every Patchloop container whose owning process has died (killed with SIGKILL,
    /// or a crash) and, with `runID`, every container of that run. Returns their ids.
    @discardableResult
    public func removeLeftovers(runID: String? = nil) async -> [String] {
        // docker's `ps` template has `.Label "name"`; podman's has a map, `.Labels`.
        func label(_ name: String) -> String { kind == .docker ? "{{.Label \"\(name)\"}}" : "{{index .Labels \"\(name)\"}}" }
        guard
            let listed = try? await run(
                ["ps", "--all", "--filter", "label=\(ContainerSession.ownerLabel)", "--format",
                    "{{.ID}}\t\(label(ContainerSession.ownerLabel))\t\(label(ContainerSession.runLabel))"], timeout: 60),
            listed.succeeded
        else { return [] }
        var doomed: [String] = []
        for line in listed.standardOutput.text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            if !ContainerRuntime.isAlive(owner: fields[1]) || (runID != nil && fields[2] == runID) { doomed.append(fields[0]) }
        }
        // Another process sweeping the same daemon may be removing some of them already: `rm` then fails for
        // those while they are still listed. Removed means no longer listed, so remove until none is (bounded).
        var remaining = doomed
        for _ in 0..<20 where !remaining.isEmpty {
            _ = try? await run(removeArguments(remaining), timeout: 120)
            guard
                let left = try? await run(["ps", "--all", "--quiet", "--filter", "label=\(ContainerSession.ownerLabel)"], timeout: 60),
                left.succeeded
            else { break }
            let listed = Set(left.standardOutput.text.split(separator: "\n").map(String.init))
            remaining = remaining.filter(listed.contains)
            if !remaining.isEmpty { try? await Task.sleep(for: .milliseconds(250)) }
        }
        return doomed
    }

    /// `rm -f` without podman's 10 s grace period.
    func removeArguments(_ ids: [String]) -> [String] {
        (kind == .podman ? ["rm", "--force", "--time=0"] : ["rm", "--force"]) + ["--"] + ids
    }

    /// Runtimes whose leftovers this process has already swept (once per daemon).
    static let swept = Mutex<Set<String>>([])

    /// Sweeps dead owners' containers the first time this process uses this daemon.
    func sweepOnce() async {
        let key = executable + "\u{0}" + (environment["DOCKER_HOST"] ?? "") + "\u{0}" + (environment["CONTAINER_HOST"] ?? "")
        let first = ContainerRuntime.swept.withLock { $0.insert(key).inserted }
        if first { await removeLeftovers() }
    }
}

/// What a task's tests run in: an image, the repository's folder inside it, and a shell
/// prefix that activates its environment (SWE-bench's: `/testbed`, conda's `testbed`).
public struct ContainerImage: Sendable, Hashable {
    public var name: String
    public var workdir: String
    public var activate: String?

    public init(name: String, workdir: String, activate: String?) {
        self.name = name
        self.workdir = workdir
        self.activate = activate
    }

    /// SWE-bench's folder.
    public static let defaultWorkdir = "/testbed"

    /// Why `name` is not an image reference (`[registry[:port]/]path[:tag][@digest]`), or nil.
    /// The check is strict on purpose: the name goes onto a container program's command line.
    public static func nameProblem(_ name: String) -> String? {
        let reference = #/^[a-z0-9]+([._-]+[a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/#
        if name.count > 255 || (try? reference.wholeMatch(in: name)) == nil || name.hasPrefix("-") {
            return "\(SafeName.quoted(name)) is not a container image name (lowercase letters, digits, . _ - / and an optional :tag, such as swebench/sweb.eval.x86_64.sympy_1776_sympy-20590)"
        }
        return nil
    }

    /// Why `workdir` cannot be the repository's folder in the image, or nil.
    public static func workdirProblem(_ workdir: String) -> String? {
        let components = workdir.split(separator: "/", omittingEmptySubsequences: false)
        if !workdir.hasPrefix("/") || workdir == "/" || components.contains("..") || components.contains(".")
            || workdir.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) || workdir.count > 1024
        {
            return "\(SafeName.quoted(workdir)) is not a folder inside the image: give an absolute path below / without . or .. (SWE-bench's is /testbed)"
        }
        return nil
    }

    /// Why `activate` cannot be put before the tests' command (it runs in the container's shell), or nil.
    public static func activationProblem(_ activate: String) -> String? {
        if activate.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7f }) {
            return "the activation \(SafeName.quoted(activate)) holds a control character or line break: give one shell line, such as source /opt/miniconda3/bin/activate testbed"
        }
        return nil
    }
}
