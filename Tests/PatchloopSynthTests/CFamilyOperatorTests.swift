import Foundation
import PatchloopTasks
import Testing

@testable import PatchloopSynth

@Suite("each Swift and C operator, validated by execution")
struct CFamilyOperatorTests {
    static let cTests = ["clamp_below", "clamp_inside", "sum_three", "both_mixed", "both_yes", "grade_mid", "grade_low", "step_down"]
    static let swiftTests = [
        "clamp_below", "clamp_inside", "sum_three", "both_mixed", "both_yes", "first_default", "first_one", "first_none", "total_two",
        "countdown", "grade_mid", "grade_low",
    ]

    @Test("C: every operator makes a bug that builds and breaks the tests of that behaviour")
    func cOperators() async throws {
        let library = """
            #include "ops.h"

            int clamp_low(int v, int lo) {
                if (v < lo) {
                    return lo;
                }
                return v;
            }

            int sum_to(int n) {
                int total = 0;
                for (int i = 1; i <= n; i++) {
                    total += i;
                }
                return total;
            }

            int both_positive(int a, int b) {
                return a > 0 && b > 0;
            }

            int grade(int v) {
                int g = 0;
                if (v >= 90) {
                    g = 3;
                } else if (v >= 50) {
                    g = 2;
                } else {
                    g = 1;
                }
                return g;
            }

            #define STEP 2

            int subtract(int a, int b) {
                return a - b;
            }

            int step_down(int v) {
                return subtract(v, STEP);
            }

            """
        let main = """
            #include <stdio.h>
            #include "../ops.h"

            int main(void) {
                printf("%s 1 - clamp_below\\n", clamp_low(-5, 0) == 0 ? "ok" : "not ok");
                printf("%s 2 - clamp_inside\\n", clamp_low(5, 0) == 5 ? "ok" : "not ok");
                printf("%s 3 - sum_three\\n", sum_to(3) == 6 ? "ok" : "not ok");
                printf("%s 4 - both_mixed\\n", both_positive(1, -1) == 0 ? "ok" : "not ok");
                printf("%s 5 - both_yes\\n", both_positive(1, 2) == 1 ? "ok" : "not ok");
                printf("%s 6 - grade_mid\\n", grade(60) == 2 ? "ok" : "not ok");
                printf("%s 7 - grade_low\\n", grade(10) == 1 ? "ok" : "not ok");
                printf("%s 8 - step_down\\n", step_down(5) == 3 ? "ok" : "not ok");
                return 0;
            }

            """
        let files = [
            "ops.h": "int clamp_low(int v, int lo);\nint sum_to(int n);\nint both_positive(int a, int b);\nint grade(int v);\nint step_down(int v);\n",
            "ops.c": library,
            "tests/main.c": main, "Makefile": "test:\n\tcc -o /tmp/ops tests/main.c ops.c && /tmp/ops\n",
        ]
        try await OperatorCheck.check(
            files: files, candidates: { _ in CFamilyBugCandidates.candidates(file: "ops.c", source: library) }, testCommand: "make test",
            parser: TAPLogParser(), allTests: Self.cTests,
            cases: [
                ("flip_comparison", "+    for (int i = 1; i < n; i++) {", ["sum_three"]),
                ("off_by_one", "+    int total = 1;", ["sum_three"]),
                ("swap_bool_op", "+    return a > 0 || b > 0;", ["both_mixed"]),
                ("negate_if", "+    if (!(v < lo)) {", ["clamp_below", "clamp_inside"]),
                ("drop_early_return", "-        return lo;", ["clamp_below"]),
                ("drop_state_update", "-        total += i;", ["sum_three"]),
                ("range_bound", "+    for (int i = 1; i <= n - 1; i++) {", ["sum_three"]),
                ("drop_else", "-    } else if (v >= 50) {", ["grade_mid"]),
                ("drop_else", "-        g = 1;", ["grade_low"]),
                ("drop_guard", "-    if (v < lo) {", ["clamp_below"]),
                ("swap_call_args", "+    return subtract(STEP, v);", ["step_down"]),
                ("change_constant", "+#define STEP 3", ["step_down"]),
            ])
    }

    @Test("Swift: every operator makes a bug that compiles and breaks the tests of that behaviour")
    func swiftOperators() async throws {
        let library = """
            func clampLow(_ v: Int, _ lo: Int) -> Int {
                if v < lo {
                    return lo
                }
                return v
            }

            func sumTo(_ n: Int) -> Int {
                var total = 0
                var i = 1
                while i <= n {
                    total += i
                    i += 1
                }
                return total
            }

            func bothPositive(_ a: Int, _ b: Int) -> Bool {
                return a > 0 && b > 0
            }

            func firstItems(_ items: [Int], _ n: Int = 2) -> [Int] {
                guard n > 0 else {
                    return [-1]
                }
                return Array(items[..<n])
            }

            func total(_ items: [Int], upTo n: Int) -> Int {
                var sum = 0
                for i in 0..<n {
                    sum += items[i]
                }
                return sum
            }

            func minus(_ a: Int, _ b: Int) -> Int {
                return a - b
            }

            func countdown(_ n: Int) -> Int {
                return minus(n, 1)
            }

            func grade(_ v: Int) -> Int {
                var g = 0
                if v >= 90 {
                    g = 3
                } else if v >= 50 {
                    g = 2
                } else {
                    g = 1
                }
                return g
            }

            """
        let main = """
            func report(_ number: Int, _ name: String, _ passed: Bool) {
                print("\\(passed ? "ok" : "not ok") \\(number) - \\(name)")
            }
            report(1, "clamp_below", clampLow(-5, 0) == 0)
            report(2, "clamp_inside", clampLow(5, 0) == 5)
            report(3, "sum_three", sumTo(3) == 6)
            report(4, "both_mixed", bothPositive(1, -1) == false)
            report(5, "both_yes", bothPositive(1, 2) == true)
            report(6, "first_default", firstItems([1, 2, 3]) == [1, 2])
            report(7, "first_one", firstItems([1, 2, 3], 1) == [1])
            report(8, "first_none", firstItems([1, 2, 3], 0) == [-1])
            report(9, "total_two", total([1, 2, 3], upTo: 2) == 3)
            report(10, "countdown", countdown(5) == 4)
            report(11, "grade_mid", grade(60) == 2)
            report(12, "grade_low", grade(10) == 1)

            """
        let files = ["Sources/Ops.swift": library, "Tests/main.swift": main]
        let candidates = CFamilyBugCandidates.candidates(file: "Sources/Ops.swift", source: library)
            .filter { !$0.diff.contains("-        i += 1") }  // an endless loop: a timeout, not a failing test
        try await OperatorCheck.check(
            files: files, candidates: { _ in candidates },
            testCommand: "swiftc -module-cache-path /tmp/mc -o /tmp/ops Sources/Ops.swift Tests/main.swift && /tmp/ops",
            parser: TAPLogParser(), allTests: Self.swiftTests,
            cases: [
                ("flip_comparison", "+    while i < n {", ["sum_three"]),
                ("off_by_one", "+    var total = 1", ["sum_three"]),
                ("swap_bool_op", "+    return a > 0 || b > 0", ["both_mixed"]),
                ("negate_if", "+    if !(v < lo) {", ["clamp_below", "clamp_inside"]),
                ("drop_early_return", "-        return lo", ["clamp_below"]),
                ("drop_state_update", "-        total += i", ["sum_three"]),
                ("range_bound", "+    for i in 0...n {", ["total_two"]),
                ("slice_bound", "+    return Array(items[...n])", ["first_default", "first_one"]),
                ("drop_else", "-    } else if v >= 50 {", ["grade_mid"]),
                ("drop_else", "-        g = 1", ["grade_low"]),
                ("drop_guard", "-    guard n > 0 else {", ["first_none"]),
                ("swap_call_args", "+    return minus(1, n)", ["countdown"]),
                ("change_default", "+func firstItems(_ items: [Int], _ n: Int = 3) -> [Int] {", ["first_default"]),
            ])
    }
}
