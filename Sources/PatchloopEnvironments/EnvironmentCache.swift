import Foundation
import PatchloopCore
import PatchloopTasks
import PatchloopWorkspace

/// Where built environments live: `<cache>/environments/<key>/` holding `venv/`,
/// `build.log`, and `manifest.json` (written last, so its presence means a finished build)
/// or `failure.json` (the last build failed).
///
/// The cache is `PATCHLOOP_CACHE`, else `$XDG_CACHE_HOME/patchloop`, else
/// `~/.cache/patchloop`. It is bound read-only into the sandbox after its private `/tmp`,
/// so it works from anywhere, `/tmp` included.
public struct EnvironmentCache: Sendable {
    /// The cache folder (environments go under its `environments/`).
    public var root: String

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    /// The cache the user configured (see the type's description).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> EnvironmentCache {
        if let configured = environment["PATCHLOOP_CACHE"], !configured.isEmpty {
            let absolute = configured.hasPrefix("/") ? configured : FileManager.default.currentDirectoryPath + "/" + configured
            return EnvironmentCache(root: absolute)
        }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return EnvironmentCache(root: base + "/patchloop")
    }

    public var environmentsDirectory: String { root + "/environments" }
    public func directory(for key: String) -> String { environmentsDirectory + "/" + key }
    /// Where the builds of the environment `key` are kept for reuse, one folder per base commit
    /// (`EnvironmentSpec.reuseBuild`); `prune` removes them with their environment.
    public func buildDirectory(for key: String) -> String { root + "/builds/" + key }

    /// The finished build for `key`, if there is one.
    public func manifest(for key: String) -> EnvironmentManifest? {
        let path = directory(for: key) + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path), let document = try? JSONValue.parse(data) else { return nil }
        return EnvironmentManifest(document)
    }

    /// The last failed build of `key`: its message and log tail.
    public func failure(for key: String) -> EnvironmentError? {
        let path = directory(for: key) + "/failure.json"
        guard let data = FileManager.default.contents(atPath: path), let document = try? JSONValue.parse(data) else { return nil }
        return EnvironmentError(document["message"]?.stringValue ?? "the build failed", logTail: document["log_tail"]?.stringValue ?? "")
    }

    /// One entry of `env list`.
    public struct Entry: Sendable {
        public var key: String
        public var manifest: EnvironmentManifest?
        public var failure: EnvironmentError?
        /// Bytes on disk.
        public var size: Int64
        public var state: String { manifest != nil ? "built" : failure != nil ? "failed" : "incomplete" }
    }

    /// Every environment in the cache, sorted by key.
    public func entries() -> [Entry] {
        let keys = ((try? FileManager.default.contentsOfDirectory(atPath: environmentsDirectory)) ?? []).filter { !$0.hasPrefix(".") && !$0.hasSuffix(".lock") }
        return keys.sorted().map { key in
            Entry(
                key: key, manifest: manifest(for: key), failure: failure(for: key),
                size: EnvironmentCache.size(of: directory(for: key)) + EnvironmentCache.size(of: buildDirectory(for: key)))
        }
    }

    /// Removes environments: those not in `keeping` (when given), and always the failed and
    /// incomplete ones. Returns the removed entries.
    @discardableResult
    public func prune(keeping: Set<String>?) -> [Entry] {
        var removed: [Entry] = []
        for entry in entries() {
            let unused = keeping.map { !$0.contains(entry.key) } ?? false
            guard unused || entry.manifest == nil else { continue }
            // An incomplete build may be under way in another process: leave it to its lock holder.
            if entry.manifest == nil, entry.failure == nil, FileLock.isHeld(path: directory(for: entry.key) + ".lock") { continue }
            try? FileManager.default.removeItem(atPath: directory(for: entry.key))
            try? FileManager.default.removeItem(atPath: directory(for: entry.key) + ".lock")
            try? FileManager.default.removeItem(atPath: buildDirectory(for: entry.key))
            removed.append(entry)
        }
        return removed
    }

    /// One kept build that `pruneBuilds` removed.
    public struct RemovedBuild: Sendable {
        public var key: String
        public var folder: String
        public var size: Int64
    }

    /// Removes the kept builds (`reuse_build`) of base commits no task uses any more: for each
    /// environment in `commits`, the builds of commits outside its set. An environment whose
    /// tasks name a commit in another form than 40 hex digits (a short id, a ref) keeps all
    /// its builds, as does one not in `commits`. A build a worktree is writing or copying (it
    /// holds the build's lock) is left alone.
    @discardableResult
    public func pruneBuilds(keepingCommits commits: [String: Set<String>]) -> [RemovedBuild] {
        var removed: [RemovedBuild] = []
        for (key, used) in commits.sorted(by: { $0.key < $1.key }) where used.allSatisfy(SandboxManager.isFullCommitID) {
            let directory = buildDirectory(for: key)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() where !name.hasSuffix(".lock") && !name.contains(".partial-") {
                let commit = String(name.prefix { $0 != "-" })
                guard SandboxManager.isFullCommitID(commit), !used.contains(commit.lowercased()) else { continue }
                let folder = directory + "/" + name
                // Held by a worktree building or copying it: left alone.
                guard let lock = FileLock.tryAcquire(path: folder + ".lock") else { continue }
                defer { lock.release() }
                let size = EnvironmentCache.size(of: folder)
                guard (try? FileManager.default.removeItem(atPath: folder)) != nil else { continue }
                try? FileManager.default.removeItem(atPath: folder + ".lock")
                removed.append(RemovedBuild(key: key, folder: folder, size: size))
            }
        }
        return removed
    }

    static func size(of path: String) -> Int64 {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        while let name = enumerator.nextObject() as? String {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name),
                attributes[.type] as? FileAttributeType == .typeRegular, let size = attributes[.size] as? NSNumber
            {
                total += size.int64Value
            }
        }
        return total
    }
}

/// What a finished build recorded (`manifest.json`).
public struct EnvironmentManifest: Sendable, Hashable {
    public var key: String
    public var spec: JSONValue
    /// The venv folder.
    public var venv: String
    /// The interpreter the venv was made from, its version, `sys.base_prefix` and where it was found.
    public var interpreter: PythonInterpreter
    /// `pip freeze` after the build.
    public var pipFreeze: [String]
    public var buildSeconds: Double
    public var builtAt: String
    /// The build log's path.
    public var log: String

    public init(
        key: String, spec: JSONValue, venv: String, interpreter: PythonInterpreter, pipFreeze: [String], buildSeconds: Double, builtAt: String,
        log: String
    ) {
        self.key = key
        self.spec = spec
        self.venv = venv
        self.interpreter = interpreter
        self.pipFreeze = pipFreeze
        self.buildSeconds = buildSeconds
        self.builtAt = builtAt
        self.log = log
    }

    init?(_ document: JSONValue) {
        guard let key = document["key"]?.stringValue, let venv = document["venv"]?.stringValue,
            let path = document["interpreter"]?.stringValue, let version = document["python_version"]?.stringValue
        else { return nil }
        self.key = key
        self.spec = document["spec"] ?? .null
        self.venv = venv
        self.interpreter = PythonInterpreter(
            path: path, version: version, basePrefix: document["base_prefix"]?.stringValue ?? "",
            source: document["interpreter_source"]?.stringValue ?? "")
        self.pipFreeze = document["pip_freeze"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.buildSeconds = document["build_seconds"]?.doubleValue ?? 0
        self.builtAt = document["built_at"]?.stringValue ?? ""
        self.log = document["log"]?.stringValue ?? ""
    }

    public var json: JSONValue {
        [
            "key": .string(key), "spec": spec, "venv": .string(venv), "interpreter": .string(interpreter.path),
            "python_version": .string(interpreter.version), "base_prefix": .string(interpreter.basePrefix),
            "interpreter_source": .string(interpreter.source), "pip_freeze": .array(pipFreeze.map { .string($0) }),
            "build_seconds": .number(buildSeconds), "built_at": .string(builtAt), "log": .string(log),
        ]
    }
}
