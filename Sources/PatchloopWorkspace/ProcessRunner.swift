import CPatchloopSpawn
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What to run, where, for how long, and how much of its output to keep.
public struct ProcessSpec: Sendable {
    /// A path, or a name looked up on the `PATH` of `environment`.
    public var executable: String
    public var arguments: [String]
    public var workingDirectory: String?
    public var environment: [String: String]
    /// Wall-clock limit in seconds; when it passes, the whole process group is killed.
    public var timeout: Double?
    public var outputLimit: OutputLimit
    /// Send standard error into the standard output stream (one interleaved log).
    public var mergeStandardError: Bool
    public var standardInput: Data?

    public init(
        executable: String,
        arguments: [String] = [],
        workingDirectory: String? = nil,
        environment: [String: String] = ProcessEnvironment.allowListed(),
        timeout: Double? = nil,
        outputLimit: OutputLimit = .default,
        mergeStandardError: Bool = false,
        standardInput: Data? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.mergeStandardError = mergeStandardError
        self.standardInput = standardInput
    }
}

/// How much of a stream to keep: its first `headBytes` and its last `tailBytes`.
/// Everything in between is read and dropped, so the child never blocks on a full pipe.
public struct OutputLimit: Sendable, Hashable {
    public var headBytes: Int
    public var tailBytes: Int

    public init(headBytes: Int, tailBytes: Int) {
        self.headBytes = headBytes
        self.tailBytes = tailBytes
    }

    /// 1 MiB of head and 256 KiB of tail.
    public static let `default` = OutputLimit(headBytes: 1 << 20, tailBytes: 1 << 18)
    /// Keep everything up to 64 MiB (git output that must be exact, such as diffs).
    public static let large = OutputLimit(headBytes: 64 << 20, tailBytes: 0)
    /// A test log, parsed whole: SWE-bench's logs run past a few MiB (a long path repeated
    /// in every traceback frame); only a runaway one is cut, to 48 MiB of head and 16 of tail.
    public static let testLog = OutputLimit(headBytes: 48 << 20, tailBytes: 16 << 20)
}

/// One captured stream: its head, its tail and how many bytes there were in all.
public struct CapturedOutput: Sendable {
    public private(set) var head: [UInt8] = []
    public private(set) var tail: [UInt8] = []
    public private(set) var totalBytes = 0
    let limit: OutputLimit

    init(limit: OutputLimit) {
        self.limit = limit
    }

    /// Whether bytes were dropped between head and tail.
    public var isTruncated: Bool { totalBytes > head.count + tail.count }
    public var omittedBytes: Int { totalBytes - head.count - tail.count }

    /// The kept bytes as text; a dropped middle is marked with how much was left out.
    public var text: String {
        if !isTruncated {
            return String(decoding: head + tail, as: UTF8.self)
        }
        return String(decoding: head, as: UTF8.self)
            + "\n[... \(omittedBytes) bytes of output omitted ...]\n"
            + String(decoding: tail, as: UTF8.self)
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        totalBytes += bytes.count
        var rest = bytes[...]
        if head.count < limit.headBytes {
            let take = min(limit.headBytes - head.count, rest.count)
            head.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
        }
        guard !rest.isEmpty, limit.tailBytes > 0 else { return }
        tail.append(contentsOf: rest.suffix(limit.tailBytes))
        if tail.count > limit.tailBytes * 2 {
            tail.removeFirst(tail.count - limit.tailBytes)
        }
    }

    mutating func finish() {
        if tail.count > limit.tailBytes {
            tail.removeFirst(tail.count - limit.tailBytes)
        }
    }
}

/// How a process ended.
public struct ProcessOutcome: Sendable {
    /// The exit status, when the process exited normally.
    public var exitCode: Int32?
    /// The signal that ended the process, when one did.
    public var terminatingSignal: Int32?
    /// The time limit passed and the process group was killed.
    public var timedOut: Bool
    public var standardOutput: CapturedOutput
    public var standardError: CapturedOutput
    /// Wall-clock seconds from start to the end of the output.
    public var duration: Double

    public var succeeded: Bool { exitCode == 0 && !timedOut }

    /// A short description: `exit 0`, `exit 2`, `killed by signal 9`, `timed out after 10 s`.
    public var statusDescription: String {
        if timedOut { return "timed out" }
        if let exitCode { return "exit \(exitCode)" }
        if let terminatingSignal { return "killed by signal \(terminatingSignal)" }
        return "unknown status"
    }
}

/// A process could not be started at all.
public struct ProcessLaunchError: Error, CustomStringConvertible, Sendable {
    public var executable: String
    public var reason: String
    public var description: String { "could not start '\(executable)': \(reason)" }
}

/// Runs child processes with a wall-clock timeout that kills the whole process tree,
/// capped output with both pipes always drained, and an explicit environment.
///
/// Each run owns one thread for its lifetime (blocking `poll`), so a slow test suite
/// never occupies a thread of Swift's cooperative pool.
public struct ProcessRunner: Sendable {
    public init() {
        ProcessRunner.ignoreSIGPIPE
    }

    private static let ignoreSIGPIPE: Void = patchloop_ignore_sigpipe()

    /// Runs a process to its end (or its timeout). Cancelling the calling task kills it.
    public func run(_ spec: ProcessSpec) async throws -> ProcessOutcome {
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ProcessOutcome, any Error>) in
                let thread = Thread {
                    continuation.resume(with: Result { try ProcessRunner.runBlocking(spec, cancellation: cancellation) })
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// The same as `run`, on the calling thread.
    public func runSynchronously(_ spec: ProcessSpec) throws -> ProcessOutcome {
        try ProcessRunner.runBlocking(spec, cancellation: CancellationFlag())
    }

    // MARK: - The blocking core

    private static func runBlocking(_ spec: ProcessSpec, cancellation: CancellationFlag) throws -> ProcessOutcome {
        guard let path = resolveExecutable(spec.executable, environment: spec.environment) else {
            throw ProcessLaunchError(executable: spec.executable, reason: "not found on PATH")
        }
        let stdoutPipe = try makePipe()
        let stderrPipe = spec.mergeStandardError ? stdoutPipe : try makePipe()
        let stdinPipe = try makePipe()
        let started = Date()

        var pid: pid_t = 0
        let spawnResult = withCStrings([path] + spec.arguments) { argv in
            withCStrings(spec.environment.map { "\($0.key)=\($0.value)" }.sorted()) { envp in
                patchloop_spawn(
                    path, argv, envp, spec.workingDirectory,
                    stdinPipe.read, stdoutPipe.write, stderrPipe.write, &pid)
            }
        }
        close(stdinPipe.read)
        close(stdoutPipe.write)
        if !spec.mergeStandardError { close(stderrPipe.write) }
        if spawnResult != 0 {
            close(stdinPipe.write)
            close(stdoutPipe.read)
            if !spec.mergeStandardError { close(stderrPipe.read) }
            var reason = String(cString: strerror(spawnResult))
            if spawnResult == ENOENT, let directory = spec.workingDirectory,
                !FileManager.default.fileExists(atPath: directory)
            {
                reason = "working directory \(directory) does not exist"
            }
            throw ProcessLaunchError(executable: spec.executable, reason: reason)
        }

        // Standard input is written whole from a helper thread, so a child that reads
        // slowly and writes a lot cannot deadlock against us. Empty input needs no thread.
        let stdinWriter = spec.standardInput.flatMap { $0.isEmpty ? nil : $0 }.map { data in
            Thread {
                data.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = write(stdinPipe.write, buffer.baseAddress! + offset, buffer.count - offset)
                        if written <= 0 { if errno == EINTR { continue } else { break } }
                        offset += written
                    }
                }
                close(stdinPipe.write)
            }
        }
        if let stdinWriter { stdinWriter.start() } else { close(stdinPipe.write) }

        var stdout = CapturedOutput(limit: spec.outputLimit)
        var stderr = CapturedOutput(limit: spec.outputLimit)
        let deadline = spec.timeout.map { started.addingTimeInterval($0) }
        var openDescriptors: [Int32] = spec.mergeStandardError ? [stdoutPipe.read] : [stdoutPipe.read, stderrPipe.read]
        var status: Int32 = 0
        var exited = false
        var timedOut = false
        var killed = false
        // Once the child has exited, grandchildren that still hold the pipes are killed
        // with the group; a process that escaped the group gets this long to let go.
        var drainDeadline: Date?
        var buffer = [UInt8](repeating: 0, count: 65536)

        while !openDescriptors.isEmpty {
            let now = Date()
            if !killed {
                if let deadline, now >= deadline {
                    timedOut = true
                    killGroup(pid)
                    killed = true
                } else if cancellation.isCancelled {
                    killGroup(pid)
                    killed = true
                }
            }
            if !exited, waitpid(pid, &status, WNOHANG) == pid {
                exited = true
                killGroup(pid)
                drainDeadline = Date().addingTimeInterval(2)
            }
            if let drainDeadline, Date() >= drainDeadline { break }

            var pollDescriptors = openDescriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            var waitMilliseconds: Int32 = exited ? 20 : 50
            if let deadline, !killed {
                // Clamped in Double first: a far deadline (days) does not fit in an Int32 of milliseconds.
                let remaining = min(max(deadline.timeIntervalSinceNow * 1000 + 1, 0), Double(waitMilliseconds))
                waitMilliseconds = Int32(remaining)
            }
            let ready = poll(&pollDescriptors, nfds_t(pollDescriptors.count), waitMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for descriptor in pollDescriptors where descriptor.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(descriptor.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    buffer.withUnsafeBufferPointer { all in
                        let chunk = UnsafeBufferPointer(rebasing: all[0..<count])
                        if descriptor.fd == stdoutPipe.read { stdout.append(chunk) } else { stderr.append(chunk) }
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    openDescriptors.removeAll { $0 == descriptor.fd }
                }
            }
        }
        close(stdoutPipe.read)
        if !spec.mergeStandardError { close(stderrPipe.read) }

        if !exited {
            // Output closed before the exit was seen; wait for it, still bound by the deadline.
            while waitpid(pid, &status, WNOHANG) == 0 {
                if let deadline, Date() >= deadline, !killed {
                    timedOut = true
                    killGroup(pid)
                    killed = true
                } else if cancellation.isCancelled, !killed {
                    killGroup(pid)
                    killed = true
                }
                usleep(2000)
            }
        }
        // Background grandchildren must not outlive the run.
        killGroup(pid)

        stdout.finish()
        stderr.finish()
        let exitCode: Int32? = (status & 0x7f) == 0 ? (status >> 8) & 0xff : nil
        let signal: Int32? = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f ? status & 0x7f : nil
        return ProcessOutcome(
            exitCode: exitCode,
            terminatingSignal: signal,
            timedOut: timedOut,
            standardOutput: stdout,
            standardError: stderr,
            duration: Date().timeIntervalSince(started)
        )
    }

    private static func killGroup(_ pid: pid_t) {
        kill(-pid, SIGKILL)
    }

    private struct PipePair {
        var read: Int32
        var write: Int32
    }

    private static func makePipe() throws -> PipePair {
        var descriptors: [Int32] = [0, 0]
        guard patchloop_pipe_cloexec(&descriptors) == 0 else {
            throw ProcessLaunchError(executable: "pipe", reason: String(cString: strerror(errno)))
        }
        return PipePair(read: descriptors[0], write: descriptors[1])
    }

    /// Finds an executable the way a shell would, on the child's own PATH.
    public static func resolveExecutable(_ name: String, environment: [String: String]) -> String? {
        if name.contains("/") {
            return access(name, X_OK) == 0 ? name : nil
        }
        let searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}

/// A flag set from a cancellation handler and read by a run's thread.
final class CancellationFlag: Sendable {
    private let cancelled = Mutex(false)
    func cancel() { cancelled.withLock { $0 = true } }
    var isCancelled: Bool { cancelled.withLock { $0 } }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result)
    -> Result
{
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
