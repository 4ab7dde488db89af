import Foundation
import PatchloopCore

/// A git repository and commit that attempts start from.
public struct BaseRepository: Sendable, Hashable {
    /// The repository's git directory (a bare cache, or a user's `.git`).
    public var gitDirectory: String
    /// The full commit id every sandbox of this base is made at.
    public var commit: String

    public init(gitDirectory: String, commit: String) {
        self.gitDirectory = gitDirectory
        self.commit = commit
    }
}

/// One attempt's scratch tree, checked out at the base commit: a git worktree
/// (`SandboxManager.makeSandbox`) or, for grading, a plain checkout with a private index
/// (`SandboxManager.makeCheckout`).
///
/// The agent's tools read and write inside `path`; `diff()` is the attempt's answer.
/// Every git call names the git directory (and a checkout's index) explicitly (`git`), so
/// nothing written into the tree — a `.git` of its own, a config, a hook — is ever read.
public struct Sandbox: Sendable {
    public var path: String
    public var base: BaseRepository
    /// git for this worktree, never by discovery.
    public let git: WorktreeGit
    let excludesFile: String

    /// The change from the base commit as a patch `git apply` accepts: new files
    /// included, binary-safe, without what test runs leave behind (caches, build
    /// products; see `SandboxManager.artifactPatterns`).
    public func diff() async throws -> String {
        try await stageAll()
        return try await git.run(
            ["diff", "--cached", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", base.commit])
    }

    /// Paths changed since the base commit (after the same exclusions as `diff`).
    public func changedPaths() async throws -> [String] {
        try await stageAll()
        // Without rename detection: a renamed file's old path is changed too.
        let output = try await git.run(["diff", "--cached", "--name-only", "-z", "--no-renames", "--no-ext-diff", base.commit])
        return output.split(separator: "\0").map(String.init)
    }

    private func stageAll() async throws {
        try await git.run(["-c", "core.excludesFile=\(excludesFile)", "add", "-A", "--", "."])
    }

    /// Applies a patch to the worktree, falling back as SWE-bench's harness does:
    /// `git apply`, then `git apply --reject`, then `patch --fuzz=5`.
    ///
    /// A patch that names a path inside any `.git`, an absolute path or a `..` is never
    /// applied by any of them (`PatchPaths`); GNU patch, which follows what the patch
    /// says more freely than git, runs under `isolation` with only the worktree writable.
    public func apply(patch: String, isolation: CommandIsolation) async throws -> PatchApplication {
        if let problem = PatchPaths.problem(in: patch) {
            return PatchApplication(applied: false, method: "", log: "refused: \(problem)\n", refusal: problem)
        }
        let data = Data(patch.utf8)
        var log = ""
        let attempts: [[String]] = [
            ["apply", "--verbose", "--binary", "-"],
            ["apply", "--verbose", "--binary", "--reject", "-"],
        ]
        for arguments in attempts {
            let outcome = try await git.runOutcome(arguments, input: data)
            log += "$ git \(arguments.joined(separator: " "))\n" + outcome.standardError.text + outcome.standardOutput.text
            if outcome.succeeded { return PatchApplication(applied: true, method: arguments.joined(separator: " "), log: log) }
        }
        var spec = isolation.spec(
            command: "patch --batch --fuzz=5 -p1 --forward --no-backup-if-mismatch", worktree: path,
            environment: ProcessEnvironment.allowListed(), timeout: 120)
        spec.standardInput = data
        let outcome = try await git.git.runner.run(spec)
        log += "$ patch --batch --fuzz=5 -p1\n" + outcome.standardOutput.text
        return PatchApplication(applied: outcome.succeeded, method: outcome.succeeded ? "patch --fuzz=5" : "", log: log)
    }
}

/// How a patch went onto a worktree.
public struct PatchApplication: Sendable {
    public var applied: Bool
    /// The command that applied it.
    public var method: String
    /// What the commands said.
    public var log: String
    /// Why the patch was refused without being tried (it touches `.git`, leaves the tree…).
    public var refusal: String?

    public init(applied: Bool, method: String, log: String, refusal: String? = nil) {
        self.applied = applied
        self.method = method
        self.log = log
        self.refusal = refusal
    }
}

/// Creates and removes sandboxes under one root (by default `Sandboxes/`), and keeps
/// the base repositories of tasks that ship as plain files (`Sandboxes/.repos/`).
public struct SandboxManager: Sendable {
    public var root: String
    let git = Git()

    /// Files that test runs and builds leave in a worktree; never part of a patch.
    public static let artifactPatterns = [
        "__pycache__/", "*.pyc", "*.pyo", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", ".hypothesis/", ".benchmarks/",
        ".build/", ".swiftpm/", "*.o", "*.gcda", "*.gcno", ".patchloop-home/",
        ".patchloop-venv/", "*.egg-info/", ".tox/",
    ]

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    var repositoriesDirectory: String { root + "/.repos" }
    var excludesFile: String { repositoriesDirectory + "/artifact-excludes" }

    /// Makes (or reuses) a git repository holding the files of `directory` as one
    /// commit with a fixed author and date, so the commit id depends only on the files.
    public func baseRepository(forFilesIn givenDirectory: String, name: String) async throws -> BaseRepository {
        // Absolute: git runs with this folder as its working directory and as --work-tree.
        let directory = URL(fileURLWithPath: givenDirectory).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: directory) else {
            throw SandboxError("the task's repository files are missing: \(directory) does not exist")
        }
        try prepareRoot()
        let safeName = name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        let gitDirectory = repositoriesDirectory + "/" + String(safeName) + ".git"
        let message = "Base state of \(name)"
        if !FileManager.default.fileExists(atPath: gitDirectory + "/HEAD") {
            // A new repository is made whole beside its final place and renamed in, so
            // concurrent attempts never see half a repository. There `git commit` on the unborn
            // branch `base` makes the very commit that write-tree, commit-tree and update-ref
            // make below (same tree, identity, date and message), in one process instead of three.
            let staging = repositoriesDirectory + "/.init-\(UUID().uuidString).git"
            do {
                try await git.run(SandboxManager.initBare(staging, branch: "base"), in: root)
                let commit = try await commitFiles(of: directory, asFirstCommitOf: staging, message: message)
                try FileManager.default.moveItem(atPath: staging, toPath: gitDirectory)
                return BaseRepository(gitDirectory: gitDirectory, commit: commit)
            } catch {
                try? FileManager.default.removeItem(atPath: staging)
                // Another attempt made the repository first: the files are committed there, below.
                guard FileManager.default.fileExists(atPath: gitDirectory + "/HEAD") else { throw error }
            }
        }
        let index = repositoriesDirectory + "/.index-\(UUID().uuidString)"
        defer { SandboxManager.removeIndex(index) }
        let environment = ["GIT_INDEX_FILE": index]
        let treeOptions = ["--git-dir=\(gitDirectory)", "--work-tree=\(directory)"]
        try await git.run(
            treeOptions + ["-c", "core.excludesFile=\(excludesFile)", "add", "-A", "."], in: directory, environment: environment)
        let tree = try await git.run(treeOptions + ["write-tree"], in: directory, environment: environment)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try await git.run(
            ["--git-dir=\(gitDirectory)", "commit-tree", tree, "-m", message], in: directory
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        // A ref keeps the commit from being pruned (unless it is there already, from an earlier
        // run on the same files); a concurrent writer of the same commit may hold the lock.
        if SandboxManager.looseRef(gitDirectory + "/refs/heads/base") != commit {
            _ = try? await git.runOutcome(["--git-dir=\(gitDirectory)", "update-ref", "refs/heads/base", commit], in: directory)
        }
        return BaseRepository(gitDirectory: gitDirectory, commit: commit)
    }

    /// Commits the files of `directory` as the first commit of the new repository
    /// `gitDirectory` (on its unborn branch `base`) and returns the commit id.
    private func commitFiles(of directory: String, asFirstCommitOf gitDirectory: String, message: String) async throws -> String {
        let index = repositoriesDirectory + "/.index-\(UUID().uuidString)"
        defer { SandboxManager.removeIndex(index) }
        let environment = ["GIT_INDEX_FILE": index]
        let treeOptions = ["--git-dir=\(gitDirectory)", "--work-tree=\(directory)"]
        try await git.run(
            treeOptions + ["-c", "core.excludesFile=\(excludesFile)", "add", "-A", "."], in: directory, environment: environment)
        try await git.run(
            treeOptions + ["-c", "core.logAllRefUpdates=false", "commit", "--quiet", "--no-verify", "--allow-empty", "-m", message],
            in: directory, environment: environment)
        if let commit = SandboxManager.looseRef(gitDirectory + "/refs/heads/base") { return commit }
        return try await git.run(["--git-dir=\(gitDirectory)", "rev-parse", "--verify", "refs/heads/base^{commit}"], in: root)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The commit id in a loose ref file, or nil (no such file, or no id in it).
    static func looseRef(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return isFullCommitID(id) ? id : nil
    }

    /// Whether `text` is a whole commit id: 40 hex digits, not a short id or a ref name.
    public static func isFullCommitID(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy(\.isHexDigit)
    }

    /// The base of an existing git repository at `revision` (a user's checkout, or a
    /// local clone named by a SWE-bench task).
    ///
    /// The clone is only read: its git directory is found without discovery, the revision
    /// resolved there with every config-driven program off, and attempts are checked out
    /// from a scratch repository under `Sandboxes/.repos/` that borrows the clone's objects
    /// (git alternates). Nothing is written into the clone, and no config, hook or
    /// attribute driver of the clone's runs while Patchloop works on its trees.
    public func baseRepository(gitRepository directory: String, revision: String = "HEAD") async throws -> BaseRepository {
        if let problem = SandboxManager.revisionProblem(revision) {
            throw SandboxError("revision '\(revision)' of \(directory) \(problem)")
        }
        let source = try SandboxManager.gitDirectory(of: directory)
        try prepareRoot()
        let resolved = try await git.runOutcome(
            ["--git-dir=\(source)", "rev-parse", "--verify", "--quiet", "--end-of-options", "\(revision)^{commit}"], in: root)
        let commit = resolved.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard resolved.succeeded, commit.count >= 40, commit.allSatisfy(\.isHexDigit) else {
            throw SandboxError("\(directory) has no commit '\(revision)': fetch it into the clone, or fix base_commit")
        }
        let objects = URL(fileURLWithPath: source + "/objects").standardizedFileURL.path
        let gitDirectory = repositoriesDirectory + "/clone-" + StableHash.hex(objects) + ".git"
        if !FileManager.default.fileExists(atPath: gitDirectory + "/HEAD") {
            let staging = repositoriesDirectory + "/.init-\(UUID().uuidString).git"
            try await git.run(SandboxManager.initBare(staging), in: root)
            try (objects + "\n").write(toFile: staging + "/objects/info/alternates", atomically: true, encoding: .utf8)
            do {
                try FileManager.default.moveItem(atPath: staging, toPath: gitDirectory)
            } catch {
                try? FileManager.default.removeItem(atPath: staging)
                guard FileManager.default.fileExists(atPath: gitDirectory + "/HEAD") else { throw error }
            }
        }
        // A ref per commit keeps it reachable in the scratch repository.
        _ = try? await git.runOutcome(["--git-dir=\(gitDirectory)", "update-ref", "refs/bases/\(commit)", commit], in: root)
        return BaseRepository(gitDirectory: gitDirectory, commit: commit)
    }

    /// `git init` of a bare base repository without git's template: no sample hooks (hooks
    /// never run here), no `description` or `info/exclude` — 9 files and folders instead of
    /// 27, which counts where every task makes its own repository.
    static func initBare(_ path: String, branch: String? = nil) -> [String] {
        ["init", "--bare", "--quiet", "--template="] + (branch.map { ["--initial-branch=\($0)"] } ?? []) + [path]
    }

    /// The git directory of a repository on disk, found without running git in it:
    /// `DIR/.git` when that is a folder, or `DIR` itself when it is a bare repository.
    static func gitDirectory(of directory: String) throws -> String {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path + "/.git", isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SandboxError("\(directory)/.git is a file (a worktree or submodule): give the main clone's folder instead")
            }
            return path + "/.git"
        }
        if FileManager.default.fileExists(atPath: path + "/HEAD") && FileManager.default.fileExists(atPath: path + "/objects") {
            return path
        }
        throw SandboxError("\(directory) is not a git repository (no .git folder): clone the repository there first")
    }

    /// Why `revision` cannot be a revision Patchloop passes to git, or nil.
    public static func revisionProblem(_ revision: String) -> String? {
        if revision.isEmpty { return "is empty" }
        if revision.count > 256 { return "is longer than 256 characters" }
        if revision.hasPrefix("-") { return "starts with '-'" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-/~^@{}"))
        if revision.unicodeScalars.contains(where: { !$0.isASCII || !allowed.contains($0) }) || revision.contains("..") {
            return "is not a commit id or a plain ref name"
        }
        return nil
    }

    /// Checks out `base` into a new worktree at `Sandboxes/<group>/<name>`.
    ///
    /// The attempt's own folder is made first (and marked as Patchloop's), so no concurrent
    /// cleanup can take its group folder away while `git worktree add` fills it.
    public func makeSandbox(from base: BaseRepository, group: String, name: String) async throws -> Sandbox {
        let path = try makeSandboxFolder(group: group, name: name)
        do {
            try await RepositoryLocks.shared.withLock(base.gitDirectory) {
                try await git.run(
                    ["--git-dir=\(base.gitDirectory)", "-c", "checkout.workers=0", "worktree", "add", "--detach", "--quiet", path, base.commit],
                    in: root)
            }
            let worktreeGit = try WorktreeGit.forNewWorktree(path, repository: base.gitDirectory)
            return Sandbox(path: path, base: base, git: worktreeGit, excludesFile: excludesFile)
        } catch {
            _ = rmdir(path)
            try? FileManager.default.removeItem(atPath: markerPath(group: group, name: name))
            throw error
        }
    }

    /// Checks out `base` into a plain folder at `Sandboxes/<group>/<name>`: the commit's files
    /// and a private index beside the folder (`.<name>.index`), with nothing registered in the
    /// base repository.
    ///
    /// One git process (`read-tree -u`) where a worktree takes three to make and one to
    /// remove, no per-repository lock, and removal without git: the checkout for grading,
    /// which needs the files, `apply` and `git checkout -- PATHS`, but no `.git` in the tree
    /// and nothing that lists the repository's worktrees. Every git call still names the
    /// repository, the tree and the index explicitly (`sandbox.git`).
    public func makeCheckout(from base: BaseRepository, group: String, name: String) async throws -> Sandbox {
        let path = try makeSandboxFolder(group: group, name: name)
        let index = indexPath(group: group, name: name)
        let checkoutGit = WorktreeGit(gitDirectory: base.gitDirectory, workTree: path, indexFile: index)
        do {
            try await checkoutGit.run(["-c", "checkout.workers=0", "read-tree", "--reset", "-u", base.commit])
            return Sandbox(path: path, base: base, git: checkoutGit, excludesFile: excludesFile)
        } catch {
            // Only what this call made: the folder it created (with what read-tree wrote) and the index
            // (with the lock a killed read-tree leaves).
            try? FileManager.default.removeItem(atPath: path)
            SandboxManager.removeIndex(index)
            try? FileManager.default.removeItem(atPath: markerPath(group: group, name: name))
            throw error
        }
    }

    /// Makes the empty folder `Sandboxes/<group>/<name>` and its marker. The attempt's own
    /// folder is made before anything fills it, so no concurrent cleanup can take its group
    /// folder away meanwhile.
    private func makeSandboxFolder(group: String, name: String) throws -> String {
        for (field, value) in [("run id", group), ("sandbox name", name)] {
            if let problem = SafeName.problem(with: value) { throw SandboxError("\(field) '\(value)' \(problem)") }
        }
        try prepareRoot()
        let parent = root + "/" + group
        let path = parent + "/" + name
        var made = false
        for _ in 0..<20 where !made {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            if mkdir(path, 0o755) == 0 {
                made = true
            } else if errno == EEXIST {
                throw SandboxError("sandbox \(path) already exists: another attempt uses it (choose another run id)")
            } else if errno != ENOENT {
                throw SandboxError("cannot make \(path): \(String(cString: strerror(errno)))")
            }
            // ENOENT: a concurrent cleanup removed the empty group folder just now; make it again.
        }
        guard made else { throw SandboxError("cannot make \(path): its folder keeps disappearing") }
        try? "\(getpid())\n".write(toFile: markerPath(group: group, name: name), atomically: false, encoding: .utf8)
        return path
    }

    /// `Sandboxes/<group>/.<name>.index`: the index of a plain checkout, outside its tree
    /// (and so out of reach of what runs in the sandbox).
    func indexPath(group: String, name: String) -> String {
        root + "/" + group + "/." + name + ".index"
    }

    /// Removes a plain checkout's index, and the `<index>.lock` a git command killed while
    /// it held the index leaves beside it.
    static func removeIndex(_ index: String) {
        try? FileManager.default.removeItem(atPath: index)
        try? FileManager.default.removeItem(atPath: index + ".lock")
    }

    /// `Sandboxes/<group>/.<name>.patchloop`: proof that Patchloop made `<name>` there.
    func markerPath(group: String, name: String) -> String {
        root + "/" + group + "/." + name + ".patchloop"
    }

    /// Removes a sandbox: a worktree and its registration in the base repository, or a
    /// plain checkout and its index.
    public func remove(_ sandbox: Sandbox) async {
        if let index = sandbox.git.indexFile {
            // Nothing of a plain checkout is registered in the repository: no git, no lock.
            try? FileManager.default.removeItem(atPath: sandbox.path)
            SandboxManager.removeIndex(index)
        } else {
            await removeWorktree(sandbox)
        }
        let parent = (sandbox.path as NSString).deletingLastPathComponent
        let name = (sandbox.path as NSString).lastPathComponent
        try? FileManager.default.removeItem(atPath: parent + "/." + name + ".patchloop")
        // The group folder goes too once its last attempt is gone; rmdir only removes an
        // empty folder, and an attempt being made there already has its own folder in it.
        _ = rmdir(parent)
    }

    private func removeWorktree(_ sandbox: Sandbox) async {
        _ = try? await RepositoryLocks.shared.withLock(sandbox.base.gitDirectory) {
            let outcome = try? await git.runOutcome(
                ["--git-dir=\(sandbox.base.gitDirectory)", "worktree", "remove", "--force", "--force", sandbox.path], in: root)
            if outcome?.succeeded != true {
                try? FileManager.default.removeItem(atPath: sandbox.path)
                _ = try? await git.runOutcome(["--git-dir=\(sandbox.base.gitDirectory)", "worktree", "prune"], in: root)
            }
        }
    }

    /// Removes what a crashed process left at `Sandboxes/<group>/<name>` (a worktree or a
    /// plain checkout it never removed, with a checkout's index), so the attempt can be made
    /// again under the same name. Only what Patchloop can prove it made goes: a folder with
    /// its marker, or a worktree registered in `base`.
    public func removeLeftover(group: String, name: String, base: BaseRepository) async {
        guard SafeName.isSafe(group), SafeName.isSafe(name) else { return }
        let path = root + "/" + group + "/" + name
        let marker = markerPath(group: group, name: name)
        let registrations = SandboxManager.registrations(of: path, in: base)
        guard FileManager.default.fileExists(atPath: marker) || !registrations.isEmpty else { return }
        try? FileManager.default.removeItem(atPath: path)
        SandboxManager.removeIndex(indexPath(group: group, name: name))
        _ = try? await RepositoryLocks.shared.withLock(base.gitDirectory) {
            // A `worktree add` killed half-way leaves its entry locked, where `prune` never
            // looks: the entries that name this path are removed by hand.
            for entry in registrations { try? FileManager.default.removeItem(atPath: entry) }
            _ = try? await git.runOutcome(["--git-dir=\(base.gitDirectory)", "worktree", "prune"], in: root)
        }
        try? FileManager.default.removeItem(atPath: marker)
    }

    /// Removes, from every base repository under `.repos/`, the worktree entries that point
    /// into `Sandboxes/<group>/` at a folder that no longer exists: what git commands killed
    /// by an interruption leave behind for this run (the group is the run's own).
    public func sweepRegistrations(group: String) async {
        guard SafeName.isSafe(group) else { return }
        let prefix = root + "/" + group + "/"
        let repositories = (try? FileManager.default.contentsOfDirectory(atPath: repositoriesDirectory)) ?? []
        for repository in repositories where repository.hasSuffix(".git") {
            let gitDirectory = repositoriesDirectory + "/" + repository
            let folder = gitDirectory + "/worktrees"
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder), !entries.isEmpty else { continue }
            _ = try? await RepositoryLocks.shared.withLock(gitDirectory) {
                for entry in entries {
                    guard let pointer = try? String(contentsOfFile: folder + "/" + entry + "/gitdir", encoding: .utf8) else { continue }
                    let worktree = (pointer.trimmingCharacters(in: .whitespacesAndNewlines) as NSString).deletingLastPathComponent
                    if worktree.hasPrefix(prefix), !FileManager.default.fileExists(atPath: worktree) {
                        try? FileManager.default.removeItem(atPath: folder + "/" + entry)
                    }
                }
            }
        }
    }

    /// The entries under `base`'s `worktrees/` that belong to a worktree at `path`.
    static func registrations(of path: String, in base: BaseRepository) -> [String] {
        let folder = base.gitDirectory + "/worktrees"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let name = (path as NSString).lastPathComponent
        return entries.filter { entry in
            let pointer = (try? String(contentsOfFile: folder + "/" + entry + "/gitdir", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if let pointer { return pointer == path + "/.git" }
            // Killed before it wrote where it points: git names the entry after the folder
            // (with a number when taken) and locks it "initializing" until it is done.
            let locked = (try? String(contentsOfFile: folder + "/" + entry + "/locked", encoding: .utf8)) ?? ""
            return entry.hasPrefix(name) && entry.dropFirst(name.count).allSatisfy(\.isNumber) && locked.hasPrefix("initializing")
        }.map { folder + "/" + $0 }
    }

    /// The sandbox names that have something left in `Sandboxes/<group>/`: a folder, its
    /// marker, a checkout's index or that index's lock.
    public func leftoverNames(group: String) -> Set<String> {
        guard SafeName.isSafe(group) else { return [] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + group)) ?? []
        return Set(
            entries.map { entry in
                for suffix in [".patchloop", ".index", ".index.lock"] where entry.hasPrefix(".") && entry.hasSuffix(suffix) {
                    return String(entry.dropFirst().dropLast(suffix.count))
                }
                return entry
            })
    }

    /// Whether `Sandboxes/<group>/<name>` exists.
    public func hasLeftover(group: String, name: String) -> Bool {
        guard SafeName.isSafe(group), SafeName.isSafe(name) else { return false }
        return FileManager.default.fileExists(atPath: root + "/" + group + "/" + name)
    }

    private func prepareRoot() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if let problem = SandboxManager.rootProblem(root) { throw SandboxError(problem) }
        try FileManager.default.createDirectory(atPath: repositoriesDirectory, withIntermediateDirectories: true)
        let text = "# Written by Patchloop: files test runs leave behind, kept out of patches.\n"
            + SandboxManager.artifactPatterns.joined(separator: "\n") + "\n"
        // Rewritten when an earlier version left other patterns.
        if (try? String(contentsOfFile: excludesFile, encoding: .utf8)) != text {
            let temporary = excludesFile + ".\(UUID().uuidString)"
            try text.write(toFile: temporary, atomically: false, encoding: .utf8)
            _ = rename(temporary, excludesFile)
        }
    }
}

extension SandboxManager {
    /// Why `root` is no safe place for sandboxes (or, as `role` says, for the environment
    /// cache), or nil. Patchloop checks out, patches, builds and reads back files there, so no
    /// other user may be able to change them underneath it:
    /// - the folder (links followed) must not be writable by others;
    /// - in a folder anyone can write (`/tmp`, `/dev/shm`), where anyone could have made it
    ///   first, it must be this user's;
    /// - every folder above it that others can write must be sticky (as `/tmp` and `/dev/shm`
    ///   are), so no one can rename it away and put a folder of their own in its place.
    /// Elsewhere a folder may belong to another user (a checkout someone else cloned, run as
    /// root): whoever owns the folder above it let it be there, and owns the checkout too.
    /// Group-writable folders are allowed (a user's private group).
    public static func rootProblem(
        _ root: String, role: String = "sandbox folder",
        fix: String = "give --sandboxes (or PATCHLOOP_SANDBOXES) a folder of your own, e.g. mkdir -m 700 /dev/shm/$USER-sandboxes"
    ) -> String? {
        let resolved = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        var info = stat()
        guard stat(resolved, &info) == 0 else {
            return "the \(role) \(root) cannot be read: \(String(cString: strerror(errno)))"
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "the \(role) \(root) is not a folder" }
        if info.st_mode & S_IWOTH != 0 {
            return "any user can write the \(role) \(resolved), and so change what Patchloop uses there: chmod o-w it, or \(fix)"
        }
        let owner = info.st_uid
        var folder = (resolved as NSString).deletingLastPathComponent
        var isParent = true
        while !folder.isEmpty {
            guard stat(folder, &info) == 0 else { return "\(folder), above the \(role), cannot be read: \(String(cString: strerror(errno)))" }
            let anyoneWrites = info.st_mode & S_IWOTH != 0
            if anyoneWrites && info.st_mode & S_ISVTX == 0 {
                return "any user can write \(folder), above the \(role) \(resolved), and put a folder of their own in its place: \(fix)"
            }
            if isParent && anyoneWrites && owner != geteuid() {
                return "the \(role) \(resolved) belongs to another user (uid \(owner)), who could change what Patchloop uses there: \(fix)"
            }
            if folder == "/" { break }
            folder = (folder as NSString).deletingLastPathComponent
            isParent = false
        }
        return nil
    }
}

/// A sandbox could not be made or used.
public struct SandboxError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

