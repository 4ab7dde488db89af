import Foundation
import PatchloopAgent
import PatchloopTesting

extension Benchmarks {
    /// One repository map build: its time and what it holds.
    public struct RepositoryMapMeasurement: Sendable {
        public var files: Int
        public var tokens: Int
        public var shownFiles: Int
        public var usedCtags: Bool
        public var seconds: Summary
        /// The map of the last build, for a person to look at.
        public var text: String
    }

    /// Builds the repository map of `root` for `issue` `repetitions` times (the first
    /// build pays for a cold file cache; the median says what a run pays).
    public static func repositoryMap(root: String, issue: String, tokenBudget: Int, useCtags: Bool, repetitions: Int) async throws
        -> RepositoryMapMeasurement
    {
        let builder = RepositoryMapBuilder(tokenBudget: tokenBudget, useCtags: useCtags)
        var times: [Double] = []
        var last: RepositoryMap?
        for _ in 0..<max(1, repetitions) {
            let map = try await builder.build(root: root, issue: issue)
            times.append(map.buildSeconds)
            last = map
        }
        return RepositoryMapMeasurement(
            files: last?.totalFiles ?? 0, tokens: last?.tokens ?? 0, shownFiles: last?.shownFiles.count ?? 0,
            usedCtags: last?.usedCtags ?? false, seconds: Summary(times), text: last?.text ?? "")
    }
}
