import Foundation
import Testing

@testable import PatchloopSynth

/// The lines a candidate's diff removes and adds, without the file headers.
private func changes(_ candidate: BugCandidate) -> (removed: [String], added: [String]) {
    let lines = candidate.diff.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("---") && !$0.hasPrefix("+++") }
    return (lines.filter { $0.hasPrefix("-") }, lines.filter { $0.hasPrefix("+") })
}

@Suite("Swift and C operators that span lines: ranges, else branches, guards, call arguments, defaults, constants")
struct CFamilyBlockOperatorTests {
    static let swift = """
        /// Comments hold a..<b, else { f(a, b) }, guard x else { return } and `n: Int = 5`
        func window(_ items: [Int], _ n: Int, step: Int = 2, strict: Bool = false, name: String? = nil) -> [Int] {
            let label = "0..<n else { f(a, b) } guard y else { return }"
            guard n > 0 else {
                return []
            }
            var out: [Int] = []
            let count: (Int...) -> Int = { $0.count }
            for i in 0..<n {
                out.append(items[i])
            }
            for i in stride(from: 0, to: n, by: step) {
                out.append(i)
            }
            if strict {
                out.append(1)
            } else if n > 3 {
                out.append(2)
            } else {
                out.append(3)
            }
            guard let first = items.first else { return out }
            out.append(max(first, n))
            out.append(compute(label: first, n))
            return out + items[..<n] + Array(items[1...2])
        }

        """

    static let c = """
        #include <string.h>
        #define LIMIT 8 /* at most 8, else { f(a, b) } */
        #define NAME "a, b"
        static const int WIDTH = 3; // or 4
        int counter = 5;

        int clip(const char *s, int n, int lo) {
            if (n > LIMIT) return LIMIT;
            if (s == 0) {
                return -1;
            }
            int total = 0;
            memcpy(&total, s, 1);
            total += pick(lo, n // the upper one
                );
            for (int i = lo; i < n; i++) {
                total += (int)strlen(s) - i;
            }
            for (int j = 0; j < 10 && total > 0; j++) {
                total -= 1;
            }
            if (total > 10) {
                total = 10;
            } else if (total < 0) {
                total = 0;
            } else {
                total = total * 2;
            }
            printf("f(a, b) else { }", total);
            return subtract(total, n) + strcmp(s, "x, y");
        }

        """

    @Test("Swift: the exact diff of each new operator; strings, comments, labeled calls, bindings and variadics are left alone")
    func swiftOperators() {
        let all = CFamilyBugCandidates.candidates(file: "Sources/Lib/Window.swift", source: Self.swift)
        func of(_ name: String) -> [BugCandidate] { all.filter { $0.operatorName == name } }
        for candidate in all {
            let (removed, _) = changes(candidate)
            #expect(!removed.contains { $0.contains("let label") || $0.contains("/// Comments") }, "\(candidate.diff)")
        }
        #expect(
            of("range_bound").map { changes($0).added } == [
                ["+    for i in 0...n {"], ["+    for i in 0..<n - 1 {"], ["+    return out + items[..<n] + Array(items[1..<2])"],
                ["+    for i in stride(from: 0, through: n, by: step) {"],
            ])
        #expect(of("slice_bound").map { changes($0).added } == [["+    return out + items[...n] + Array(items[1...2])"]])
        #expect(
            of("change_default").map { changes($0).added } == [
                ["+func window(_ items: [Int], _ n: Int, step: Int = 3, strict: Bool = false, name: String? = nil) -> [Int] {"],
                ["+func window(_ items: [Int], _ n: Int, step: Int = 2, strict: Bool = true, name: String? = nil) -> [Int] {"],
            ])
        #expect(of("change_default").allSatisfy { $0.function == "window" && $0.line == 2 })
        #expect(!of("off_by_one").contains { $0.line == 2 }, "a default value is change_default's, not off_by_one's")
        #expect(of("drop_guard").map { changes($0).removed } == [["-    guard n > 0 else {", "-        return []", "-    }"]], "guard let binds a name: left alone")
        #expect(of("drop_guard").allSatisfy { changes($0).added.isEmpty })
        #expect(
            of("drop_else").map { changes($0).removed + changes($0).added } == [
                ["-    } else if n > 3 {", "-        out.append(2)", "-    } else {", "+    } else {"],
                ["-    } else {", "-        out.append(3)", "-    }", "+    }"],
            ])
        #expect(of("swap_call_args").map { changes($0).added } == [["+    out.append(max(n, first))"]], "labeled, one-argument and declared lists stay")
        #expect(all.allSatisfy { $0.function == "window" })
        #expect(!all.contains { $0.diff.contains("-    let count") }, "`Int...` is not a range")
    }

    @Test("C: the exact diff of each new operator; strings, comments and preprocessor text are left alone")
    func cOperators() {
        let all = CFamilyBugCandidates.candidates(file: "clip.c", source: Self.c)
        func of(_ name: String) -> [BugCandidate] { all.filter { $0.operatorName == name } }
        for candidate in all {
            let (removed, _) = changes(candidate)
            #expect(!removed.contains { $0.contains("printf") || $0.contains("NAME") || $0.contains("strcmp") && !$0.contains("subtract") }, "\(candidate.diff)")
        }
        #expect(
            of("drop_guard").map { changes($0).removed } == [
                ["-    if (n > LIMIT) return LIMIT;"], ["-    if (s == 0) {", "-        return -1;", "-    }"],
            ], "an if with an else is no guard")
        #expect(
            of("range_bound").map { changes($0).added } == [
                ["+    for (int i = lo; i < n - 1; i++) {"], ["+    for (int i = lo + 1; i < n; i++) {"],
            ], "a literal bound is off_by_one's; a condition with && is left alone")
        #expect(
            of("drop_else").map { changes($0).removed + changes($0).added } == [
                ["-    } else if (total < 0) {", "-        total = 0;", "-    } else {", "+    } else {"],
                ["-    } else {", "-        total = total * 2;", "-    }", "+    }"],
            ])
        #expect(
            of("swap_call_args").map { changes($0).added } == [["+    return subtract(n, total) + strcmp(s, \"x, y\");"]],
            "a call whose argument is a bare string literal or holds a comment, or that passes an address and a value, is left alone")
        #expect(
            of("change_constant").map { changes($0).added } == [
                ["+#define LIMIT 9 /* at most 8, else { f(a, b) } */"], ["+#define LIMIT 7 /* at most 8, else { f(a, b) } */"],
                ["+static const int WIDTH = 4; // or 4"], ["+static const int WIDTH = 2; // or 4"],
            ], "a string constant and a variable that is not const are left alone")
        #expect(of("change_constant").map(\.function) == ["LIMIT", "LIMIT", "WIDTH", "WIDTH"])
        #expect(of("change_default").isEmpty, "C has no default values")
        #expect(all.filter { $0.operatorName != "change_constant" }.allSatisfy { $0.function == "clip" })
    }

    @Test("a combined bug never joins a part that lies inside the lines a dropped else removes")
    func combinedPartsDoNotOverlap() throws {
        let source = """
            int f(int v) {
                int g = 0;
                if (v > 0) {
                    g = 1;
                } else {
                    g = 2;
                    g = g * 3;
                    g = g + 4;
                    g = g - 5;
                    g = g * 6;
                    g = g + 7;
                    g = g - 8;
                }
                return g;
            }

            int h(int v) {
                int k = v;
                int m = k;
                m = m * k;
                k = k + 1;
                return k + m;
            }

            """
        let all = CFamilyBugCandidates.candidates(file: "f.c", source: source)
        let dropElse = try #require(all.first { $0.operatorName == "drop_else" })
        let inside = try #require(all.first { $0.operatorName == "off_by_one" && $0.line == 12 })
        let far = try #require(all.first { $0.operatorName == "off_by_one" && $0.line == 21 })
        #expect(TaskSynthesizer.coveredLines(dropElse) == 2...16, "lines 5 to 13 removed, three lines of context either side")
        #expect(TaskSynthesizer.coveredLines(inside) == 9...15)
        let groups = TaskSynthesizer.combinedGroups(["f.c": [far, inside, dropElse]])
        #expect(groups == [[dropElse, far]], "line 12 is 7 lines below the else, but inside what it removes")
    }

    @Test("a multi-line candidate's diff applies with git apply and gives the expected file")
    func multiLineDiffApplies() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfamily-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let candidate = try #require(CFamilyBugCandidates.candidates(file: "clip.c", source: Self.c).first { $0.operatorName == "drop_else" })
        try Self.c.write(to: directory.appendingPathComponent("clip.c"), atomically: true, encoding: .utf8)
        try candidate.diff.write(to: directory.appendingPathComponent("bug.diff"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["apply", "bug.diff"]
        process.currentDirectoryURL = directory
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let result = try String(contentsOf: directory.appendingPathComponent("clip.c"), encoding: .utf8)
        #expect(result == Self.c.replacingOccurrences(of: "    } else if (total < 0) {\n        total = 0;\n    } else {\n", with: "    } else {\n"))
    }
}
