import Foundation
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// Another local user must not be able to change what Patchloop checks out, patches and
/// grades: a sandbox folder they own or can write, or one below a folder they can replace,
/// is refused before anything is written there.
@Suite("Sandbox folders other users could change", .serialized)
struct SandboxRootTests {
    /// A bundled-style task folder (plain files) for `baseRepository`.
    static func files(in directory: TemporaryDirectory) throws -> String {
        try directory.write(["task/repo/a.py": "x = 1\n"])
        return directory.path + "/task/repo"
    }

    @Test("a folder anyone can write, or one below a non-sticky folder anyone can write, is refused; below a sticky one it is used")
    func writableByOthers() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let files = try Self.files(in: directory)

        // The attack: a shared folder without the sticky bit, where another user could rename the sandboxes away.
        let shared = directory.path + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        #expect(chmod(shared, 0o777) == 0)
        let below = SandboxManager(root: shared + "/sandboxes")
        let error = await #expect(throws: SandboxError.self) { try await below.baseRepository(forFilesIn: files, name: "t") }
        #expect(error?.description.contains("any user can write \(shared)") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: shared + "/sandboxes/.repos"), "nothing is written there")

        // Sticky, as /tmp and /dev/shm are: others cannot rename what is not theirs.
        #expect(chmod(shared, 0o1777) == 0)
        let base = try await below.baseRepository(forFilesIn: files, name: "t")
        #expect(FileManager.default.fileExists(atPath: base.gitDirectory + "/HEAD"))

        // The sandbox folder itself writable by anyone.
        #expect(chmod(shared + "/sandboxes", 0o777) == 0)
        let open = await #expect(throws: SandboxError.self) { try await below.baseRepository(forFilesIn: files, name: "t2") }
        #expect(open?.description.contains("any user can write the sandbox folder") == true, "\(String(describing: open))")

        // Through the command line: refused up front, exit 2, the folder named.
        let outcome = try await runPatchloop(["tasks", "validate", directory.path + "/task", "--sandboxes", shared + "/sandboxes"])
        #expect(outcome.exitCode == 2, "\(outcome.standardOutput.text)")
        #expect(outcome.standardOutput.text.contains("any user can write the sandbox folder"), "\(outcome.standardOutput.text)")
    }

    @Test(
        "in a folder anyone can write, a sandbox folder another user made first is refused; elsewhere the owner of the folder above decides",
        .enabled(if: geteuid() == 0, "only root can give a folder to another user"))
    func ownedByAnotherUser() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let files = try Self.files(in: directory)
        // The attack: another user makes /dev/shm/pl (here a sticky folder anyone can write) before Patchloop does.
        let shared = directory.path + "/shm"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        #expect(chmod(shared, 0o1777) == 0)
        let theirs = shared + "/pl"
        try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: true)
        #expect(chown(theirs, 65534, 65534) == 0)
        let error = await #expect(throws: SandboxError.self) {
            try await SandboxManager(root: theirs).baseRepository(forFilesIn: files, name: "t")
        }
        #expect(error?.description.contains("belongs to another user (uid 65534)") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: theirs + "/.repos"), "nothing is written there")
        // A link to it is followed: the folder the link names is what is checked.
        let link = directory.path + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: theirs)
        #expect(SandboxManager.rootProblem(link)?.contains("belongs to another user") == true)

        // A checkout another user cloned, run as root: its Sandboxes/ is theirs, in a folder only they can write.
        let checkout = directory.path + "/checkout"
        try FileManager.default.createDirectory(atPath: checkout + "/Sandboxes", withIntermediateDirectories: true)
        #expect(chown(checkout, 65534, 65534) == 0 && chown(checkout + "/Sandboxes", 65534, 65534) == 0)
        #expect(SandboxManager.rootProblem(checkout + "/Sandboxes") == nil)
        #expect(SandboxManager.rootProblem(directory.path) == nil, "this user's own folder below /tmp")
    }
}
