import Foundation
import Synchronization

/// One lock per repository for git's worktree bookkeeping. Concurrent `git worktree add`
/// and `remove` on one repository race inside git itself (one lists `worktrees/` while
/// another is half-way through writing its entry: "failed to read …/commondir"), so
/// Patchloop takes them one at a time per repository; checkouts of different
/// repositories still run side by side.
final class RepositoryLocks: Sendable {
    static let shared = RepositoryLocks()

    private struct State {
        var held: Set<String> = []
        var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state = Mutex(State())

    @discardableResult
    func withLock<T: Sendable>(_ repository: String, _ body: () async throws -> T) async throws -> T {
        await acquire(repository)
        do {
            let result = try await body()
            release(repository)
            return result
        } catch {
            release(repository)
            throw error
        }
    }

    private func acquire(_ repository: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.held.contains(repository) {
                    state.waiting[repository, default: []].append(continuation)
                    return false
                }
                state.held.insert(repository)
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release(_ repository: String) {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if var queue = state.waiting[repository], !queue.isEmpty {
                let first = queue.removeFirst()
                state.waiting[repository] = queue.isEmpty ? nil : queue
                return first  // the lock passes straight to the next waiter
            }
            state.held.remove(repository)
            return nil
        }
        next?.resume()
    }
}
