import Foundation
import Synchronization
import PatchloopCore
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("Git never trusts the worktree")
struct WorktreeGitTests {
    /// Makes the worktree's `.git` a repository of the attacker's whose fsmonitor touches `marker`.
    static func plant(in worktree: String, marker: String) throws {
        let evil = worktree + "/evil"
        try FileManager.default.createDirectory(atPath: evil + "/objects", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: evil + "/refs", withIntermediateDirectories: true)
        try "ref: refs/heads/main\n".write(toFile: evil + "/HEAD", atomically: true, encoding: .utf8)
        try "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfsmonitor = \"touch \(marker)\"\n[core]\n\thooksPath = evil\n"
            .write(toFile: evil + "/config", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: worktree + "/.git")
        try "gitdir: evil\n".write(toFile: worktree + "/.git", atomically: true, encoding: .utf8)
    }

    @Test("a replaced .git file with an fsmonitor hook: diff, changedPaths and apply never run it, and still see the real repository")
    func replacedGitFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let sandbox = try await manager.makeSandbox(from: try await manager.baseRepository(gitRepository: repository), group: "g", name: "n")
        let marker = directory.path + "/PWNED"
        try Self.plant(in: sandbox.path, marker: marker)
        // Discovery would run it: that is the attack (checked so the test cannot pass vacuously).
        let discovered = try await ProcessRunner().run(
            ProcessSpec(executable: "git", arguments: ["add", "-A", "."], workingDirectory: sandbox.path, environment: Git.environment(), timeout: 30))
        #expect(FileManager.default.fileExists(atPath: marker), "the planted fsmonitor should fire under plain discovery: \(discovered.standardError.text)")
        try FileManager.default.removeItem(atPath: marker)

        try "two\n".write(toFile: sandbox.path + "/a.txt", atomically: true, encoding: .utf8)
        let patch = try await sandbox.diff()
        #expect(patch.contains("+two"))
        #expect(patch.contains("evil/config"))
        #expect(try await sandbox.changedPaths().contains("a.txt"))
        let application = try await sandbox.apply(
            patch: "diff --git a/b.txt b/b.txt\nnew file mode 100644\n--- /dev/null\n+++ b/b.txt\n@@ -0,0 +1 @@\n+b\n", isolation: .bubblewrap)
        #expect(application.applied)
        #expect(!FileManager.default.fileExists(atPath: marker), "a git call trusted the worktree's .git")
        await manager.remove(sandbox)
    }

    @Test("a patch naming .git, the per-attempt install's layer, an absolute path or .. is refused before any program applies it")
    func patchPathsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let sandbox = try await manager.makeSandbox(from: try await manager.baseRepository(gitRepository: repository), group: "g", name: "n")
        defer { Task { await manager.remove(sandbox) } }
        let hostile = [
            "--- a/.git\n+++ b/.git\n@@ -1 +1 @@\n-gitdir: x\n+gitdir: evil\n",
            "diff --git a/sub/.GIT/config b/sub/.GIT/config\n--- /dev/null\n+++ b/sub/.GIT/config\n@@ -0,0 +1 @@\n+x\n",
            "--- a/x\n+++ /tmp/escape\n@@ -0,0 +1 @@\n+x\n",
            "--- a/../x\n+++ b/../x\n@@ -0,0 +1 @@\n+x\n",
            "Index: .git/hooks/post-checkout\n*** .git/hooks/post-checkout\n--- .git/hooks/post-checkout\n",
            "diff --git \"a/.git/config\" \"b/.git/config\"\n",
            // The per-attempt install's layer: rewriting its `pytest` would make any patch pass.
            "--- a/.patchloop-venv/bin/pytest\n+++ b/.patchloop-venv/bin/pytest\n@@ -1 +1 @@\n-#!/v/bin/python\n+#!/bin/true\n",
        ]
        for patch in hostile {
            let application = try await sandbox.apply(patch: patch, isolation: .bubblewrap)
            #expect(!application.applied)
            #expect(application.refusal != nil, "\(patch) must be refused")
        }
        // Hunk content is not a header: a removed "-- /usr/x" line and an added "++ .git" line are fine.
        let ordinary = "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1,2 @@\n-one\n+++ .git/config\n+--- /usr/x\n"
        #expect(PatchPaths.problem(in: ordinary) == nil)
        let application = try await sandbox.apply(patch: ordinary, isolation: .bubblewrap)
        #expect(application.applied, "\(application.log)")
    }

    @Test("GNU patch, the last fallback, runs in bubblewrap: a hunk it applies cannot write outside the worktree")
    func patchFallbackIsSandboxed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\ntwo\nthree\nfour\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let sandbox = try await manager.makeSandbox(from: try await manager.baseRepository(gitRepository: repository), group: "g", name: "n")
        // Fuzz is needed (the context is off), so only `patch` applies it.
        let fuzzy = "--- a/a.txt\n+++ b/a.txt\n@@ -1,4 +1,4 @@\n one\n-two\n+TWO\n three\n fore\n"
        let application = try await sandbox.apply(patch: fuzzy, isolation: .bubblewrap)
        #expect(application.applied, "\(application.log)")
        #expect(application.method == "patch --fuzz=5")
        #expect(try String(contentsOfFile: sandbox.path + "/a.txt", encoding: .utf8).contains("TWO"))
        await manager.remove(sandbox)
    }
}

@Suite("Sandboxes: made safely, removed only with proof")
struct SandboxLifecycleTests {
    @Test("a cleanup that removes the empty group folder over and over never breaks worktree creation")
    func worktreeRaceWithCleanup() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        let group = directory.path + "/Sandboxes/race"
        let stop = Flag()
        let remover = Thread {
            while !stop.isSet { _ = rmdir(group) }
        }
        remover.start()
        defer { stop.set() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<24 {
                tasks.addTask {
                    let sandbox = try await manager.makeSandbox(from: base, group: "race", name: "attempt-\(index)")
                    await manager.remove(sandbox)
                }
            }
            try await tasks.waitForAll()
        }
    }

    @Test("leftover cleanup removes what Patchloop made, and nothing it cannot prove it made")
    func leftoversNeedProof() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        let made = try await manager.makeSandbox(from: base, group: "g", name: "crashed")
        try directory.write(["Sandboxes/g/stranger/keep.txt": "not Patchloop's\n"])
        await manager.removeLeftover(group: "g", name: "crashed", base: base)
        await manager.removeLeftover(group: "g", name: "stranger", base: base)
        await manager.removeLeftover(group: "..", name: "g", base: base)
        #expect(!FileManager.default.fileExists(atPath: made.path))
        #expect(FileManager.default.fileExists(atPath: directory.path + "/Sandboxes/g/stranger/keep.txt"))
        await #expect(throws: SandboxError.self) { try await manager.makeSandbox(from: base, group: "g", name: "../../escape") }
    }

    @Test("a task's clone is only read: no worktree or config is written into it, and its hooks never run")
    func cloneIsOnlyRead() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n"])
        let marker = directory.path + "/PWNED"
        try "#!/bin/sh\ntouch \(marker)\n".write(toFile: repository + "/.git/hooks/post-checkout", atomically: true, encoding: .utf8)
        chmod(repository + "/.git/hooks/post-checkout", 0o755)
        let before = try String(contentsOfFile: repository + "/.git/config", encoding: .utf8)
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let sandbox = try await manager.makeSandbox(from: try await manager.baseRepository(gitRepository: repository), group: "g", name: "n")
        #expect(try String(contentsOfFile: sandbox.path + "/a.txt", encoding: .utf8) == "one\n")
        #expect(!FileManager.default.fileExists(atPath: repository + "/.git/worktrees"))
        #expect(try String(contentsOfFile: repository + "/.git/config", encoding: .utf8) == before)
        #expect(!FileManager.default.fileExists(atPath: marker))
        await #expect(throws: SandboxError.self) { try await manager.baseRepository(gitRepository: repository, revision: "--output=/tmp/x") }
        await manager.remove(sandbox)
    }
}

@Suite("Cheap refusals")
struct CheapRefusalTests {
    @Test("a 20 MB path is refused at once, by its length")
    func hugePath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let confinement = PathConfinement(root: directory.path)
        let huge = String(repeating: "a/", count: 10 << 20)
        let error = try #require(throws: PathConfinementError.self) { try confinement.resolve(huge) }
        #expect(error.description.contains("at most 4096"))
        // Many components within the limit: still linear, still refused when they climb out.
        let deep = String(repeating: "x/../", count: 800) + "../escape"
        #expect(throws: PathConfinementError.self) { try confinement.resolve(deep) }
    }

    @Test("anything inside .git is refused, also through .. or a symbolic link, and a dangling link out is refused")
    func gitPathsAndDanglingLinks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(["root/a.txt": "a\n", "root/.git": "gitdir: somewhere\n"])
        let root = directory.path + "/root"
        try FileManager.default.createSymbolicLink(atPath: root + "/gitlink", withDestinationPath: ".git")
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: directory.path + "/not-yet")
        try FileManager.default.createSymbolicLink(atPath: root + "/loop", withDestinationPath: "loop")
        let confinement = PathConfinement(root: root)
        for path in [".git", "./.git", "src/../.git", "sub/.git/config", ".GIT", "gitlink", "dangling", "dangling/file", "loop"] {
            #expect(throws: PathConfinementError.self, "\(path) must be refused") { try confinement.resolve(path) }
        }
        #expect(try confinement.resolve("a.txt") == root + "/a.txt")
        #expect(try confinement.resolve(".gitignore") == root + "/.gitignore")
    }
}

/// A flag set from one thread and read from another.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
