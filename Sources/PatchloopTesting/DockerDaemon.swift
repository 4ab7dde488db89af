import Foundation
import PatchloopWorkspace

/// A private docker daemon for the tests: its own data root, socket and pid file under
/// `/tmp`, no bridge, no iptables (PLATFORM.md, "Containers"). Started once per test
/// process; a watchdog shell stops it and removes its folder when the test process exits.
/// Images are built offline from a busybox rootfs (`importBusyboxImage`).
public struct DockerDaemon: Sendable {
    /// The daemon's folder (`data/`, `exec/`, `docker.sock`, `dockerd.log`).
    public let root: String
    /// docker pointed at this daemon (`DOCKER_HOST`).
    public let runtime: ContainerRuntime

    /// Whether `dockerd`, `docker` and a static busybox are installed (scripts/setup installs them).
    public static var isAvailable: Bool {
        let environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        return getuid() == 0 && ProcessRunner.resolveExecutable("dockerd", environment: environment) != nil
            && ProcessRunner.resolveExecutable("docker", environment: environment) != nil && busybox != nil
    }

    static var busybox: String? {
        ["/bin/busybox", "/usr/bin/busybox"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The daemon of this test process, started on first use.
    public static func shared() async throws -> DockerDaemon {
        try await Starter.shared.daemon()
    }

    private actor Starter {
        static let shared = Starter()
        var started: Task<DockerDaemon, any Error>?

        func daemon() async throws -> DockerDaemon {
            if let started { return try await started.value }
            let task = Task { try await DockerDaemon.start() }
            started = task
            return try await task.value
        }
    }

    private static func start() async throws -> DockerDaemon {
        // Short: a unix socket path may not exceed 107 bytes.
        let root = "/tmp/pl-dockerd-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let socket = root + "/docker.sock"
        let daemon = [
            "dockerd", "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
            "--data-root=\(root)/data", "--exec-root=\(root)/exec", "--pidfile=\(root)/dockerd.pid", "-H", "unix://\(socket)",
        ].joined(separator: " ")
        // The watchdog outlives this call in its own session, with no descriptor of ours open.
        // ProcessRunner kills the launcher's process group when it exits, so the launcher
        // waits until the watchdog says it has left that group (it runs after setsid).
        let watchdog = """
            : > \(root)/watchdog.ready
            \(daemon) >\(root)/dockerd.log 2>&1 & d=$!
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            kill $d; wait $d; rm -rf \(root)
            """
        let launch = ProcessSpec(
            executable: "/bin/sh", arguments: [
                "-c", "setsid /bin/sh -c \"$0\" </dev/null >/dev/null 2>&1 & while [ ! -e \(root)/watchdog.ready ]; do sleep 0.05; done", watchdog,
            ],
            environment: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], timeout: 30)
        let outcome = try await ProcessRunner().run(launch)
        guard outcome.succeeded else { throw DockerDaemonError("could not launch dockerd: \(outcome.standardOutput.text)") }
        var base = ProcessInfo.processInfo.environment
        base["DOCKER_HOST"] = "unix://\(socket)"
        guard let runtime = ContainerRuntime.named(.docker, base: base) else { throw DockerDaemonError("docker is not on PATH") }
        for _ in 0..<240 {
            if await runtime.daemonProblem() == nil { return DockerDaemon(root: root, runtime: runtime) }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        let log = (try? String(contentsOfFile: root + "/dockerd.log", encoding: .utf8)) ?? ""
        throw DockerDaemonError("dockerd did not answer within 60 s:\n\(log.suffix(2000))")
    }

    /// Imports an image `name` whose root holds busybox (as `/bin/sh` and the usual
    /// commands, no bash) and `files` (path → content, e.g. `testbed/calc.sh`).
    public func importBusyboxImage(named name: String, files: [String: String]) async throws {
        guard let busybox = DockerDaemon.busybox else { throw DockerDaemonError("busybox is not installed") }
        let directory = try TemporaryDirectory(prefix: "patchloop-image")
        defer { directory.remove() }
        let rootfs = directory.path + "/rootfs"
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try fileManager.createDirectory(atPath: rootfs + "/tmp", withIntermediateDirectories: true)
        try fileManager.copyItem(atPath: busybox, toPath: rootfs + "/bin/busybox")
        let list = try await ProcessRunner().run(ProcessSpec(executable: busybox, arguments: ["--list"], timeout: 30))
        for applet in list.standardOutput.text.split(separator: "\n") where applet != "busybox" && !applet.contains("/") {
            try? fileManager.createSymbolicLink(atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try TemporaryDirectoryView(path: rootfs).write(files)
        let archive = try await ProcessRunner().run(
            ProcessSpec(executable: "tar", arguments: ["--create", "--file=-", "--directory=\(rootfs)", "."], timeout: 120, outputLimit: .large))
        guard archive.succeeded else { throw DockerDaemonError("tar failed: \(archive.standardError.text)") }
        let imported = try await runtime.run(["import", "--change=ENV PATH=/bin", "-", name], input: Data(archive.standardOutput.head), timeout: 300)
        guard imported.succeeded else { throw DockerDaemonError("docker import \(name) failed: \(imported.standardError.text)") }
    }

    /// Ids of the containers labelled with `label=value` (running or not).
    public func containers(label: String, value: String) async throws -> [String] {
        let listed = try await runtime.run(["ps", "--all", "--quiet", "--no-trunc", "--filter", "label=\(label)=\(value)"], timeout: 60)
        return listed.standardOutput.text.split(separator: "\n").map(String.init)
    }
}

/// The test daemon could not start or build an image.
public struct DockerDaemonError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
