import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// A crafted candidate: the gold patch (or not) plus one textual change to a source file.
struct CraftedPatch: Sendable, CustomStringConvertible {
    var language: String
    var task: String
    var file: String
    var kind: String
    var onGold: Bool
    var change: @Sendable (String) -> String
    var expected: String
    var testTimeout: Double?

    var description: String { "\(language) \(kind)" }
}

/// Per language: a syntax error, a wrong result, a broken regression test, a slow
/// solution and a patch that does not apply.
let craftedPatches: [CraftedPatch] = [
    CraftedPatch(language: "python", task: "patchloop__roman-1", file: "roman/convert.py", kind: "syntax", onGold: true,
        change: { $0 + "\ndef broken(:\n    pass\n" }, expected: "syntax_error"),
    CraftedPatch(language: "python", task: "patchloop__roman-1", file: "roman/convert.py", kind: "wrong result", onGold: false,
        change: { $0 + "\n# looked at this\n" }, expected: "test_failure"),
    CraftedPatch(language: "python", task: "patchloop__roman-1", file: "roman/convert.py", kind: "regression", onGold: true,
        change: { $0.replacingOccurrences(of: #"(1000, "M")"#, with: #"(1000, "Q")"#) }, expected: "regression"),
    CraftedPatch(language: "python", task: "patchloop__roman-1", file: "roman/convert.py", kind: "slow", onGold: true,
        change: { $0.replacingOccurrences(of: "def is_roman(numeral: str) -> bool:\n", with: "def is_roman(numeral: str) -> bool:\n    while True:\n        pass\n") },
        expected: "timeout", testTimeout: 8),
    CraftedPatch(language: "swift", task: "patchloop__tokenizer-1", file: "Sources/Tokenizer/Lexer.swift", kind: "syntax", onGold: true,
        change: { $0 + "\nfunc broken( {\n" }, expected: "syntax_error"),
    CraftedPatch(language: "swift", task: "patchloop__tokenizer-1", file: "Sources/Tokenizer/Lexer.swift", kind: "wrong result", onGold: false,
        change: { $0 + "\n// looked at this\n" }, expected: "test_failure"),
    CraftedPatch(language: "swift", task: "patchloop__tokenizer-1", file: "Sources/Tokenizer/Lexer.swift", kind: "regression", onGold: true,
        change: { $0.replacingOccurrences(of: #"} else if c == "/" && peek(1) == "/" {"#, with: ##"} else if c == "#" && peek(1) == "/" {"##) },
        expected: "regression"),
    CraftedPatch(language: "swift", task: "patchloop__tokenizer-1", file: "Sources/Tokenizer/Lexer.swift", kind: "slow", onGold: true,
        change: { $0.replacingOccurrences(of: "    private mutating func skipTrivia() throws {\n", with: "    private mutating func skipTrivia() throws {\n        while location.line > -1 {}\n") },
        expected: "timeout", testTimeout: 40),
    CraftedPatch(language: "c", task: "patchloop__ringbuf-1", file: "src/ringbuf.c", kind: "syntax", onGold: true,
        change: { $0 + "\nint broken( {\n" }, expected: "syntax_error"),
    CraftedPatch(language: "c", task: "patchloop__ringbuf-1", file: "src/ringbuf.c", kind: "wrong result", onGold: false,
        change: { $0 + "\n/* looked at this */\n" }, expected: "test_failure"),
    CraftedPatch(language: "c", task: "patchloop__ringbuf-1", file: "src/ringbuf.c", kind: "regression", onGold: true,
        change: { $0.replacingOccurrences(of: "    rb->tail = 0;\n    rb->full = false;\n}", with: "    rb->tail = 1;\n    rb->full = false;\n}") },
        expected: "regression"),
    CraftedPatch(language: "c", task: "patchloop__ringbuf-1", file: "src/ringbuf.c", kind: "slow", onGold: true,
        change: { $0.replacingOccurrences(of: "size_t rb_len(const struct ringbuf *rb)\n{\n", with: "size_t rb_len(const struct ringbuf *rb)\n{\n    for (volatile int spin = 1; spin;) {}\n") },
        expected: "timeout", testTimeout: 8),
]

@Suite("Failure taxonomy")
struct FailureTaxonomyTests {
    @Test("crafted failing patches get their category and the evidence line", arguments: craftedPatches)
    func crafted(_ crafted: CraftedPatch) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var task = try TaskStore.loadTask(PackageLocation.tasks + "/" + crafted.task)
        // The slow cases set a short limit they must hit; every other case gets one that no
        // load can reach, or a busy machine (the whole suite runs beside it on 2 cores) turns
        // a syntax error's 30 s collection into a "timeout" it is not.
        task.testTimeout = crafted.testTimeout ?? 900
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        guard case .files(let files) = task.source else { throw SandboxError("not a files task") }
        let base = try await manager.baseRepository(forFilesIn: files, name: task.instanceID)

        // The candidate: made in a scratch worktree, as an agent would have made it.
        let scratch = try await manager.makeSandbox(from: base, group: "craft", name: "work")
        if crafted.onGold { #expect(try await scratch.apply(patch: task.goldPatch, isolation: .bubblewrap).applied) }
        let path = scratch.path + "/" + crafted.file
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let changed = crafted.change(original)
        #expect(changed != original, "the crafted change must change \(crafted.file)")
        try changed.write(toFile: path, atomically: true, encoding: .utf8)
        let patch = try await scratch.diff()

        let score = try await Scorer(sandboxes: manager, isolation: .bubblewrap).score(task, patch: patch, base: base, group: "craft", name: "score")
        let category = FailureCategory.classify(exitStatus: .submitted, detail: "", patch: patch, score: score)
        #expect(category.category == crafted.expected, "\(crafted): \(category.category) — \(category.evidence)\n\(score.testLog.suffix(1500))")
        #expect(!category.evidence.isEmpty)
    }

    @Test("a patch that does not apply, in each language", arguments: [
        ("patchloop__roman-1", "roman/convert.py"), ("patchloop__tokenizer-1", "Sources/Tokenizer/Lexer.swift"), ("patchloop__ringbuf-1", "src/ringbuf.c"),
    ])
    func patchDoesNotApply(task name: String, file: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try TaskStore.loadTask(PackageLocation.tasks + "/" + name)
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        guard case .files(let files) = task.source else { throw SandboxError("not a files task") }
        let base = try await manager.baseRepository(forFilesIn: files, name: task.instanceID)
        let patch = "diff --git a/\(file) b/\(file)\n--- a/\(file)\n+++ b/\(file)\n@@ -1,3 +1,3 @@\n this line\n-is not\n+in the file\n at all\n"
        let score = try await Scorer(sandboxes: manager, isolation: .bubblewrap).score(task, patch: patch, base: base, group: "craft", name: "score")
        let category = FailureCategory.classify(exitStatus: .submitted, detail: "", patch: patch, score: score)
        #expect(category.category == "patch_apply_error")
        #expect(!category.evidence.isEmpty)
    }

    @Test("how the loop ended decides unfinished attempts")
    func loopEndings() {
        #expect(FailureCategory.classify(exitStatus: .formatError, detail: "three replies in a row had no valid tool call", patch: "", score: nil).category == "format_errors")
        #expect(FailureCategory.classify(exitStatus: .budgetExhausted(.steps), detail: "step budget used up after 50 steps", patch: "x", score: nil).category == "budget_exhausted:steps")
        #expect(FailureCategory.classify(exitStatus: .contextExhausted, detail: "too long", patch: "x", score: nil).category == "context_exhausted")
        #expect(FailureCategory.classify(exitStatus: .stuck, detail: "the same read_file call", patch: "", score: nil).evidence.contains("read_file"))
    }
}
