import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM as cancellation. A command's work runs in a top-level task that the
/// first signal cancels, so the attempts under way stop through structured concurrency,
/// remove their worktrees and the command writes what finished; it then exits 128 + the
/// signal's number (130 for SIGINT, 143 for SIGTERM). A second signal ends the process at once.
enum Interruption {
    private static let received = Mutex<Int32?>(nil)

    /// The signal that interrupted this process, if one did.
    static var signal: Int32? { received.withLock { $0 } }

    /// 130 after SIGINT, 143 after SIGTERM; nil when no signal came.
    static var exitCode: Int32? { signal.map { 128 + $0 } }

    static var signalName: String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case let other?: return "signal \(other)"
        case nil: return "no signal"
        }
    }

    /// Runs `body` in a task that SIGINT or SIGTERM cancels, and returns its exit code.
    static func run(_ body: @escaping @Sendable () async throws -> Int32) async throws -> Int32 {
        let work = Task { try await body() }
        // Ignored first, so the default action (ending the process at once) never runs; the
        // dispatch sources still see each signal.
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let first = received.withLock { value -> Bool in
                    guard value == nil else { return false }
                    value = number
                    return true
                }
                guard first else { _exit(128 + number) }
                printError("\n\(signalName): stopping the work under way and cleaning up (send it again to quit at once)…")
                work.cancel()
            }
            source.resume()
            return source
        }
        defer { for source in sources { source.cancel() } }
        return try await work.value
    }
}
