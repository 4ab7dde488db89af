import Foundation
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("Sandbox")
struct SandboxTests {
    @Test("a sandbox is a worktree at the base commit; its diff holds new and binary files but no test leftovers, and applies to a fresh checkout")
    func diffIsCompleteAndClean() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["src/a.py": "x = 1\n", "README": "hello\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        let sandbox = try await manager.makeSandbox(from: base, group: "run1", name: "task-1")
        #expect(sandbox.path == directory.path + "/Sandboxes/run1/task-1")
        #expect(try String(contentsOfFile: sandbox.path + "/src/a.py", encoding: .utf8) == "x = 1\n")

        try "x = 2\n".write(toFile: sandbox.path + "/src/a.py", atomically: true, encoding: .utf8)
        try "new\n".write(toFile: sandbox.path + "/src/new.py", atomically: true, encoding: .utf8)
        try Data([0, 1, 2, 255, 0]).write(to: URL(fileURLWithPath: sandbox.path + "/blob.bin"))
        try FileManager.default.createDirectory(atPath: sandbox.path + "/src/__pycache__", withIntermediateDirectories: true)
        try "junk".write(toFile: sandbox.path + "/src/__pycache__/a.cpython-311.pyc", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: sandbox.path + "/.pytest_cache", withIntermediateDirectories: true)
        try "junk".write(toFile: sandbox.path + "/.pytest_cache/v", atomically: true, encoding: .utf8)
        // tox (Sphinx's test command) keeps its state in .tox/ of the worktree.
        try FileManager.default.createDirectory(atPath: sandbox.path + "/.tox/py39/tmp", withIntermediateDirectories: true)
        try "junk".write(toFile: sandbox.path + "/.tox/py39/tmp/state", atomically: true, encoding: .utf8)

        let patch = try await sandbox.diff()
        #expect(patch.contains("diff --git a/src/a.py b/src/a.py"))
        #expect(patch.contains("+x = 2"))
        #expect(patch.contains("src/new.py"))
        #expect(patch.contains("GIT binary patch"))
        #expect(!patch.contains("__pycache__"))
        #expect(!patch.contains(".pytest_cache"))
        #expect(!patch.contains(".tox"))
        #expect(try await sandbox.changedPaths().sorted() == ["blob.bin", "src/a.py", "src/new.py"])

        // The patch applies to a fresh checkout of the base and reproduces the files.
        let fresh = try await manager.makeSandbox(from: base, group: "run1", name: "task-1-check")
        let application = try await fresh.apply(patch: patch, isolation: .bubblewrap)
        #expect(application.applied)
        #expect(try String(contentsOfFile: fresh.path + "/src/a.py", encoding: .utf8) == "x = 2\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: fresh.path + "/blob.bin")) == Data([0, 1, 2, 255, 0]))

        await manager.remove(sandbox)
        await manager.remove(fresh)
        #expect(!FileManager.default.fileExists(atPath: sandbox.path))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/Sandboxes/run1"))
        let worktrees = try await Git().run(["worktree", "list"], in: repository)
        #expect(worktrees.split(separator: "\n").count == 1)
    }

    @Test("plain task files become a reproducible base commit: same files, same commit id")
    func baseFromFilesIsReproducible() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(["files/a.txt": "one\n", "files/b/c.txt": "two\n"])
        let first = SandboxManager(root: directory.path + "/S1")
        let second = SandboxManager(root: directory.path + "/S2")
        let baseOne = try await first.baseRepository(forFilesIn: directory.path + "/files", name: "t")
        let baseTwo = try await second.baseRepository(forFilesIn: directory.path + "/files", name: "t")
        #expect(baseOne.commit == baseTwo.commit)
        #expect(baseOne.commit.count == 40)
        let again = try await first.baseRepository(forFilesIn: directory.path + "/files", name: "t")
        #expect(again == baseOne)
        let sandbox = try await first.makeSandbox(from: baseOne, group: "g", name: "n")
        #expect(try String(contentsOfFile: sandbox.path + "/b/c.txt", encoding: .utf8) == "two\n")
        #expect(try await sandbox.diff().isEmpty)
    }

    @Test("concurrent callers for one task's files all get the same base commit, whoever makes the repository; an empty folder is a base too")
    func concurrentBasesAgree() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(["files/a.txt": "one\n", "files/b/c.txt": "two\n"])
        try FileManager.default.createDirectory(atPath: directory.path + "/empty", withIntermediateDirectories: true)
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let commits = try await withThrowingTaskGroup(of: String.self) { tasks in
            for _ in 0..<8 {
                tasks.addTask { try await manager.baseRepository(forFilesIn: directory.path + "/files", name: "t").commit }
            }
            return try await tasks.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(commits.count == 1)
        let reference = try await SandboxManager(root: directory.path + "/Other").baseRepository(forFilesIn: directory.path + "/files", name: "t")
        #expect(commits == [reference.commit])
        let empty = try await manager.baseRepository(forFilesIn: directory.path + "/empty", name: "e")
        let checkout = try await manager.makeCheckout(from: empty, group: "g", name: "e")
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkout.path).isEmpty)
        await manager.remove(checkout)
    }

    @Test("a missing task repository and a taken sandbox name are clear errors")
    func errors() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        await #expect(throws: SandboxError.self) {
            try await manager.baseRepository(forFilesIn: directory.path + "/missing", name: "x")
        }
        let repository = try await TestRepository.make(in: directory, files: ["a": "1\n"])
        let base = try await manager.baseRepository(gitRepository: repository)
        _ = try await manager.makeSandbox(from: base, group: "g", name: "same")
        await #expect(throws: SandboxError.self) {
            try await manager.makeSandbox(from: base, group: "g", name: "same")
        }
    }

    @Test("a patch that does not apply is reported, not thrown")
    func badPatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "one\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let sandbox = try await manager.makeSandbox(from: try await manager.baseRepository(gitRepository: repository), group: "g", name: "n")
        let patch = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-not there\n+two\n"
        let application = try await sandbox.apply(patch: patch, isolation: .bubblewrap)
        #expect(!application.applied)
        #expect(try String(contentsOfFile: sandbox.path + "/a.txt", encoding: .utf8) == "one\n")
    }
}

@Suite("PathConfinement")
struct PathConfinementTests {
    @Test("relative paths inside the root resolve; escapes are refused")
    func confinement() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(["root/src/a.py": "x\n", "outside.txt": "secret\n"])
        let root = directory.path + "/root"
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: directory.path + "/outside.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/escape-dir", withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: root + "/inside-link", withDestinationPath: root + "/src/a.py")
        let confinement = PathConfinement(root: root)

        #expect(try confinement.resolve("src/a.py") == root + "/src/a.py")
        #expect(try confinement.resolve("./src/../src/a.py") == root + "/src/a.py")
        #expect(try confinement.resolve("src/new/file.py") == root + "/src/new/file.py")
        #expect(try confinement.resolve(root + "/src/a.py") == root + "/src/a.py")
        #expect(try confinement.resolve("inside-link") == root + "/src/a.py")
        for escape in ["../outside.txt", "src/../../outside.txt", "/etc/passwd", "escape", "escape-dir/passwd", "escape-dir/new-file"] {
            #expect(throws: PathConfinementError.self, "\(escape) must be refused") { try confinement.resolve(escape) }
        }
    }
}
