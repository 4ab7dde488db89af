import Foundation
import PatchloopCore
import PatchloopTesting
import Testing

/// Reports of real runs (the `patchloop` executable, scripted models), opened in headless
/// Chromium and read back through the DOM.
@Suite("report.html in a real browser")
struct BrowserReportTests {
    @Test("two real runs: overview matches summary.json, filters and sorting work, deep links open the step, injected markup stays text")
    func realRuns() async throws {
        let directory = try TemporaryDirectory(prefix: "patchloop-report")
        defer { directory.remove() }
        let tasks = try ReportFixtures.writeTasks(in: directory)
        let sandboxes = directory.path + "/Sandboxes"
        let gold = directory.path + "/gold", hostile = directory.path + "/hostile"
        let script = try ReportFixtures.writeHostileScript(in: directory)
        let output = try await ReportFixtures.patchloop([
            "eval", tasks, "--model", "scripted:gold", "--max-steps", "4", "--workers", "2", "--run-id", "gold", "--output", gold, "--sandboxes", sandboxes, "--no-sandbox",
        ])
        // eval writes the report itself, and says where.
        #expect(output.contains("report: \(gold)/report.html"))
        try await ReportFixtures.patchloop([
            "eval", tasks, "--model", "scripted:" + script, "--workers", "2", "--run-id", "hostile", "--output", hostile, "--sandboxes", sandboxes, "--no-sandbox",
        ])
        let compare = directory.path + "/compare.html"
        try await ReportFixtures.patchloop(["report", gold, hostile, "--out", compare])

        let single = gold + "/report.html"
        try checkOverview(try await Chromium.dumpDOM(single), run: gold, index: 0)
        try await checkFilters(single, run: gold)
        try await checkDeepLink(single)
        try await checkInjection(single, fragment: "report__resolved-1/1", hostile: false)
        try await checkComparison(compare, gold: gold, hostile: hostile)
        try await checkInjection(compare, fragment: "report__resolved-1/1~2/1", hostile: true)
        try checkFileIsSelfContained(compare)
        try await checkScreenshot(compare, in: directory)
    }

    /// The numbers on the overview are summary.json's.
    func checkOverview(_ html: String, run: String, index: Int) throws {
        let summary = try JSONValue.parse(String(contentsOfFile: run + "/summary.json", encoding: .utf8))
        let dom = DOM(html: html)
        func shown(_ key: String) -> Double? {
            dom.elements(with: "data-stat", equalTo: key).first { $0["data-run"] == String(index) }?["data-value"].flatMap(Double.init)
        }
        #expect(dom.first(with: "data-view")?["data-view"] == "overview")
        for key in ["total_instances", "resolved_instances", "resolve_rate", "cost", "empty_patch_instances", "error_instances"] {
            #expect(shown(key) == summary[key]?.doubleValue, "\(key)")
        }
        #expect(shown("pass@1") == summary["pass_at_k"]?["1"]?.doubleValue)
        #expect(shown("total_tokens") == summary["tokens"]?["total_tokens"]?.doubleValue)
        #expect(shown("attempts_finished") == summary["attempts"]?["finished"]?.doubleValue)
        #expect(shown("wall_seconds") == summary["time"]?["wall_seconds"]?.doubleValue)

        // The taxonomy chart: one bar per category of summary.json, with its count.
        let categories = try #require(summary["failure_categories"]?.objectValue)
        let chart = dom.elements(with: "data-chart", equalTo: "categories-count")
        #expect(chart.count >= index + 1)
        let bars = dom.elements(with: "class", equalTo: "bar-row").filter { $0["href"]?.contains("run=\(index + 1)&") == true }
        let counted = bars.filter { bar in categories.keys.contains(bar["data-category"] ?? "") && bar["data-value"].flatMap(Double.init) == categories[bar["data-category"] ?? ""]?.doubleValue }
        // Each category appears twice: by count (equal to summary.json) and by tokens.
        #expect(Set(counted.compactMap { $0["data-category"] }) == Set(categories.keys))
        if index == 0 {
            #expect(Set(categories.keys) == ["resolved", "test_failure", "syntax_error", "regression", "budget_exhausted:steps", "empty_patch"])
        }
    }

    func rows(_ html: String) -> [DOM.Element] { DOM(html: html).elements(with: "data-instance").filter { $0.following.hasPrefix("<tr") } }

    /// Filtering by category, resolved and text, and sorting by tokens, from the URL the controls keep.
    func checkFilters(_ file: String, run: String) async throws {
        let failing = rows(try await Chromium.dumpDOM(file, fragment: "attempts?category=test_failure"))
        #expect(failing.map { $0["data-instance"] } == ["report__wrong-1"])

        let text = rows(try await Chromium.dumpDOM(file, fragment: "attempts?q=PASS_TO_PASS%20failing"))
        #expect(text.map { $0["data-instance"] } == ["report__regression-1"])

        let byTask = rows(try await Chromium.dumpDOM(file, fragment: "attempts?task=budget"))
        #expect(byTask.map { $0["data-instance"] } == ["report__budget-1"])

        let unresolvedByTokens = try await Chromium.dumpDOM(file, fragment: "attempts?resolved=no&sort=tokens&dir=desc")
        let tokens = try ReportFixtures.results(run).reduce(into: [String: Double]()) { $0[$1.id] = $1.entry["total_tokens"]?.doubleValue }
        let shown = rows(unresolvedByTokens).compactMap { $0["data-instance"] }
        #expect(Set(shown) == Set(try ReportFixtures.results(run).filter { $0.entry["resolved"] == false }.map(\.id)))
        let order = shown.compactMap { tokens[$0] }
        #expect(order.count == 5 && order == order.sorted(by: >))
        #expect(DOM(html: unresolvedByTokens).first(with: "id", equalTo: "shown-count")?["data-shown"] == "5")
    }

    /// `#<instance>/<attempt>/<step>` opens that attempt with that step marked.
    func checkDeepLink(_ file: String) async throws {
        let dom = DOM(html: try await Chromium.dumpDOM(file, fragment: "report__wrong-1/1/3"))
        let view = try #require(dom.elements(with: "data-view", equalTo: "trajectory").first { $0["data-instance"] != nil })
        #expect(view["data-instance"] == "report__wrong-1" && view["data-attempt"] == "1")
        let targets = dom.elements(with: "aria-current", equalTo: "step")
        #expect(targets.count == 1)
        #expect(targets.first?["data-step"] == "3" && targets.first?["id"] == "step-3")
        // Step 3 is the test run: 1 passed (sub), 1 failed (add returns x + 2).
        let step = try #require(targets.first)
        let inStep = DOM(html: String(step.following.range(of: "id=\"step-4\"").map { step.following[..<$0.lowerBound] } ?? step.following))
        #expect(inStep.first(with: "data-tool")?["data-tool"] == "run_tests")
        let badge = inStep.first(with: "data-passed")
        #expect(badge?["data-passed"] == "1" && badge?["data-failed"] == "1")
        // The hidden tests' verdicts: FAIL_TO_PASS failed, PASS_TO_PASS held.
        #expect(dom.first(with: "data-kind", equalTo: "FAIL_TO_PASS")?["data-failed"] == "1")
        #expect(dom.first(with: "data-kind", equalTo: "PASS_TO_PASS")?["data-passed"] == "1")
        // The edit is shown as a diff, the final patch as a coloured diff.
        #expect(dom.first(with: "data-diff", equalTo: "edit") != nil)
        #expect(dom.first(with: "data-diff", equalTo: "patch") != nil)
        #expect(dom.html.contains("<span class=\"line add\">+    return x + 2\n</span>"))
    }

    /// Text from the task, the model, a tool's arguments and output, and the patch is shown as text: it neither runs nor renders.
    func checkInjection(_ file: String, fragment: String, hostile: Bool) async throws {
        let html = try await Chromium.dumpDOM(file, fragment: fragment)
        let dom = DOM(html: html)
        #expect(dom.first(with: "data-view", equalTo: "trajectory") != nil, "\(fragment) should open an attempt")
        #expect(dom.first(with: "data-injected") == nil, "an injected script ran")
        #expect(dom.first(with: "id", equalTo: "injected-markup") == nil, "injected markup was rendered")
        #expect(dom.elements(with: "onerror").isEmpty)
        let asText = "&lt;script&gt;document.documentElement.dataset.injected = \"script\"&lt;/script&gt;&lt;b id=\"injected-markup\"&gt;bold&lt;/b&gt;"
        let occurrences = html.components(separatedBy: asText).count - 1
        // Gold run: the statement, the edit's diff and the final patch; hostile run: the reply, the search's arguments and its output.
        #expect(occurrences >= 3, "the injected text should be visible as text (\(occurrences) times)")
        if hostile { #expect(html.contains("class=\"assistant\">Looking around. &lt;/script&gt;")) }
    }

    func checkComparison(_ file: String, gold: String, hostile: String) async throws {
        let html = try await Chromium.dumpDOM(file)
        try checkOverview(html, run: gold, index: 0)
        try checkOverview(html, run: hostile, index: 1)
        let dom = DOM(html: html)
        let resolvedRow = try #require(dom.first(with: "data-task", equalTo: "report__resolved-1"))
        #expect(resolvedRow["class"] == "differs")
        let cells = DOM(html: String(resolvedRow.following.prefix(3000))).elements(with: "data-resolved")
        #expect(cells.prefix(2).map { $0["data-resolved"] } == ["1", "0"])
        #expect(dom.first(with: "data-task", equalTo: "report__wrong-1")?["class"] == nil)

        let second = rows(try await Chromium.dumpDOM(file, fragment: "attempts?run=2&category=empty_patch"))
        #expect(second.count == 6 && second.allSatisfy { $0["data-run"] == "1" })
    }

    /// No network: nothing in the file loads from anywhere; the policy forbids it besides.
    func checkFileIsSelfContained(_ file: String) throws {
        let html = try String(contentsOfFile: file, encoding: .utf8)
        #expect(html.contains("default-src 'none'"))
        #expect(html.firstMatch(of: #/<(link|img|iframe|object|embed)\b|\bsrc=/#) == nil)
        // The injected `</script>` stays inside its JSON string (as \u003c/script>).
        #expect(!html.contains("<script>document.documentElement"))
        let opened = html.components(separatedBy: "<script").count - 1
        let closed = html.components(separatedBy: "</script>").count - 1
        #expect(opened == closed)
    }

    func checkScreenshot(_ file: String, in directory: TemporaryDirectory) async throws {
        let png = directory.path + "/report.png"
        try await Chromium.screenshot(file, to: png, width: 1280, height: 960)
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // IHDR: width and height, big-endian, at bytes 16 and 20.
        let width = data[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1280)
        // A blank page compresses to a few kilobytes; a drawn one does not.
        #expect(data.count > 20_000)
        // `PATCHLOOP_REPORT_SCREENSHOT=docs/report.png swift test --filter BrowserReportTests` refreshes the README's picture.
        if let destination = ProcessInfo.processInfo.environment["PATCHLOOP_REPORT_SCREENSHOT"], !destination.isEmpty {
            try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.copyItem(atPath: png, toPath: destination)
        }
    }
}
