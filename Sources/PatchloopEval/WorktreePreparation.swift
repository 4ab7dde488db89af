import Foundation
import PatchloopCore
import PatchloopTasks
import PatchloopWorkspace

/// What a fresh worktree needs before its first test run: the environment's install steps,
/// then the task's setup. The agent's worktree and the scorer's both go through it.
///
/// With `EnvironmentSpec.reuseBuild`, the first worktree of a base commit that prepares
/// successfully leaves its build behind (every file the repository's ignore rules hide,
/// copied as it was right after the install, before anyone changed the worktree); each
/// later worktree of that commit gets a copy first, all its files stamped with one time
/// later than the checkout's, instead of the install (which would find every product up to
/// date); the install that runs again after a patch and before each test run then rebuilds
/// only what the patch or an edit touched. A build is only ever kept from a worktree of the
/// unchanged base commit, never from one a model or a patch has touched.
struct WorktreePreparation {
    var task: TaskInstance
    var suite: TaskTestSuite

    struct Outcome {
        /// The command that failed, and how; nil when every command succeeded.
        var failedCommand: String?
        var failure: ProcessOutcome?
        /// Seconds, the copy of a kept build included.
        var duration: Double = 0
        /// Files copied from a kept build; 0 when none was kept yet or reuse is off.
        var reusedFiles = 0
        /// Files this worktree's build left for the next ones; 0 when it kept none.
        var keptFiles = 0
    }

    func run(in sandbox: Sandbox) async throws -> Outcome {
        var outcome = Outcome()
        let started = Date()
        let kept = keptBuildFolder(for: sandbox)
        var commands = TaskTestSuite.preparationCommands(for: task)
        // One worktree of a commit builds while the others (attempts of one task side by side)
        // wait for its build instead of each compiling the same; the lock goes when this
        // preparation ends, and the kernel drops it if the process dies.
        var lock: FileLock?
        defer { lock?.release() }
        if let kept, !FileManager.default.fileExists(atPath: kept + "/complete") {
            try FileManager.default.createDirectory(atPath: (kept as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            lock = try await FileLock.acquire(path: kept + ".lock")
        }
        if let kept, FileManager.default.fileExists(atPath: kept + "/complete") {
            lock?.release()
            lock = nil
            // Shared while copying: other worktrees may copy at once, and `env prune` (which
            // removes a kept build under the exclusive lock) leaves it alone. Pruned meanwhile:
            // the install runs as if nothing were kept.
            let reading = try await FileLock.acquire(path: kept + ".lock", shared: true)
            defer { reading.release() }
            if FileManager.default.fileExists(atPath: kept + "/complete") {
                outcome.reusedFiles = try KeptBuild.restore(from: kept, into: sandbox.path)
            }
            // The kept build is this commit's install, finished: running it again would only
            // find everything up to date. What changes later is built by the install that runs
            // again after a patch and before each test run. (A layer is made in every worktree.)
            if outcome.reusedFiles > 0, let activation = task.environmentActivation, !activation.usesLayer {
                commands = task.setup
            }
        }
        for command in commands {
            let result = try await suite.execute(command, in: sandbox.path)
            guard result.succeeded else {
                outcome.failedCommand = command
                outcome.failure = result
                outcome.duration = Date().timeIntervalSince(started)
                return outcome
            }
        }
        if let kept, outcome.reusedFiles == 0, !FileManager.default.fileExists(atPath: kept + "/complete") {
            outcome.keptFiles = (try? await KeptBuild.store(from: sandbox, at: kept)) ?? 0
        }
        outcome.duration = Date().timeIntervalSince(started)
        return outcome
    }

    /// `<build cache>/<base commit>-<hash of the preparation and its variables>`; nil when
    /// the environment does not reuse builds.
    func keptBuildFolder(for sandbox: Sandbox) -> String? {
        guard let activation = task.environmentActivation, let cache = activation.buildCache else { return nil }
        let variables = activation.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let recipe = (TaskTestSuite.preparationCommands(for: task) + ["--"] + variables).joined(separator: "\n")
        return cache + "/" + sandbox.base.commit + "-" + StableHash.hex(recipe)
    }
}

/// A build kept for reuse: `files/` (the worktree's ignored files, relative paths kept)
/// and `complete`, written last. Both directions copy only regular files and symbolic
/// links (as links), and never write through a link: the worktree is the repository's,
/// and a hostile one may hold a link where a folder is expected.
enum KeptBuild {
    /// The most a kept build may hold; a larger build is not kept.
    static let byteLimit: Int64 = 4 << 30

    /// Copies the ignored files of `sandbox` to `folder` (made atomically: a partial copy is
    /// never seen as complete); returns how many. Another worktree that kept the same
    /// build first wins.
    static func store(from sandbox: Sandbox, at folder: String) async throws -> Int {
        let listing = try await sandbox.git.run(["ls-files", "-z", "--others", "--ignored", "--exclude-standard"])
        let paths = listing.split(separator: "\0").map(String.init).filter { path in
            // The layer holds absolute paths of this worktree; it is made again in each.
            path != EnvironmentActivation.layerFolder && !path.hasPrefix(EnvironmentActivation.layerFolder + "/")
        }
        guard !paths.isEmpty else { return 0 }
        let manager = FileManager.default
        let temporary = folder + ".partial-" + UUID().uuidString.prefix(8)
        try manager.createDirectory(atPath: temporary + "/files", withIntermediateDirectories: true)
        defer { try? manager.removeItem(atPath: temporary) }
        var bytes: Int64 = 0
        var copied: [String] = []
        for path in paths {
            guard let size = try copyEntry(path, from: sandbox.path, to: temporary + "/files") else { continue }
            bytes += size
            copied.append(path)
            if bytes > byteLimit { return 0 }
        }
        try Data(copied.joined(separator: "\0").utf8).write(to: URL(fileURLWithPath: temporary + "/files.list"))
        try Data().write(to: URL(fileURLWithPath: temporary + "/complete"))
        // rename(2) onto a folder that exists fails: the first complete copy stays.
        guard rename(temporary, folder) == 0 else { return 0 }
        return copied.count
    }

    /// Copies the kept build in `folder` (the files `files.list` names) into `worktree`, then
    /// gives every copied file one modification time, now: later than the checkout's files,
    /// so a build that compares times sees its products up to date, and equal among
    /// themselves, so none of them looks newer than another. Returns how many it copied.
    static func restore(from folder: String, into worktree: String) throws -> Int {
        let list = try String(contentsOfFile: folder + "/files.list", encoding: .utf8)
        var copied: [String] = []
        for path in list.split(separator: "\0").map(String.init) {
            if try copyEntry(path, from: folder + "/files", to: worktree) != nil { copied.append(path) }
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var times = [now, now]
        for path in copied {
            // AT_SYMLINK_NOFOLLOW: a link's own time, never its target's.
            _ = utimensat(AT_FDCWD, worktree + "/" + path, &times, AT_SYMLINK_NOFOLLOW)
        }
        return copied.count
    }

    /// Copies the regular file or link at `source/path` to `target/path`, making the folders
    /// between; nil (nothing copied) when a folder on the way in either tree is a link or
    /// not a folder, the target exists, or the entry is neither a file nor a link.
    /// Returns the bytes copied.
    static func copyEntry(_ path: String, from source: String, to target: String) throws -> Int64? {
        let components = path.split(separator: "/").map(String.init)
        guard !components.isEmpty, !components.contains(".."), !components.contains(".") else { return nil }
        var sourceFolder = source
        var targetFolder = target
        for component in components.dropLast() {
            sourceFolder += "/" + component
            targetFolder += "/" + component
            guard isRealFolder(sourceFolder) else { return nil }
            var status = stat()
            if lstat(targetFolder, &status) != 0 {
                guard mkdir(targetFolder, 0o755) == 0 || isRealFolder(targetFolder) else { return nil }
            } else if (status.st_mode & S_IFMT) != S_IFDIR {
                return nil
            }
        }
        let from = sourceFolder + "/" + components.last!
        let to = targetFolder + "/" + components.last!
        var status = stat()
        guard lstat(from, &status) == 0 else { return nil }
        var existing = stat()
        guard lstat(to, &existing) != 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFLNK:
            let destination = try FileManager.default.destinationOfSymbolicLink(atPath: from)
            guard symlink(destination, to) == 0 else { return nil }
            return 0
        case S_IFREG:
            try copyFile(from, to, mode: status.st_mode & 0o777)
            return Int64(status.st_size)
        default:
            return nil
        }
    }

    static func isRealFolder(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// Copies a regular file's bytes; the target is created (never opened through a link).
    static func copyFile(_ from: String, _ to: String, mode: mode_t) throws {
        let input = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw SandboxError("cannot read \(from) to keep its build: \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let output = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard output >= 0 else { throw SandboxError("cannot write \(to) from a kept build: \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(input, &buffer, buffer.count)
            if count == 0 { break }
            guard count > 0 else { throw SandboxError("cannot read \(from) to keep its build: \(String(cString: strerror(errno)))") }
            var written = 0
            while written < count {
                let result = buffer[written..<count].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
                guard result > 0 else { throw SandboxError("cannot write \(to) from a kept build: \(String(cString: strerror(errno)))") }
                written += result
            }
        }
    }
}
