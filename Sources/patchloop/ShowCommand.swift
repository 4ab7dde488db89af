import ArgumentParser
import Foundation
import PatchloopAgent
import PatchloopEval

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Render a trajectory (.jsonl) for reading in a terminal.")

    @Argument(help: "A trajectory file (runs/<run-id>/trajectories/<id>.jsonl).")
    var trajectory: String

    @Flag(help: "Show every observation in full.")
    var full = false

    func run() async throws {
        try await reportingErrors {
            let file = try TrajectoryFile(path: trajectory)
            if file.events.isEmpty {
                throw CLIError("\(trajectory) holds no trajectory events (is it a Patchloop .jsonl trajectory?)")
            }
            print(TrajectoryRenderer(maximumCharacters: full ? 0 : 1200).render(file), terminator: "")
            return 0
        }
    }
}
