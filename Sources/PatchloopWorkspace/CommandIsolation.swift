import Foundation
import PatchloopCore
import Synchronization

/// How commands chosen by a task (its tests, its setup) are confined.
public enum CommandIsolation: Sendable, Hashable {
    /// bubblewrap: only what the tests need is visible — the worktree (writable), a
    /// private `/tmp` that is also `$HOME`, and read-only the system's programs and
    /// libraries (`/usr`, `/opt`, a chosen part of `/etc`) and the toolchains on `PATH`.
    /// No network; the whole process tree dies with its parent.
    case bubblewrap
    /// Run directly on the host, with only the timeout, output cap and allow-listed
    /// environment (`--no-sandbox`).
    case none

    /// The process to run for `command` (a shell command line) in `worktree`. `hiding`
    /// names folders the command must not see even if a read-only toolchain folder holds
    /// them (the task's folder with its reference fix, the run directory, the sandboxes).
    /// `readOnly` names more folders to show read-only (a task's built environment), bound
    /// after the private `/tmp`, so they stay visible even when they live under `/tmp`.
    public func spec(
        command: String,
        worktree: String,
        environment: [String: String],
        timeout: Double,
        outputLimit: OutputLimit = .default,
        hiding: [String] = [],
        readOnly: [String] = []
    ) -> ProcessSpec {
        spec(
            executable: "/bin/sh", arguments: ["-c", command], worktree: worktree, environment: environment, timeout: timeout,
            outputLimit: outputLimit, hiding: hiding, readOnly: readOnly)
    }

    /// The process to run `executable` with `arguments` in `worktree`, the only folder it
    /// may write (see `spec(command:…)`). `mounts` show more host paths read-only at other
    /// places (a user's pip settings at the private `$HOME`); `network` keeps the host's
    /// network, for steps that download (an environment's `pip install`), and nothing else.
    public func spec(
        executable: String,
        arguments: [String],
        worktree: String,
        environment: [String: String],
        timeout: Double,
        outputLimit: OutputLimit = .default,
        hiding: [String] = [],
        readOnly: [String] = [],
        mounts: [ReadOnlyMount] = [],
        network: Bool = false
    ) -> ProcessSpec {
        var environment = environment
        // A grading checkout has no `.git`: git started by the command must not take a
        // repository around the tree (Patchloop's own checkout, when Sandboxes/ is in it) for its own.
        environment["GIT_CEILING_DIRECTORIES"] = (worktree as NSString).deletingLastPathComponent
        switch self {
        case .none:
            return ProcessSpec(
                executable: executable, arguments: arguments, workingDirectory: worktree,
                environment: environment, timeout: timeout, outputLimit: outputLimit, mergeStandardError: true)
        case .bubblewrap:
            let view = SandboxView.current(environment: environment)
            // HOME must be writable for tools that cache there (swift, pip); the private /tmp is.
            environment["HOME"] = "/tmp"
            environment["TMPDIR"] = "/tmp"
            for (key, value) in view.environment { environment[key] = value }
            let bubblewrap = view.arguments(worktree: worktree, hiding: hiding, readOnly: readOnly, mounts: mounts, network: network)
            return ProcessSpec(
                executable: "bwrap", arguments: bubblewrap + ["--", executable] + arguments, workingDirectory: worktree,
                environment: environment, timeout: timeout, outputLimit: outputLimit, mergeStandardError: true)
        }
    }

    /// Checks once that bubblewrap can start here; the message says what to do when not.
    public static func checkBubblewrap(runner: ProcessRunner = ProcessRunner()) async -> String? {
        let environment = ProcessEnvironment.allowListed()
        guard ProcessRunner.resolveExecutable("bwrap", environment: environment) != nil else {
            return "bubblewrap (bwrap) is not installed: install it (apt-get install -y bubblewrap) or pass --no-sandbox to run tests unconfined"
        }
        let directory = NSTemporaryDirectory() + "patchloop-bwrap-check-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spec = CommandIsolation.bubblewrap.spec(command: "true", worktree: directory, environment: environment, timeout: 20)
        do {
            let outcome = try await runner.run(spec)
            if outcome.succeeded { return nil }
            return "bubblewrap cannot start here (\(outcome.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines))): user namespaces may be disabled; enable them or pass --no-sandbox to run tests unconfined"
        } catch {
            return "bubblewrap cannot start: \(ErrorText.sentence(for: error)); pass --no-sandbox to run tests unconfined"
        }
    }
}

/// What a sandboxed command sees of the host: an explicit list of read-only folders,
/// never the whole root with holes in it.
public struct SandboxView: Sendable, Hashable {
    /// Folders bound read-only at the same path.
    public var readOnly: [String]
    /// Top-level names that are symbolic links on the host (`/bin -> usr/bin`).
    public var symlinks: [String: String]
    /// Variables the toolchains need to find themselves once `HOME` is the private `/tmp`.
    public var environment: [String: String]

    /// The parts of `/etc` programs read: the loader's cache, users and groups for
    /// `getpwuid`, name service and time zone, certificates, interpreters' own settings.
    /// Not shadow files, ssh keys, sudoers or anything else.
    static let etcEntries = [
        "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "passwd", "group", "nsswitch.conf", "hosts", "host.conf",
        "localtime", "timezone", "ssl", "ca-certificates", "ca-certificates.conf", "pki", "os-release", "debian_version",
        "mime.types", "protocols", "services", "gai.conf", "locale.alias", "fonts", "matplotlibrc",
    ]
    static let etcPrefixes = ["python", "perl", "java-", "gcc", "ruby"]

    /// The view for this machine and `environment`'s `PATH` (computed once per PATH).
    public static func current(environment: [String: String]) -> SandboxView {
        let key = [environment["PATH"] ?? "", environment["PYENV_ROOT"] ?? "", environment["VIRTUAL_ENV"] ?? "",
                   environment["HOME"] ?? ""].joined(separator: "\u{0}")
        return cache.withLock { views in
            if let view = views[key] { return view }
            let view = make(environment: environment)
            views[key] = view
            return view
        }
    }

    private static let cache = Mutex<[String: SandboxView]>([:])

    static func make(environment: [String: String], fileManager: FileManager = .default) -> SandboxView {
        var readOnly: [String] = []
        var symlinks: [String: String] = [:]
        var extra: [String: String] = [:]
        func isDirectory(_ path: String) -> Bool {
            var flag: ObjCBool = false
            return fileManager.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
        }
        // Top-level names that are links on the host (`/bin -> usr/bin`) become the same links.
        func add(_ path: String) {
            var path = URL(fileURLWithPath: path).standardizedFileURL.path
            // A path through one of those links is reached through it: bind what it leads to.
            if symlinks.keys.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) {
                path = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            }
            guard isDirectory(path) || fileManager.fileExists(atPath: path) else { return }
            if readOnly.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { return }
            readOnly.removeAll { $0.hasPrefix(path + "/") }
            readOnly.append(path)
        }
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            if let target = try? fileManager.destinationOfSymbolicLink(atPath: top) {
                symlinks[top] = target
            } else if isDirectory(top) {
                readOnly.append(top)
            }
        }
        for top in ["/usr", "/opt"] where isDirectory(top) { add(top) }
        let etc = (try? fileManager.contentsOfDirectory(atPath: "/etc")) ?? []
        for name in etc.sorted() where etcEntries.contains(name) || etcPrefixes.contains(where: { name.hasPrefix($0) }) {
            add("/etc/" + name)
        }
        // Toolchains on PATH, and the roots they run from.
        for entry in (environment["PATH"] ?? "").split(separator: ":").map(String.init) where entry.hasPrefix("/") && isDirectory(entry) {
            add(entry)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let pyenvRoot = environment["PYENV_ROOT"] ?? home + "/.pyenv"
        if (environment["PATH"] ?? "").contains(pyenvRoot), isDirectory(pyenvRoot) {
            add(pyenvRoot)
            extra["PYENV_ROOT"] = pyenvRoot
        }
        let rustupHome = environment["RUSTUP_HOME"] ?? home + "/.rustup"
        if isDirectory(rustupHome) {
            add(rustupHome)
            extra["RUSTUP_HOME"] = rustupHome
        }
        for name in ["VIRTUAL_ENV", "CONDA_PREFIX", "JAVA_HOME", "GOROOT"] {
            if let path = environment[name], path.hasPrefix("/"), isDirectory(path) { add(path) }
        }
        return SandboxView(readOnly: readOnly.sorted(), symlinks: symlinks, environment: extra)
    }

    /// What a command with the network also reads of `/etc`: the resolver's settings and
    /// pip's machine-wide configuration (its index, certificate, proxy).
    static let networkEtcEntries = ["/etc/resolv.conf", "/etc/pip.conf", "/etc/xdg/pip/pip.conf"]

    /// bubblewrap's arguments for a command in `worktree` (see `CommandIsolation.spec`).
    public func arguments(
        worktree: String, hiding: [String], readOnly extra: [String] = [], mounts: [ReadOnlyMount] = [], network: Bool = false
    ) -> [String] {
        var arguments: [String] = []
        for path in readOnly { arguments += ["--ro-bind", path, path] }
        if network {
            for path in SandboxView.networkEtcEntries where FileManager.default.fileExists(atPath: path) {
                arguments += ["--ro-bind", path, path]
            }
        }
        for (link, target) in symlinks.sorted(by: { $0.key < $1.key }) { arguments += ["--symlink", target, link] }
        arguments += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
        // After the private /tmp: a venv under /tmp would otherwise vanish inside, silently
        // leaving the next `python` on PATH to run instead.
        for path in extra where FileManager.default.fileExists(atPath: path) { arguments += ["--ro-bind", path, path] }
        for mount in mounts where FileManager.default.fileExists(atPath: mount.source) {
            arguments += ["--ro-bind", mount.source, mount.destination]
        }
        // Whatever must stay unseen but lies inside a bound folder is covered up.
        for path in hiding {
            let hidden = URL(fileURLWithPath: path).standardizedFileURL.path
            guard readOnly.contains(where: { hidden == $0 || hidden.hasPrefix($0 + "/") }) else { continue }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: hidden, isDirectory: &isDirectory) else { continue }
            arguments += isDirectory.boolValue ? ["--tmpfs", hidden] : ["--ro-bind", "/dev/null", hidden]
        }
        arguments += [
            "--bind", worktree, worktree,
            "--unshare-all", "--die-with-parent", "--new-session", "--chdir", worktree,
        ]
        if network { arguments.append("--share-net") }
        return arguments
    }
}

/// A host path shown read-only inside the sandbox at another path.
public struct ReadOnlyMount: Sendable, Hashable {
    public var source: String
    public var destination: String

    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
    }
}
