import Foundation
import PatchloopCore
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace
import Testing

/// A worktree of real files with a tool context around it.
struct Workspace {
    let directory: TemporaryDirectory
    let context: ToolContext
    var root: String { context.confinement.root }

    init(_ files: [String: String], git: Bool = false, testSuite: (any TestSuite)? = nil) async throws {
        directory = try TemporaryDirectory()
        let root: String
        if git {
            root = try await TestRepository.make(in: directory, files: files)
        } else {
            try directory.write(files.reduce(into: [:]) { $0["work/" + $1.key] = $1.value })
            root = directory.path + "/work"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        }
        context = ToolContext(
            worktree: root, testSuite: testSuite, git: git ? WorktreeGit(gitDirectory: root + "/.git", workTree: root) : nil)
    }

    func call(_ tool: String, _ arguments: JSONValue) async -> Observation {
        await Toolbox.standard.run(name: tool, argumentsJSON: arguments.encoded(), context: context)
    }

    func read(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }
}

@Suite("read_file")
struct ReadFileTests {
    @Test("shows numbered lines, and a range when asked")
    func numberedLines() async throws {
        let workspace = try await Workspace(["a.py": "one\ntwo\nthree\n"])
        defer { workspace.directory.remove() }
        let all = await workspace.call("read_file", ["path": "a.py"])
        #expect(!all.isError)
        #expect(all.text == "1\tone\n2\ttwo\n3\tthree\n")
        let middle = await workspace.call("read_file", ["path": "a.py", "start_line": 2, "end_line": 2])
        #expect(middle.text.hasPrefix("2\ttwo\n"))
        #expect(middle.text.contains("lines 2-2 of 3"))
    }

    @Test("a huge file comes in a window with a note on how to see more")
    func hugeFileIsWindowed() async throws {
        let body = (1...20_000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let workspace = try await Workspace(["big.txt": body])
        defer { workspace.directory.remove() }
        let first = await workspace.call("read_file", ["path": "big.txt"])
        #expect(first.text.split(separator: "\n").count == ReadFileTool.windowLines + 1)
        #expect(first.text.contains("lines 1-400 of 20000; call read_file with start_line=401"))
        let last = await workspace.call("read_file", ["path": "big.txt", "start_line": 19_999])
        #expect(last.text.contains("19999\tline 19999\n20000\tline 20000\n"))
        let past = await workspace.call("read_file", ["path": "big.txt", "start_line": 30_000])
        #expect(past.isError && past.text.contains("20000 lines"))
    }

    @Test("a missing file says so and lists what is there")
    func missingFile() async throws {
        let workspace = try await Workspace(["src/real.py": "x\n"])
        defer { workspace.directory.remove() }
        let observation = await workspace.call("read_file", ["path": "src/unreal.py"])
        #expect(observation.isError)
        #expect(observation.text.contains("src/unreal.py does not exist"))
        #expect(observation.text.contains("real.py"))
    }

    @Test("a binary file is refused with its size")
    func binaryFile() async throws {
        let workspace = try await Workspace([:])
        defer { workspace.directory.remove() }
        try Data([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]).write(to: URL(fileURLWithPath: workspace.root + "/prog"))
        let observation = await workspace.call("read_file", ["path": "prog"])
        #expect(observation.isError)
        #expect(observation.text.contains("binary file (7 bytes)"))
    }

    @Test("a directory is listed")
    func directoryListing() async throws {
        let workspace = try await Workspace(["pkg/a.py": "", "pkg/sub/b.py": ""])
        defer { workspace.directory.remove() }
        let observation = await workspace.call("read_file", ["path": "pkg"])
        #expect(observation.text.contains("a.py\nsub/\n"))
    }

    @Test("paths that escape the worktree are refused: ../, absolute, symlink to outside")
    func escapesAreRefused() async throws {
        let workspace = try await Workspace(["inside.txt": "ok\n"])
        defer { workspace.directory.remove() }
        try "secret\n".write(toFile: workspace.directory.path + "/secret.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: workspace.root + "/link", withDestinationPath: workspace.directory.path + "/secret.txt")
        for path in ["../secret.txt", "/etc/passwd", "link"] {
            let observation = await workspace.call("read_file", ["path": .string(path)])
            #expect(observation.isError, "\(path)")
            #expect(!observation.text.contains("secret\n"), "\(path)")
            #expect(!observation.text.contains("root:"), "\(path)")
        }
        let edit = await workspace.call("edit", ["path": "../evil.txt", "old_str": "", "new_str": "x"])
        #expect(edit.isError)
        #expect(!FileManager.default.fileExists(atPath: workspace.directory.path + "/evil.txt"))
    }
}

@Suite("edit")
struct EditToolTests {
    @Test("replaces the one occurrence and shows the result")
    func replacesOnce() async throws {
        let workspace = try await Workspace(["m.py": "def f():\n    return 1\n"])
        defer { workspace.directory.remove() }
        let observation = await workspace.call("edit", ["path": "m.py", "old_str": "return 1", "new_str": "return 2"])
        #expect(!observation.isError)
        #expect(try workspace.read("m.py") == "def f():\n    return 2\n")
        #expect(observation.text.contains("2\t    return 2"))
        #expect(observation.facts["files_touched"] == ["m.py"])
    }

    @Test("old_str not found is an error that points at a near miss, and the file is unchanged")
    func notFound() async throws {
        let workspace = try await Workspace(["m.py": "def f():\n    return 1\n"])
        defer { workspace.directory.remove() }
        let observation = await workspace.call("edit", ["path": "m.py", "old_str": "def f():\n  return 1", "new_str": "x"])
        #expect(observation.isError)
        #expect(observation.text.contains("not found"))
        #expect(observation.text.contains("different whitespace or indentation are at line 1"))
        #expect(try workspace.read("m.py") == "def f():\n    return 1\n")
    }

    @Test("old_str found twice is an error listing both lines")
    func foundTwice() async throws {
        let workspace = try await Workspace(["m.py": "x = 1\ny = 2\nx = 1\n"])
        defer { workspace.directory.remove() }
        let observation = await workspace.call("edit", ["path": "m.py", "old_str": "x = 1", "new_str": "x = 3"])
        #expect(observation.isError)
        #expect(observation.text.contains("2 times"))
        #expect(observation.text.contains("lines 1, 3"))
        #expect(try workspace.read("m.py") == "x = 1\ny = 2\nx = 1\n")
    }

    @Test("an empty old_str creates a new file (with folders), and refuses to overwrite one")
    func createsFiles() async throws {
        let workspace = try await Workspace(["old.py": "keep\n"])
        defer { workspace.directory.remove() }
        let created = await workspace.call("edit", ["path": "pkg/new.py", "old_str": "", "new_str": "print('hi')\n"])
        #expect(!created.isError)
        #expect(try workspace.read("pkg/new.py") == "print('hi')\n")
        let refused = await workspace.call("edit", ["path": "old.py", "old_str": "", "new_str": "gone\n"])
        #expect(refused.isError && refused.text.contains("already exists"))
        #expect(try workspace.read("old.py") == "keep\n")
    }

    @Test("missing arguments, a missing file and a binary file are clear errors")
    func badInput() async throws {
        let workspace = try await Workspace(["a.txt": "a\n"])
        defer { workspace.directory.remove() }
        try Data([1, 0, 2]).write(to: URL(fileURLWithPath: workspace.root + "/bin.dat"))
        let missingArgument = await workspace.call("edit", ["path": "a.txt", "old_str": "a"])
        #expect(missingArgument.isError && missingArgument.text.contains("missing required argument 'new_str'"))
        #expect(missingArgument.facts["format_error"] == true)
        let missingFile = await workspace.call("edit", ["path": "nope.txt", "old_str": "a", "new_str": "b"])
        #expect(missingFile.isError && missingFile.text.contains("does not exist"))
        let binary = await workspace.call("edit", ["path": "bin.dat", "old_str": "a", "new_str": "b"])
        #expect(binary.isError && binary.text.contains("binary"))
        let wrongType = await workspace.call("edit", ["path": "a.txt", "old_str": 1, "new_str": "b"])
        #expect(wrongType.isError && wrongType.text.contains("'old_str' must be a string"))
    }

    @Test("edits keep the file's permissions")
    func keepsPermissions() async throws {
        let workspace = try await Workspace(["run.sh": "echo a\n"])
        defer { workspace.directory.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: workspace.root + "/run.sh")
        _ = await workspace.call("edit", ["path": "run.sh", "old_str": "echo a", "new_str": "echo b"])
        let permissions = try FileManager.default.attributesOfItem(atPath: workspace.root + "/run.sh")[.posixPermissions] as? Int
        #expect(permissions == 0o755)
    }
}

@Suite("Toolbox")
struct ToolboxTests {
    @Test("offers the five contract tools with their exact argument names")
    func contractSchemas() {
        let specs = Dictionary(uniqueKeysWithValues: Toolbox.standard.specs.map { ($0.name, $0) })
        #expect(Set(specs.keys) == ["read_file", "edit", "search", "run_tests", "submit"])
        func arguments(_ name: String) -> Set<String> { Set(specs[name]?.parameters["properties"]?.objectValue?.keys ?? [:].keys) }
        #expect(arguments("read_file") == ["path", "start_line", "end_line"])
        #expect(arguments("edit") == ["path", "old_str", "new_str"])
        #expect(arguments("search") == ["pattern", "path", "glob", "fixed"])
        #expect(arguments("run_tests") == ["tests"])
        #expect(arguments("submit") == [])
    }

    @Test("an unknown tool, JSON that does not parse and an unknown argument are format errors that explain themselves")
    func malformedCalls() async throws {
        let workspace = try await Workspace(["a.txt": "a\n"])
        defer { workspace.directory.remove() }
        let unknown = await Toolbox.standard.run(name: "delete_everything", argumentsJSON: "{}", context: workspace.context)
        #expect(unknown.isError && unknown.text.contains("unknown tool 'delete_everything'") && unknown.text.contains("read_file"))
        let broken = await Toolbox.standard.run(name: "read_file", argumentsJSON: "{\"path\": \"a.txt\"", context: workspace.context)
        #expect(broken.isError && broken.text.contains("not valid JSON"))
        let notObject = await Toolbox.standard.run(name: "read_file", argumentsJSON: "[1]", context: workspace.context)
        #expect(notObject.isError && notObject.text.contains("must be a JSON object"))
        let extra = await Toolbox.standard.run(name: "read_file", argumentsJSON: "{\"path\": \"a.txt\", \"mode\": 1}", context: workspace.context)
        #expect(extra.isError && extra.text.contains("no argument 'mode'"))
        for observation in [unknown, broken, notObject, extra] {
            #expect(observation.facts["format_error"] == true)
        }
    }

    @Test("submit ends the attempt")
    func submitEnds() async throws {
        let workspace = try await Workspace([:])
        defer { workspace.directory.remove() }
        let observation = await workspace.call("submit", [:])
        #expect(observation.endsAttempt)
    }
}
