import Foundation
import PatchloopWorkspace

extension SandboxManager {
    /// Removes what an interrupted (cancelled) attempt may have left at `Sandboxes/<group>/<name>`
    /// for each of `names` — a worktree it made, or one whose `git worktree remove` was killed —
    /// and their registrations in the base repository, so that the attempt can be made again
    /// under the same names; then the group folder if it is empty.
    ///
    /// Runs outside the caller's cancellation: in a cancelled task every git command is killed
    /// as it starts, so the cleanup itself would be cut short.
    public func removeInterrupted(group: String, names: [String], base: @escaping @Sendable () async throws -> BaseRepository) async {
        let manager = self
        await Task.detached {
            let groupFolder = manager.root + "/" + group
            guard let base = try? await base() else {
                await manager.sweepRegistrations(group: group)
                _ = rmdir(groupFolder)
                return
            }
            for name in names {
                await manager.removeLeftover(group: group, name: name, base: base)
                // The marker `makeSandbox` writes beside a worktree, when the worktree is gone.
                let marker = groupFolder + "/." + name + ".patchloop"
                if !manager.hasLeftover(group: group, name: name) { try? FileManager.default.removeItem(atPath: marker) }
            }
            // A registration whose folder another (killed) cleanup already removed.
            _ = try? await Git().runOutcome(["--git-dir=\(base.gitDirectory)", "worktree", "prune"], in: manager.root)
            await manager.sweepRegistrations(group: group)
            // rmdir only removes an empty folder: another attempt's worktree there is safe.
            _ = rmdir(groupFolder)
        }.value
    }
}
