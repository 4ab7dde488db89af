import Foundation
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("Plain checkouts for grading")
struct PlainCheckoutTests {
    @Test("a plain checkout holds the base files, no .git and no worktree registration; git works on it through its private index; removal leaves nothing")
    func checkoutLifecycle() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(
            in: directory, files: ["src/a.py": "x = 1\n", "tests/test_a.py": "def test(): pass\n", "run.sh": "#!/bin/sh\necho run\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        let checkout = try await manager.makeCheckout(from: base, group: "g", name: "t-score")

        #expect(checkout.path == directory.path + "/Sandboxes/g/t-score")
        #expect(try String(contentsOfFile: checkout.path + "/src/a.py", encoding: .utf8) == "x = 1\n")
        #expect(!FileManager.default.fileExists(atPath: checkout.path + "/.git"))
        #expect(!FileManager.default.fileExists(atPath: base.gitDirectory + "/worktrees"))
        let index = try #require(checkout.git.indexFile)
        #expect(!index.hasPrefix(checkout.path + "/"), "the index must lie outside the tree the tests write")
        #expect(FileManager.default.fileExists(atPath: index))
        #expect(try await checkout.diff().isEmpty)

        // A candidate patch, then the test files put back as the scorer does.
        let application = try await checkout.apply(
            patch: "--- a/src/a.py\n+++ b/src/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n", isolation: .bubblewrap)
        #expect(application.applied, "\(application.log)")
        try "tampered\n".write(toFile: checkout.path + "/tests/test_a.py", atomically: true, encoding: .utf8)
        try await checkout.git.run(["checkout", base.commit, "--", "tests/test_a.py"])
        #expect(try String(contentsOfFile: checkout.path + "/tests/test_a.py", encoding: .utf8) == "def test(): pass\n")
        #expect(try await checkout.changedPaths() == ["src/a.py"])

        await manager.remove(checkout)
        #expect(!FileManager.default.fileExists(atPath: checkout.path))
        #expect(!FileManager.default.fileExists(atPath: index))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/Sandboxes/g"))
    }

    @Test("the files of a plain checkout equal those of a worktree of the same base, modes and links included")
    func sameFilesAsAWorktree() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(["files/a.txt": "one\n", "files/bin/tool": "#!/bin/sh\n", "files/deep/er/b.txt": "two\n"])
        chmod(directory.path + "/files/bin/tool", 0o755)
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/files/link", withDestinationPath: "a.txt")
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(forFilesIn: directory.path + "/files", name: "t")
        let worktree = try await manager.makeSandbox(from: base, group: "g", name: "worktree")
        let checkout = try await manager.makeCheckout(from: base, group: "g", name: "checkout")
        for path in ["a.txt", "bin/tool", "deep/er/b.txt"] {
            #expect(FileManager.default.contents(atPath: worktree.path + "/" + path) == FileManager.default.contents(atPath: checkout.path + "/" + path))
        }
        #expect(FileManager.default.isExecutableFile(atPath: checkout.path + "/bin/tool"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: checkout.path + "/link") == "a.txt")
        await manager.remove(worktree)
        await manager.remove(checkout)
    }

    @Test("a .git planted in a plain checkout (gitdir: evil, an fsmonitor) is never read by Patchloop's git calls")
    func plantedGitIsIgnored() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        let checkout = try await manager.makeCheckout(from: base, group: "g", name: "n")
        let marker = directory.path + "/PWNED"
        // `plant` replaces a `.git` file; a plain checkout has none, so give it one to replace.
        try "gitdir: nowhere\n".write(toFile: checkout.path + "/.git", atomically: true, encoding: .utf8)
        try WorktreeGitTests.plant(in: checkout.path, marker: marker)

        try "two\n".write(toFile: checkout.path + "/a.txt", atomically: true, encoding: .utf8)
        #expect(try await checkout.diff().contains("+two"))
        try await checkout.git.run(["checkout", base.commit, "--", "a.txt"])
        let application = try await checkout.apply(
            patch: "diff --git a/b.txt b/b.txt\nnew file mode 100644\n--- /dev/null\n+++ b/b.txt\n@@ -0,0 +1 @@\n+b\n", isolation: .bubblewrap)
        #expect(application.applied)
        #expect(!FileManager.default.fileExists(atPath: marker), "a git call trusted the checkout's .git")
        await manager.remove(checkout)
    }

    @Test("git started by a test command in a plain checkout does not take a repository around Sandboxes/ for its own")
    func noRepositoryAroundTheCheckout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Sandboxes/ inside a git repository, as when Patchloop runs from its own checkout.
        let outer = try await TestRepository.make(in: directory, files: ["outer.txt": "outer\n"])
        let manager = SandboxManager(root: outer + "/Sandboxes")
        try directory.write(["files/a.txt": "a\n"])
        let base = try await manager.baseRepository(forFilesIn: directory.path + "/files", name: "t")
        let checkout = try await manager.makeCheckout(from: base, group: "g", name: "n")
        // Plain discovery does find the outer repository (so the test cannot pass vacuously).
        let discovered = try await ProcessRunner().run(
            ProcessSpec(executable: "git", arguments: ["rev-parse", "--show-toplevel"], workingDirectory: checkout.path, timeout: 30))
        #expect(discovered.standardOutput.text.contains(outer))
        for isolation in [CommandIsolation.none, .bubblewrap] {
            let spec = isolation.spec(
                command: "git rev-parse --show-toplevel", worktree: checkout.path, environment: ProcessEnvironment.allowListed(), timeout: 30)
            let outcome = try await ProcessRunner().run(spec)
            #expect(!outcome.succeeded, "\(isolation): git found \(outcome.standardOutput.text)")
            #expect(!outcome.standardOutput.text.contains(outer))
        }
        await manager.remove(checkout)
    }

    @Test("many plain checkouts of one base are made and removed at once, without a lock, each complete")
    func concurrentCheckouts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n", "b/c.txt": "two\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<16 {
                tasks.addTask {
                    let checkout = try await manager.makeCheckout(from: base, group: "many", name: "n-\(index)")
                    #expect(try String(contentsOfFile: checkout.path + "/b/c.txt", encoding: .utf8) == "two\n")
                    try "changed \(index)\n".write(toFile: checkout.path + "/a.txt", atomically: true, encoding: .utf8)
                    #expect(try await checkout.changedPaths() == ["a.txt"])
                    await manager.remove(checkout)
                }
            }
            try await tasks.waitForAll()
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/Sandboxes/many"))
    }

    @Test("a plain checkout left by a crash is removed with its index; a stranger's folder is kept")
    func leftoverCheckout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        let crashed = try await manager.makeCheckout(from: base, group: "g", name: "crashed")
        let index = try #require(crashed.git.indexFile)
        try directory.write(["Sandboxes/g/stranger/keep.txt": "not Patchloop's\n"])
        await manager.removeLeftover(group: "g", name: "crashed", base: base)
        await manager.removeLeftover(group: "g", name: "stranger", base: base)
        #expect(!FileManager.default.fileExists(atPath: crashed.path))
        #expect(!FileManager.default.fileExists(atPath: index))
        #expect(FileManager.default.fileExists(atPath: directory.path + "/Sandboxes/g/stranger/keep.txt"))
        // The name is free again.
        let again = try await manager.makeCheckout(from: base, group: "g", name: "crashed")
        await manager.remove(again)
    }

    @Test("the index lock of a git command killed mid-way goes with its checkout, and the group folder with it")
    func killedIndexLock() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        // As an interrupted `git apply` or `git checkout` with the checkout's index leaves it (CI found one left).
        let interrupted = try await manager.makeCheckout(from: base, group: "g", name: "interrupted")
        let index = try #require(interrupted.git.indexFile)
        try "".write(toFile: index + ".lock", atomically: false, encoding: .utf8)
        #expect(manager.leftoverNames(group: "g") == ["interrupted"])
        await manager.remove(interrupted)
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/Sandboxes/g"), "the group folder is empty and removed")
        // And from a crashed process's leftovers.
        let crashed = try await manager.makeCheckout(from: base, group: "g", name: "crashed")
        try "".write(toFile: try #require(crashed.git.indexFile) + ".lock", atomically: false, encoding: .utf8)
        await manager.removeLeftover(group: "g", name: "crashed", base: base)
        #expect(manager.leftoverNames(group: "g").isEmpty)
    }
}
