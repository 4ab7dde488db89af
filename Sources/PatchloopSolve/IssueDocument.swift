import Foundation
import PatchloopCore

/// The issue `solve` works on: plain text or Markdown, or the JSON that
/// `gh issue view --json title,body,comments` writes.
public struct IssueDocument: Sendable, Hashable {
    /// One line: the JSON's title, or the text's first line without its `#` marks.
    public var title: String
    /// The whole issue as the model reads it (title, body and comments).
    public var text: String

    public init(title: String, text: String) {
        self.title = title
        self.text = text
    }

    /// Reads an issue from `data`; `source` names where it came from in error messages.
    public static func parse(_ data: Data, source: String) throws -> IssueDocument {
        guard let content = String(data: data, encoding: .utf8) else {
            throw SolveError(.usage, "the issue in \(source) is not UTF-8 text")
        }
        let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw SolveError(.usage, "the issue in \(source) is empty: give the issue's text (a file, or - for standard input)")
        }
        if trimmed.hasPrefix("{") {
            let document: JSONValue
            do {
                document = try JSONValue.parse(trimmed)
            } catch {
                throw SolveError(.usage, "the issue in \(source) starts like JSON but does not parse (\(error)); give plain text or `gh issue view --json title,body,comments` output")
            }
            return try fromGitHubJSON(document, source: source)
        }
        let firstLine = trimmed.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? trimmed
        let title = firstLine.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
        return IssueDocument(title: title.isEmpty ? "Resolve the issue" : title, text: trimmed)
    }

    /// `{"title": …, "body": …, "comments": [{"author": {"login": …}, "body": …}, …]}`.
    static func fromGitHubJSON(_ document: JSONValue, source: String) throws -> IssueDocument {
        guard document.objectValue != nil else { throw SolveError(.usage, "the issue in \(source) is JSON but not an object") }
        let title = document["title"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let body = document["body"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !title.isEmpty || !body.isEmpty else {
            throw SolveError(.usage, "the JSON issue in \(source) has neither a \"title\" nor a \"body\" (expected `gh issue view --json title,body,comments` output)")
        }
        if let comments = document["comments"], !comments.isNull, comments.arrayValue == nil {
            throw SolveError(.usage, "the JSON issue in \(source): \"comments\" must be a list")
        }
        var text = title.isEmpty ? body : "# \(title)\n\n\(body)"
        let comments = (document["comments"]?.arrayValue ?? []).compactMap { comment -> String? in
            guard let commentBody = comment["body"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !commentBody.isEmpty
            else { return nil }
            let author = comment["author"]?["login"]?.stringValue ?? "someone"
            return "@\(author) wrote:\n\(commentBody)"
        }
        if !comments.isEmpty {
            text += "\n\n## Comments\n\n" + comments.joined(separator: "\n\n")
        }
        return IssueDocument(title: title.isEmpty ? (body.split(separator: "\n").first.map(String.init) ?? "Resolve the issue") : title, text: text)
    }
}
