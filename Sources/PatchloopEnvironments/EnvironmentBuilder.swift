import Foundation
import PatchloopCore
import PatchloopTasks
import PatchloopWorkspace

/// Builds task environments once each, keyed by `EnvironmentSpec.key`, into an
/// `EnvironmentCache`, and hands tasks their `EnvironmentActivation`.
///
/// A Python build: find the interpreter (`PythonLocator`), `python -m venv`, the spec's
/// `pre_install` commands, `pip install` of its requirements (from the index the user's pip
/// is configured with: pip's own config files and `PIP_*`, the proxy variables and the
/// machine's trust store reach it), `pip freeze`. Everything goes to `build.log`; the
/// manifest is written last.
///
/// The steps come from a task file, which may be hostile, so they run in bubblewrap
/// (unless `isolation` is `.none`): with the network (pip needs the index) but writing
/// only the environment's own folder, and reading only the system's folders, the
/// interpreter, and the user's pip settings with the local wheel folders they name —
/// not the user's home, Patchloop's runs, or anything else. The result is only ever seen
/// read-only by test commands.
public struct EnvironmentBuilder: Sendable {
    public var cache: EnvironmentCache
    public var locator: PythonLocator
    /// Seconds a whole build may take.
    public var timeout: Double
    public var runner: ProcessRunner
    /// Patchloop's own environment, from which the build's is drawn.
    public var hostEnvironment: [String: String]
    /// Where build steps run: bubblewrap, or the host under `--no-sandbox`.
    public var isolation: CommandIsolation
    /// The container program for tasks whose environment is an image (`--runtime`); nil:
    /// docker, else podman, whichever is installed.
    public var containerRuntime: ContainerRuntime.Kind?

    public init(
        cache: EnvironmentCache = .standard(), locator: PythonLocator = PythonLocator(), timeout: Double = 1800,
        runner: ProcessRunner = ProcessRunner(), hostEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        isolation: CommandIsolation = .bubblewrap, containerRuntime: ContainerRuntime.Kind? = nil
    ) {
        self.containerRuntime = containerRuntime
        self.cache = cache
        self.locator = locator
        self.timeout = timeout
        self.runner = runner
        self.hostEnvironment = hostEnvironment
        self.isolation = isolation
    }

    /// What one `build` did.
    public struct Build: Sendable {
        public var spec: EnvironmentSpec
        public var result: Result<EnvironmentManifest, EnvironmentError>
        /// The environment was already built: nothing ran.
        public var cacheHit: Bool
        /// Seconds this call took (a cache hit's is the time to find and read the manifest).
        public var seconds: Double
    }

    /// Variables a build passes to pip besides the allow-list: pip's settings, proxies and
    /// certificate bundles, which the user's index may need. Never API keys.
    static func isBuildVariable(_ name: String) -> Bool {
        name.hasPrefix("PIP_") || name.hasPrefix("UV_")
            || ["http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "REQUESTS_CA_BUNDLE",
                "CURL_CA_BUNDLE", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "NETRC"].contains(name)
    }

    /// The environment of build commands, with the venv activated.
    func buildEnvironment(venv: String) -> [String: String] {
        var environment = ProcessEnvironment.allowListed(hostEnvironment)
        for (name, value) in hostEnvironment where EnvironmentBuilder.isBuildVariable(name) { environment[name] = value }
        environment["VIRTUAL_ENV"] = venv
        environment["PATH"] = venv + "/bin:" + (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        environment.removeValue(forKey: "PYENV_VERSION")
        environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        if isolation == .bubblewrap {
            // Host folders the sandbox does not show; pip's settings come in at the private $HOME instead.
            environment.removeValue(forKey: "XDG_CONFIG_HOME")
            environment.removeValue(forKey: "XDG_CACHE_HOME")
        }
        return environment
    }

    /// What a sandboxed build reads besides the system's folders: the interpreter's
    /// folders, and the user's pip settings (shown at the sandbox's `$HOME`, `/tmp`) with the
    /// files and local wheel folders they and the passed variables name. All of it is the
    /// user's configuration, never the task's.
    func sandboxInputs(interpreter: PythonInterpreter) -> (readOnly: [String], mounts: [ReadOnlyMount]) {
        var readOnly: [String] = []
        func show(_ given: String) {
            // Only absolute paths: a relative one (or none) would resolve against the current
            // folder, which may be the user's home.
            guard given.hasPrefix("/") else { return }
            let path = URL(fileURLWithPath: given).standardizedFileURL.path
            guard path != "/", !path.hasPrefix("/usr/"), !readOnly.contains(path),
                FileManager.default.fileExists(atPath: path)
            else { return }
            readOnly.append(path)
        }
        for folder in interpreter.folders { show(folder) }
        // Local paths in the variables a build passes on: PIP_FIND_LINKS, PIP_CERT, CA bundles, NETRC.
        for (name, value) in hostEnvironment where EnvironmentBuilder.isBuildVariable(name) && !name.hasPrefix("XDG_") {
            for word in value.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                if let path = EnvironmentBuilder.localPath(String(word)) { show(path) }
            }
        }
        let home = hostEnvironment["HOME"] ?? NSHomeDirectory()
        let configHome = hostEnvironment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.config"
        var mounts: [ReadOnlyMount] = []
        for (source, destination) in [(configHome + "/pip/pip.conf", "/tmp/.config/pip/pip.conf"), (home + "/.pip/pip.conf", "/tmp/.pip/pip.conf")]
        where FileManager.default.fileExists(atPath: source) {
            mounts.append(ReadOnlyMount(source: source, destination: destination))
        }
        for file in ["/etc/pip.conf", "/etc/xdg/pip/pip.conf"] + mounts.map(\.source) {
            for path in EnvironmentBuilder.pipConfigurationPaths(file) { show(path) }
        }
        return (readOnly, mounts)
    }

    /// The local path a pip setting names (`/opt/wheels`, `file:///opt/wheels`), if any.
    static func localPath(_ value: String) -> String? {
        let value = value.hasPrefix("file://") ? String(value.dropFirst("file://".count)) : value
        return value.hasPrefix("/") ? value : nil
    }

    /// Local files and folders a pip configuration file names (`find-links`, `cert`, `client-cert`).
    static func pipConfigurationPaths(_ file: String) -> [String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        var paths: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, ["find-links", "find_links", "cert", "client-cert", "client_cert"].contains(parts[0]) else { continue }
            paths += parts[1].split(separator: " ").compactMap { localPath(String($0)) }
        }
        return paths
    }

    /// The environment for `spec`: the cached one, or a new build. A failure is a value
    /// (`environment_error` for its tasks), never a throw.
    public func build(_ spec: EnvironmentSpec) async -> Build {
        let started = Date()
        let key = spec.key
        func finish(_ result: Result<EnvironmentManifest, EnvironmentError>, hit: Bool) -> Build {
            Build(spec: spec, result: result, cacheHit: hit, seconds: Date().timeIntervalSince(started))
        }
        if spec.image != nil {
            // An image is not built here: `prepare` checks that it is loaded.
            let failure: EnvironmentError
            switch await containerEnvironment(spec) {
            case .failure(let error): failure = error
            case .success: failure = EnvironmentError("the environment \(spec.summary) is a container image: there is nothing to build")
            }
            return finish(.failure(failure), hit: false)
        }
        func unusable(_ error: any Error) -> Build {
            finish(.failure(EnvironmentError("cannot use the environment cache \(cache.root): \(error.localizedDescription); set PATCHLOOP_CACHE to a writable folder")), hit: false)
        }
        do {
            try FileManager.default.createDirectory(atPath: cache.environmentsDirectory, withIntermediateDirectories: true)
        } catch {
            return unusable(error)
        }
        // A cache another user can change would hand attempts their interpreter and packages.
        if let problem = SandboxManager.rootProblem(
            cache.root, role: "environment cache", fix: "set PATCHLOOP_CACHE to a folder of your own (default ~/.cache/patchloop)")
        {
            return finish(.failure(EnvironmentError(problem)), hit: false)
        }
        if let manifest = cache.manifest(for: key) { return finish(.success(manifest), hit: true) }
        let lock: FileLock
        do {
            lock = try await FileLock.acquire(path: cache.directory(for: key) + ".lock")
        } catch {
            return unusable(error)
        }
        defer { lock.release() }
        // Another process may have finished it while this one waited.
        if let manifest = cache.manifest(for: key) { return finish(.success(manifest), hit: true) }
        return finish(await buildPython(spec, key: key, started: started), hit: false)
    }

    /// Whether a pip version is older than 20.3, the first that installs `manylinux_2_x` (PEP 600) wheels.
    static func pipPredatesManylinux2(_ version: String) -> Bool {
        let parts = version.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
        guard let major = parts.first else { return false }
        return (major, parts.count > 1 ? parts[1] : 0) < (20, 3)
    }

    private func buildPython(_ spec: EnvironmentSpec, key: String, started: Date) async -> Result<EnvironmentManifest, EnvironmentError> {
        let directory = cache.directory(for: key)
        let venv = directory + "/venv"
        let logPath = directory + "/build.log"
        // Whatever an earlier, unfinished build left is started over.
        try? FileManager.default.removeItem(atPath: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return .failure(EnvironmentError("cannot create \(directory): \(error.localizedDescription)"))
        }
        var log = "environment \(key): \(spec.json.encoded())\n"
        func fail(_ message: String) -> Result<EnvironmentManifest, EnvironmentError> {
            log += "\nFAILED: \(message)\n"
            try? log.write(toFile: logPath, atomically: true, encoding: .utf8)
            let error = EnvironmentError("\(message) (build log: \(logPath))", logTail: String(log.suffix(2000)))
            let failure: JSONValue = [
                "message": .string(error.message), "log_tail": .string(error.logTail), "failed_at": .string(RunFileCoding.timestamp(Date())),
            ]
            try? (failure.prettyEncoded() + "\n").write(toFile: directory + "/failure.json", atomically: true, encoding: .utf8)
            return .failure(error)
        }
        let environment = buildEnvironment(venv: venv)
        var sandbox: (readOnly: [String], mounts: [ReadOnlyMount]) = ([], [])
        // Runs one step, logging it; nil when it succeeded, else why not.
        func step(_ executable: String, _ arguments: [String], shell: Bool = false) async -> (ProcessOutcome?, String?) {
            let remaining = timeout - Date().timeIntervalSince(started)
            guard remaining > 0 else { return (nil, "the build took longer than its \(Int(timeout)) s limit") }
            let shown = shell ? arguments.last ?? "" : ([executable] + arguments).joined(separator: " ")
            log += "\n$ \(shown)\n"
            let spec = isolation.spec(
                executable: executable, arguments: arguments, worktree: directory, environment: environment, timeout: remaining,
                outputLimit: OutputLimit(headBytes: 256 << 10, tailBytes: 256 << 10), readOnly: sandbox.readOnly, mounts: sandbox.mounts,
                network: true)
            do {
                let outcome = try await runner.run(spec)
                log += outcome.standardOutput.text
                try? log.write(toFile: logPath, atomically: true, encoding: .utf8)
                if outcome.timedOut { return (outcome, "`\(shown)` hit the build's \(Int(timeout)) s limit") }
                if !outcome.succeeded { return (outcome, "`\(shown)` failed (\(outcome.statusDescription))") }
                return (outcome, nil)
            } catch {
                return (nil, "`\(shown)` could not start: \(error)")
            }
        }

        let interpreter: PythonInterpreter
        do {
            interpreter = try await locator.locate(spec.python ?? "3")
        } catch let error as EnvironmentError {
            return fail(error.message)
        } catch {
            return fail("\(error)")
        }
        log += "interpreter: \(interpreter.path) (Python \(interpreter.version), from \(interpreter.source))\n"
        switch isolation {
        case .bubblewrap:
            sandbox = sandboxInputs(interpreter: interpreter)
            let settings = sandbox.mounts.map(\.source) + sandbox.readOnly
            log += "build steps run in bubblewrap, with the network, writing only \(directory)"
                + "; besides the system they read \(settings.joined(separator: ", "))\n"
        case .none:
            log += "build steps run on the host, unconfined (--no-sandbox)\n"
        }
        if let problem = await step(interpreter.path, ["-m", "venv", venv]).1 { return fail(problem) }
        // An old interpreter's venv has its old pip (Python 3.6's: 18.1), which takes no manylinux_2_x wheel and
        // builds from source what has a wheel (bcrypt, cryptography): it becomes the newest pip that runs there.
        let (pipVersion, _) = await step(venv + "/bin/python", ["-c", "import pip; print(pip.__version__)"])
        if let version = pipVersion?.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines),
            Self.pipPredatesManylinux2(version)
        {
            log += "pip \(version) reads no manylinux_2_x wheel tags (pip 20.3 does): upgrading it\n"
            if let problem = await step(venv + "/bin/python", ["-m", "pip", "install", "--upgrade", "pip>=20.3"]).1 {
                return fail("upgrading pip \(version): \(problem)")
            }
        }
        for command in spec.preInstall {
            if let problem = await step("/bin/sh", ["-c", command], shell: true).1 { return fail("pre_install: \(problem)") }
        }
        if !spec.pip.isEmpty {
            if let problem = await step(venv + "/bin/python", ["-m", "pip", "install"] + spec.pip).1 { return fail("pip install: \(problem)") }
        }
        let (freeze, problem) = await step(venv + "/bin/python", ["-m", "pip", "freeze", "--all"])
        if let problem { return fail(problem) }
        let seconds = Date().timeIntervalSince(started)
        log += String(format: "\nbuilt in %.1f s\n", seconds)
        try? log.write(toFile: logPath, atomically: true, encoding: .utf8)
        let manifest = EnvironmentManifest(
            key: key, spec: spec.json, venv: venv, interpreter: interpreter,
            pipFreeze: (freeze?.standardOutput.text ?? "").split(separator: "\n").map(String.init).filter { !$0.isEmpty },
            buildSeconds: seconds, builtAt: RunFileCoding.timestamp(Date()), log: logPath)
        do {
            try (manifest.json.prettyEncoded() + "\n").write(toFile: directory + "/manifest.json", atomically: true, encoding: .utf8)
        } catch {
            return fail("cannot write the manifest: \(error.localizedDescription)")
        }
        return .success(manifest)
    }

    /// The container program, image, folder and activation for an `image` spec, once the
    /// program is installed, its daemon answers and the image is loaded.
    public func containerEnvironment(_ spec: EnvironmentSpec) async -> Result<ContainerEnvironment, EnvironmentError> {
        await containerEnvironment(spec, runtime: await containerRuntimeReady())
    }

    /// The container program, once it is installed and its daemon answers.
    func containerRuntimeReady() async -> Result<ContainerRuntime, EnvironmentError> {
        let runtime: ContainerRuntime
        if let kind = containerRuntime {
            guard let found = ContainerRuntime.named(kind, base: hostEnvironment) else {
                return .failure(
                    EnvironmentError(
                        "\(kind.rawValue) is not on PATH: install it (\(kind == .docker ? "apt-get install docker.io" : "apt-get install podman runc")) or choose the other with --runtime"))
            }
            runtime = found
        } else {
            guard let found = ContainerRuntime.detect(base: hostEnvironment) else {
                return .failure(
                    EnvironmentError(
                        "no container runtime is installed (neither docker nor podman is on PATH): install one (apt-get install docker.io, or podman) and load the image, or give the task a python environment instead"))
            }
            runtime = found
        }
        if let problem = await runtime.daemonProblem() { return .failure(EnvironmentError(problem)) }
        return .success(runtime)
    }

    func containerEnvironment(_ spec: EnvironmentSpec, runtime ready: Result<ContainerRuntime, EnvironmentError>) async
        -> Result<ContainerEnvironment, EnvironmentError>
    {
        guard let image = spec.image else { return .failure(EnvironmentError("the environment \(spec.summary) names no image")) }
        let runtime: ContainerRuntime
        switch ready {
        case .success(let found): runtime = found
        case .failure(let error): return .failure(EnvironmentError("the task's environment is the container image \(image): \(error.message)"))
        }
        if let problem = await runtime.imageProblem(image) { return .failure(EnvironmentError(problem)) }
        return .success(
            ContainerEnvironment(
                runtime: runtime, image: ContainerImage(name: image, workdir: spec.workdir ?? ContainerImage.defaultWorkdir, activate: spec.activate)))
    }

    /// The activation of a task whose environment is `container`: its tests run there.
    public static func activation(_ container: ContainerEnvironment, spec: EnvironmentSpec) -> EnvironmentActivation {
        var activation = EnvironmentActivation(
            key: spec.key, readOnlyPaths: [], pathEntries: [], variables: spec.variables, worktreeOnPythonPath: false, installCommands: spec.install)
        activation.container = container
        return activation
    }

    /// The activation of a built environment for a task with `spec`; `buildCache` is where
    /// its builds are kept when the spec reuses them.
    public static func activation(_ manifest: EnvironmentManifest, spec: EnvironmentSpec, buildCache: String) -> EnvironmentActivation {
        var activation = plainActivation(manifest, spec: spec)
        if spec.reuseBuild { activation.buildCache = buildCache }
        return activation
    }

    private static func plainActivation(_ manifest: EnvironmentManifest, spec: EnvironmentSpec) -> EnvironmentActivation {
        var readOnly = [URL(fileURLWithPath: manifest.venv).deletingLastPathComponent().path]
        // The venv's python is a link to the interpreter it was made from, whose standard library it uses.
        for folder in manifest.interpreter.folders where !readOnly.contains(folder) { readOnly.append(folder) }
        let minor = manifest.interpreter.version.split(separator: ".").prefix(2).joined(separator: ".")
        let sitePackages = manifest.venv + "/lib/python\(minor)/site-packages"
        if spec.installPerAttempt {
            return .layered(
                key: manifest.key, readOnlyPaths: readOnly, venv: manifest.venv, sitePackages: sitePackages, variables: spec.variables,
                install: spec.install)
        }
        var variables = spec.variables
        variables["VIRTUAL_ENV"] = manifest.venv
        // The venv's packages also reach an interpreter started outside it: a symbolic link to the
        // venv's python is not the venv (Python looks for pyvenv.cfg beside the link), and that is
        // how `tox --current-env`, SWE-bench's test command for Sphinx, runs the tests.
        if FileManager.default.fileExists(atPath: sitePackages) {
            let entries = (spec.variables["PYTHONPATH"].map { [$0] } ?? []) + [sitePackages]
            variables["PYTHONPATH"] = entries.joined(separator: ":")
        }
        return EnvironmentActivation(
            key: manifest.key, readOnlyPaths: readOnly, pathEntries: [manifest.venv + "/bin"], variables: variables, worktreeOnPythonPath: true,
            installCommands: spec.install.filter { !isEditableInstallOfWorktree($0) })
    }

    /// `pip install -e .`, `pip install .` and their spellings, and `setup.py develop`: what the worktree first
    /// on `PYTHONPATH` already gives a pure-Python repository, so they are not run per attempt.
    /// (A read-only venv could not take them anyway.)
    public static func isEditableInstallOfWorktree(_ command: String) -> Bool {
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if words.contains("setup.py"), words.contains("develop") { return true }
        guard let install = words.firstIndex(of: "install"), words[..<install].contains(where: { $0.hasSuffix("pip") || $0.hasSuffix("pip3") }) else {
            return false
        }
        let rest = Array(words[(install + 1)...])
        // `pip install .` too: for a pure-Python repository the worktree on the path is the same code.
        let target: String
        if let flag = rest.firstIndex(where: { $0 == "-e" || $0 == "--editable" }), flag + 1 < rest.count {
            target = rest[flag + 1]
        } else if let first = rest.first(where: { !$0.hasPrefix("-") }) {
            target = first
        } else {
            return false
        }
        let unquoted = target.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        return unquoted == "." || unquoted.hasPrefix(".[") || unquoted == "./"
    }

    /// What `prepare` did for one distinct environment.
    public typealias Progress = @Sendable (Build, _ instanceIDs: [String]) -> Void
    /// What `prepare` found for one distinct image.
    public typealias ImageProgress = @Sendable (EnvironmentSpec, Result<ContainerEnvironment, EnvironmentError>, _ instanceIDs: [String]) -> Void

    /// Builds every distinct environment `tasks` need (each once, up to `workers` at a
    /// time) and returns the tasks with their activation, or their `environment_error`.
    public func prepare(
        _ tasks: [TaskInstance], workers: Int = 2, onBuild: Progress = { _, _ in }, onImage: ImageProgress = { _, _, _ in }
    ) async -> [TaskInstance] {
        // Images are checked, not built: one look per distinct image, folder and activation.
        var images: [String: Result<ContainerEnvironment, EnvironmentError>] = [:]
        // The program and its daemon are asked once; each distinct image then once.
        var ready: Result<ContainerRuntime, EnvironmentError>?
        for task in tasks {
            guard let spec = task.environment, spec.image != nil, images[spec.json.encoded()] == nil else { continue }
            if ready == nil { ready = await containerRuntimeReady() }
            guard let ready else { continue }
            let result = await containerEnvironment(spec, runtime: ready)
            images[spec.json.encoded()] = result
            onImage(spec, result, tasks.filter { $0.environment?.json.encoded() == spec.json.encoded() }.map(\.instanceID))
        }
        var groups: [String: (spec: EnvironmentSpec, ids: [String])] = [:]
        var order: [String] = []
        for task in tasks {
            guard let spec = task.environment, spec.image == nil else { continue }
            if groups[spec.key] == nil {
                order.append(spec.key)
                groups[spec.key] = (spec, [])
            }
            groups[spec.key]?.ids.append(task.instanceID)
        }
        let builds = await withTaskGroup(of: (String, Build).self) { group in
            var results: [String: Build] = [:]
            var next = 0
            func startNext() {
                guard next < order.count else { return }
                let key = order[next]
                next += 1
                guard let entry = groups[key] else { return }
                group.addTask { (key, await self.build(entry.spec)) }
            }
            for _ in 0..<max(1, workers) { startNext() }
            while let (key, build) = await group.next() {
                results[key] = build
                onBuild(build, groups[key]?.ids ?? [])
                startNext()
            }
            return results
        }
        return tasks.map { task in
            var task = task
            if let spec = task.environment, let image = images[spec.json.encoded()] {
                switch image {
                case .success(let container): task.environmentActivation = EnvironmentBuilder.activation(container, spec: spec)
                case .failure(let error): task.environmentFailure = error
                }
                return task
            }
            guard let spec = task.environment, let build = builds[spec.key] else { return task }
            switch build.result {
            case .success(let manifest):
                task.environmentActivation = EnvironmentBuilder.activation(manifest, spec: spec, buildCache: cache.buildDirectory(for: spec.key))
            case .failure(let error): task.environmentFailure = error
            }
            return task
        }
    }
}
