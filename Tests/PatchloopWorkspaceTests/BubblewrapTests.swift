import Foundation
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("Bubblewrap isolation")
struct BubblewrapTests {
    let runner = ProcessRunner()

    func sandboxed(_ command: String, in worktree: String, timeout: Double = 30) async throws -> ProcessOutcome {
        try await runner.run(
            CommandIsolation.bubblewrap.spec(command: command, worktree: worktree, environment: ProcessEnvironment.allowListed(), timeout: timeout))
    }

    @Test("bubblewrap can start on this machine")
    func bubblewrapWorks() async {
        #expect(await CommandIsolation.checkBubblewrap() == nil)
    }

    @Test("the worktree is writable, the system is read-only, /tmp is private, and nothing else of the host is there")
    func writesAreConfined() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(["worktree/a.txt": "a\n", "beside.txt": "secret beside the worktree\n"])
        let worktree = directory.path + "/worktree"
        let escape = "/usr/patchloop-escape-\(UUID().uuidString)"
        let besideWorktree = directory.path + "/beside.txt"
        let outcome = try await sandboxed(
            """
            echo inside > made.txt
            echo tmp > /tmp/patchloop-private-check
            (echo escaped > \(escape)) 2>/dev/null || echo "usr refused"
            cat \(besideWorktree) 2>/dev/null || echo "beside hidden"
            ls /root /home /work 2>/dev/null | head -1; echo "listed"
            test -e /etc/shadow && echo "shadow visible" || echo "no shadow"
            """,
            in: worktree)
        #expect(outcome.exitCode == 0)
        let text = outcome.standardOutput.text
        #expect(text.contains("usr refused"))
        #expect(text.contains("beside hidden"))
        #expect(!text.contains("secret beside"))
        #expect(text.contains("no shadow"))
        #expect(try directory.read("worktree/made.txt") == "inside\n")
        #expect(!FileManager.default.fileExists(atPath: escape))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/patchloop-private-check"))
    }

    @Test("there is no network inside: only loopback, and the host's listening port is unreachable")
    func noNetwork() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let listener = try LoopbackListener()
        defer { listener.close() }
        let script = """
            python3 - <<'EOF'
            import socket
            print(sorted(line.split(':')[0].strip() for line in open('/proc/net/dev').readlines()[2:]))
            try:
                socket.create_connection(('127.0.0.1', \(listener.port)), timeout=2)
                print('connected')
            except OSError as error:
                print('unreachable', error.errno)
            EOF
            """
        let outcome = try await sandboxed(script, in: directory.path)
        #expect(outcome.standardOutput.text.contains("['lo']"))
        #expect(outcome.standardOutput.text.contains("unreachable"))
        #expect(!outcome.standardOutput.text.contains("connected"))
    }

    @Test("a timeout inside bubblewrap ends the whole sandboxed tree")
    func timeoutInsideSandbox() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let started = Date()
        let outcome = try await sandboxed("sleep 60 & sleep 60", in: directory.path, timeout: 1)
        #expect(outcome.timedOut)
        #expect(Date().timeIntervalSince(started) < 30, "the 60 s child was stopped long before its end")
    }
}

/// A TCP socket listening on 127.0.0.1 (an ephemeral port), for reachability checks.
struct LoopbackListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 4) == 0 else { throw SandboxError("cannot listen on 127.0.0.1") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        descriptor = listener
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
