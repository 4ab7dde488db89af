import Foundation
import Synchronization

/// One process's exclusive hold on a run directory, so that two `eval --resume` (or
/// `score`) on one run cannot each take the other's live worktrees for a crash's leftovers.
///
/// It is `flock(2)` on `RUN_DIR/.lock`: the kernel drops the lock when the process ends,
/// however it ends, so a crash or `kill -9` never leaves a stale lock. The file holds the
/// holder's pid, for the message a refused process prints.
public final class RunDirectoryLock: Sendable {
    public let path: String
    private let descriptor: Mutex<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    /// Takes the lock on `directory` (made if missing), or throws naming the process holding it.
    public static func acquire(directory: String) async throws -> RunDirectoryLock {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RunDirectoryError("cannot make the run directory \(directory): \(RunDirectoryLock.reason(error))")
        }
        let path = directory + "/.lock"
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw RunDirectoryError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        // A lock just given up can still be held for a moment by a child process of this one
        // that is between fork and exec (it shares the open file until exec closes it), so a
        // held lock is tried again for a second before it counts; a real holder holds it for
        // the whole run.
        var failure: Int32 = 0
        let deadline = Date().addingTimeInterval(1)
        while true {
            failure = flock(opened, LOCK_EX | LOCK_NB) == 0 ? 0 : errno
            if failure == EINTR { continue }
            if failure != EWOULDBLOCK || Date() >= deadline || Task.isCancelled { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        guard failure == 0 else {
            close(opened)
            guard failure == EWOULDBLOCK else {
                throw RunDirectoryError("cannot lock \(path): \(String(cString: strerror(failure)))")
            }
            let holder = RunDirectoryLock.holder(of: path).map { "process \($0)" } ?? "another process"
            throw RunDirectoryError(
                "\(directory) is in use by \(holder): one run directory takes one patchloop process at a time; wait for it to end, or stop it and run --resume again")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(opened, 0)
        _ = pid.withUnsafeBytes { pwrite(opened, $0.baseAddress, $0.count, 0) }
        return RunDirectoryLock(path: path, descriptor: opened)
    }

    /// The pid written by the process that holds (or last held) the lock at `path`.
    public static func holder(of path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Gives the lock up (also done when the lock is deallocated or the process ends).
    public func release() {
        descriptor.withLock { value in
            if let open = value { close(open) }
            value = nil
        }
    }

    deinit { release() }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? error.localizedDescription
    }
}
