import Foundation

/// What the agent is asked to do: the issue and what it needs to know about the repository.
public struct AgentTask: Sendable {
    public var instanceID: String
    public var repositoryName: String
    public var problemStatement: String
    public var hints: String
    /// The command `run_tests` runs, shown to the model so it knows what "tests" means.
    public var testCommand: String?
    /// Extra context placed before the issue (a repository map, project instructions).
    public var context: String

    public init(
        instanceID: String, repositoryName: String, problemStatement: String, hints: String = "", testCommand: String? = nil,
        context: String = ""
    ) {
        self.instanceID = instanceID
        self.repositoryName = repositoryName
        self.problemStatement = problemStatement
        self.hints = hints
        self.testCommand = testCommand
        self.context = context
    }
}

/// The system and instance prompts. Kept stable and free of run-specific values (no
/// dates, no paths of this machine) so that providers' prefix caches can hit.
public enum Prompts {
    public static let system = """
        You are an expert software engineer working in a git repository to resolve an issue. You act only through \
        the tools you are given:
        - read_file: read a file (numbered lines) or list a directory;
        - search: find where something is defined or used;
        - edit: replace an exact text in a file, or create a file;
        - run_tests: run the repository's tests;
        - submit: finish, with the current changes as your answer.

        Work like this: find the code the issue is about, understand the cause, make the smallest change that fixes \
        it in the library code (not in the tests), run the tests, and submit. Call exactly one tool per turn and \
        keep your reasoning short. Paths are relative to the repository root. Do not give up without submitting.
        """

    public static func instance(_ task: AgentTask) -> String {
        var text = "Repository: \(task.repositoryName)\n\n"
        if !task.context.isEmpty {
            text += task.context.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n"
        }
        text += "<issue>\n\(task.problemStatement.trimmingCharacters(in: .whitespacesAndNewlines))\n</issue>\n"
        if !task.hints.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            text += "\n<hints>\n\(task.hints.trimmingCharacters(in: .whitespacesAndNewlines))\n</hints>\n"
        }
        if let command = task.testCommand {
            text += "\nrun_tests runs `\(command)` in the repository root.\n"
        }
        text += "\nResolve the issue by changing the repository's code, then call submit."
        return text
    }

    static let noToolCall = """
        Your reply had no tool call. Act through the tools: call exactly one of read_file, search, edit, run_tests or \
        submit (call submit when you are done).
        """

    static let repeatedCall = """
        Warning: this is the third time you have made exactly this call and got exactly this result. Doing it again \
        will end the attempt. Try something different.
        """
}
