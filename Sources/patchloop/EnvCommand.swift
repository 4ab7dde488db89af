import ArgumentParser
import Foundation
import PatchloopCore
import PatchloopEnvironments
import PatchloopTasks
import PatchloopWorkspace

struct EnvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Build, list and prune the tasks' environments (an interpreter and packages per distinct spec, cached).",
        discussion: """
            A task's `environment` in task.json ({"python": "3.9", "pip": [...], "pre_install": [...], "install": [...], \
            "env": {...}}) is built once per distinct spec into the cache (PATCHLOOP_CACHE, default ~/.cache/patchloop), \
            then bound read-only into every test run's sandbox. eval, score, run and tasks validate build what is missing.
            """,
        subcommands: [BuildEnvironments.self, ListEnvironments.self, PruneEnvironments.self])
}

struct BuildEnvironments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Build the environments the tasks need (each distinct one once); exit 1 if any build failed.")

    @Argument(help: "Task folders, or folders of them (default: Tasks).")
    var tasks: [String] = []

    @Option(help: "Environments built at once.")
    var workers: Int = 2

    @Option(help: "Seconds one build may take.")
    var timeout: Double = 1800

    @Flag(name: .customLong("no-sandbox"), help: "Run the build steps on the host instead of in bubblewrap (only where it cannot run).")
    var noSandbox = false

    @Option(
        help: ArgumentHelp(
            "The container program that image environments are checked in: docker or podman (default: PATCHLOOP_RUNTIME, else whichever is installed).",
            valueName: "docker|podman"))
    var runtime: String?

    func validate() throws {
        try OptionRange.workers(workers)
        guard timeout > 0 else { throw CLIError("--timeout must be above 0 seconds") }
    }

    func run() async throws {
        try await reportingErrors(interruptible: true) {
            EnvironmentSupport.containerRuntime = try EnvironmentSupport.runtimeKind(runtime ?? ProcessInfo.processInfo.environment["PATCHLOOP_RUNTIME"])
            let taskSet = try RunCommandSupport.loadTasks(tasks.isEmpty ? ["Tasks"] : tasks)
            var isolation = CommandIsolation.none
            if !noSandbox {
                if let problem = await CommandIsolation.checkBubblewrap() { throw CLIError(problem, exitCode: 3) }
                isolation = .bubblewrap
            }
            let prepared = await EnvironmentSupport.prepare(taskSet, isolation: isolation, workers: workers, timeout: timeout, quietWhenCached: false)
            let needing = prepared.filter { $0.environment != nil }
            if needing.isEmpty {
                printError("none of the \(taskSet.count) tasks names an environment: nothing to build")
                return 0
            }
            return needing.contains { $0.environmentFailure != nil } ? 1 : 0
        }
    }
}

struct ListEnvironments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the environments in the cache.")

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let cache = EnvironmentCache.standard()
            let entries = cache.entries()
            if json {
                print(JSONValue.array(entries.map { entry in
                    [
                        "key": .string(entry.key), "state": .string(entry.state), "bytes": .number(Double(entry.size)),
                        "manifest": entry.manifest?.json ?? .null, "failure": entry.failure.map { .string($0.message) } ?? .null,
                    ]
                }).prettyEncoded())
                return 0
            }
            printError("cache: \(cache.environmentsDirectory)")
            for entry in entries {
                let size = String(format: "%6.1f MB", Double(entry.size) / 1_000_000)
                if let manifest = entry.manifest {
                    let spec = (try? EnvironmentSpec.parse(manifest.spec, where_: "manifest"))?.summary ?? manifest.spec.encoded()
                    print("\(entry.key)  built   \(size)  Python \(manifest.interpreter.version)  \(manifest.pipFreeze.count) packages  \(spec)  \(manifest.builtAt)")
                } else {
                    print("\(entry.key)  \(entry.state.padding(toLength: 6, withPad: " ", startingAt: 0))  \(size)  \(entry.failure?.message ?? "")")
                }
            }
            print("\(entries.count) environment\(entries.count == 1 ? "" : "s")")
            return 0
        }
    }
}

struct PruneEnvironments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract:
            "Remove failed and unfinished builds; with TASKS, also every environment those tasks do not use and the kept builds of commits they do not check out; with --all, everything.")

    @Argument(help: "Task folders whose environments are kept.")
    var tasks: [String] = []

    @Flag(help: "Remove every environment.")
    var all = false

    func validate() throws {
        if all && !tasks.isEmpty { throw CLIError("--all removes every environment: give either --all or TASKS") }
    }

    func run() async throws {
        try await reportingErrors {
            let keeping: Set<String>?
            // For each kept environment, the base commits its tasks check out: kept builds of other commits go.
            // A bundled task's commit is made by Patchloop, so an environment one uses keeps all its builds.
            var commits: [String: Set<String>] = [:]
            var bundled: Set<String> = []
            if all {
                keeping = []
            } else if tasks.isEmpty {
                keeping = nil
            } else {
                let loaded = try RunCommandSupport.loadTasks(tasks)
                keeping = Set(loaded.compactMap { $0.environment?.key })
                for task in loaded {
                    guard let key = task.environment?.key else { continue }
                    switch task.source {
                    case .git(_, let commit): commits[key, default: []].insert(commit.lowercased())
                    case .files: bundled.insert(key)
                    }
                }
                for key in bundled { commits[key] = nil }
            }
            let cache = EnvironmentCache.standard()
            let removed = cache.prune(keeping: keeping)
            for entry in removed { print("removed \(entry.key) (\(entry.state))") }
            let builds = cache.pruneBuilds(keepingCommits: commits)
            for build in builds { print("removed the kept build \(build.folder): no task uses its commit") }
            let bytes = removed.reduce(Int64(0)) { $0 + $1.size } + builds.reduce(Int64(0)) { $0 + $1.size }
            let buildsPart = builds.isEmpty ? "" : ", \(builds.count) kept build\(builds.count == 1 ? "" : "s") of unused commits"
            print(
                String(
                    format: "%d environment%@ removed%@, %.1f MB freed", removed.count, removed.count == 1 ? "" : "s", buildsPart,
                    Double(bytes) / 1_000_000))
            return 0
        }
    }
}

/// The implicit build before `eval`, `score`, `run` and `tasks validate`.
enum EnvironmentSupport {
    /// `--runtime` of this invocation, set before `prepare`. Unsafe is safe here: one command
    /// per process writes it once, before any task that reads it is started.
    nonisolated(unsafe) static var containerRuntime: ContainerRuntime.Kind?

    /// The first few ids of a group of tasks.
    static func listed(_ ids: [String]) -> String {
        ids.prefix(3).joined(separator: ", ") + (ids.count > 3 ? ", … (\(ids.count) tasks)" : "")
    }

    /// `docker`, `podman` or nothing; anything else is a usage error.
    static func runtimeKind(_ name: String?) throws -> ContainerRuntime.Kind? {
        guard let name, !name.isEmpty else { return nil }
        guard let kind = ContainerRuntime.Kind(rawValue: name) else {
            throw CLIError("--runtime \(SafeName.quoted(name)) is neither docker nor podman")
        }
        return kind
    }

    /// The tasks with their environments built (or their `environment_error`), saying what happened on stderr.
    static func prepare(
        _ tasks: [TaskInstance], isolation: CommandIsolation, workers: Int = 2, timeout: Double = 1800, quietWhenCached: Bool = true
    ) async -> [TaskInstance] {
        guard tasks.contains(where: { $0.environment != nil }) else { return tasks }
        let builder = EnvironmentBuilder(timeout: timeout, isolation: isolation, containerRuntime: containerRuntime)
        return await builder.prepare(tasks, workers: workers) { build, ids in
            let names = listed(ids)
            switch build.result {
            case .success(let manifest):
                if build.cacheHit && quietWhenCached { return }
                let how = build.cacheHit ? "cached" : String(format: "built in %.1f s", build.seconds)
                printError("✔ environment \(build.spec.key) · \(build.spec.summary) · Python \(manifest.interpreter.version) · \(how) · \(names)")
            case .failure(let error):
                printError("✘ environment \(build.spec.key) · \(build.spec.summary) · \(names): \(error.message)")
                if !error.logTail.isEmpty {
                    printError(error.logTail.split(separator: "\n").suffix(15).map { "    " + $0 }.joined(separator: "\n"))
                }
            }
        } onImage: { spec, result, ids in
            switch result {
            case .success(let container):
                if quietWhenCached { return }
                printError("✔ environment \(spec.summary) · \(container.runtime.kind.rawValue) · tests in \(container.image.workdir) · \(listed(ids))")
            case .failure(let error):
                printError("✘ environment \(spec.summary) · \(listed(ids)): \(error.message)")
            }
        }
    }
}
