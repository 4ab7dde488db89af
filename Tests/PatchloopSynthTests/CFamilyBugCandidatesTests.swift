import Foundation
import PatchloopEval
import PatchloopSynth
import PatchloopTasks
import PatchloopTesting
import Testing

enum CFixtures {
    static let library = """
        #include "lib.h"
        #define BIGGER(a, b) ((a) > (b) ? (a) : (b))

        /* in_range: whether lo <= v < hi && nothing else */
        int in_range(int v, int lo, int hi) {
            if (v >= lo && v < hi) {
                return 1;
            }
            return 0;
        }

        const char *label(int v) {
            // a comment with a < b
            return v == 0 ? "a < b && c" : "other";
        }

        int sign(int v) {
            if (v > 0) {
                return 1;
            }
            return 0;
        }

        """

    static let files: [String: String] = [
        "lib.h": "int in_range(int v, int lo, int hi);\nconst char *label(int v);\nint sign(int v);\n",
        "lib.c": library,
        "tests/test_lib.c": """
            #include <stdio.h>
            #include "../lib.h"

            int main(void) {
                printf("%s 1 - range_low_edge\\n", in_range(0, 0, 10) == 1 ? "ok" : "not ok");
                printf("%s 2 - range_high_edge\\n", in_range(10, 0, 10) == 0 ? "ok" : "not ok");
                printf("%s 3 - range_outside\\n", in_range(20, 0, 10) == 0 ? "ok" : "not ok");
                printf("%s 4 - sign_zero\\n", sign(0) == 0 ? "ok" : "not ok");
                return 0;
            }

            """,
        "Makefile": "test:\n\tcc -o /tmp/test_lib tests/test_lib.c lib.c && /tmp/test_lib\n",
    ]
}

@Suite("Swift and C bug candidates")
struct CFamilyBugCandidatesTests {
    @Test("C: comparisons and && in code are flipped; comments, strings and preprocessor lines are not")
    func cCandidates() {
        let all = CFamilyBugCandidates.candidates(file: "lib.c", source: CFixtures.library)
        for candidate in all {
            let removed = candidate.diff.split(separator: "\n").filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }
            #expect(!removed.contains { $0.contains("#define") || $0.contains("/*") || $0.contains("//") }, "\(candidate.diff)")
        }
        #expect(Set(all.map(\.operatorName)) == ["flip_comparison", "swap_bool_op", "off_by_one", "negate_if", "drop_early_return", "drop_guard"])
        let candidates = all.filter { ["flip_comparison", "swap_bool_op"].contains($0.operatorName) }
        let changed = candidates.map { candidate in
            candidate.diff.split(separator: "\n").first { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.map(String.init) ?? ""
        }
        #expect(
            Set(changed) == [
                "+    if (v > lo && v < hi) {", "+    if (v >= lo || v < hi) {", "+    if (v >= lo && v <= hi) {",
                "+    return v != 0 ? \"a < b && c\" : \"other\";", "+    if (v >= 0) {",
            ])
        #expect(Set(candidates.map(\.function)) == ["in_range", "label", "sign"])
    }

    @Test("Swift: generics, arrows, string interpolation and comments are left alone")
    func swiftCandidates() {
        let source = """
            /// Returns a < b /* nested */
            func smaller(_ a: Int, _ b: Int) -> Array<Int> {
                let text = "\\(a < b) && \\(a == b)"
                let raw = #"a < b"#
                if a < b && b != 0 { return [a] }
                return [b]
            }

            """
        let all = CFamilyBugCandidates.candidates(file: "Sources/Lib/Lib.swift", source: source)
        #expect(all.filter { $0.operatorName == "off_by_one" }.map(\.line) == [5], "only `b != 0` holds a literal in code")
        let candidates = all.filter { $0.operatorName != "off_by_one" }
        #expect(candidates.count == 3)
        #expect(candidates.allSatisfy { $0.line == 5 && $0.function == "smaller" })
        #expect(Set(candidates.map(\.operatorName)) == ["flip_comparison", "swap_bool_op"])
        #expect(!CFamilyBugCandidates.isSourceFile("Tests/LibTests/LibTests.swift"))
        #expect(!CFamilyBugCandidates.isSourceFile("Package.swift"))
    }

    @Test("a C repository: bugs validated by the test command's build, tasks that validate")
    func cRepository() async throws {
        let directory = try TemporaryDirectory(prefix: "synth-c")
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: CFixtures.files)
        let request = SynthRequest(
            repository: repository, testCommand: "make test", parserName: "tap", count: 4, outputDirectory: directory.path + "/synth",
            workers: 2, seed: 3, languages: ["c"], sandboxRoot: directory.path + "/Sandboxes", testTimeout: 120, combined: 1)
        let summary = try await TaskSynthesizer(request: request).run()
        #expect(summary.written.count == 5, "four single bugs and one that joins two or three of them")
        #expect(summary.perOperator["combined"]?.kept == 1)
        let tasks = try TaskStore.load(directory.path + "/synth")
        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let validator = TaskValidator(runner: AttemptRunner(configuration: configuration))
        let combined = tasks.filter { $0.instanceID.contains(".combined.") }
        #expect(combined.count == 1)
        if let task = combined.first {
            let removed = task.goldPatch.split(separator: "\n").filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }
            #expect((2...3).contains(removed.count), "the fix changes two or three lines: \(task.goldPatch)")
        }
        for task in tasks {
            #expect(task.language == "c")
            #expect(task.testPatch.contains("+++ b/tests/test_lib.c"), "the file that prints the failing tests comes back through test.patch")
            #expect(task.failToPass.allSatisfy { $0.hasPrefix("range_") || $0 == "sign_zero" })
            let verdict = await validator.validate(task)
            #expect(verdict.isValid, "\(task.instanceID): \(verdict.problems)")
        }
    }
}
