import Foundation
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// Headless Chromium (Debian's `chromium`, installed by `scripts/setup`), one process per
/// page, each with a profile of its own so that tests can run side by side.
///
/// The report draws every view synchronously in its inline script, so the DOM that
/// `--dump-dom` prints after the load event is the finished view: nothing here waits or times.
enum Chromium {
    static let executable: String? = {
        let environment = ProcessInfo.processInfo.environment
        return ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].lazy
            .compactMap { ProcessRunner.resolveExecutable($0, environment: environment) }.first
    }()

    static func url(_ file: String, fragment: String) -> String {
        URL(fileURLWithPath: file).absoluteString + (fragment.isEmpty ? "" : "#" + fragment)
    }

    /// The page's DOM once it has loaded and its script has run.
    static func dumpDOM(_ file: String, fragment: String = "") async throws -> String {
        let outcome = try await run(["--dump-dom", url(file, fragment: fragment)])
        let dom = outcome.standardOutput.text
        try #require(dom.contains("</html>"), "chromium printed no DOM for \(file)#\(fragment): \(outcome.statusDescription)\n\(outcome.standardError.text.suffix(2000))")
        return dom
    }

    /// A PNG of the page's first `width` × `height` pixels.
    static func screenshot(_ file: String, fragment: String = "", to png: String, width: Int, height: Int) async throws {
        let outcome = try await run(["--screenshot=\(png)", "--window-size=\(width),\(height)", "--hide-scrollbars", url(file, fragment: fragment)])
        try #require(FileManager.default.fileExists(atPath: png), "chromium made no screenshot: \(outcome.statusDescription)\n\(outcome.standardError.text.suffix(2000))")
    }

    private static func run(_ arguments: [String]) async throws -> ProcessOutcome {
        let executable = try #require(Chromium.executable, "headless Chromium is needed for the report's browser tests: run scripts/setup (it installs Debian's chromium)")
        let profile = try TemporaryDirectory(prefix: "patchloop-chromium")
        defer { profile.remove() }
        return try await ProcessRunner().run(
            ProcessSpec(
                executable: executable,
                arguments: [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                    "--disable-background-networking", "--disable-sync", "--user-data-dir=\(profile.path)",
                ] + arguments,
                environment: ProcessInfo.processInfo.environment, timeout: 180, outputLimit: .large))
    }
}

/// Reading a DOM dump: the start tags that carry an attribute, with their attributes.
struct DOM {
    var html: String

    struct Element {
        var attributes: [String: String]
        /// From the start tag to the end of the dump (enough to look inside the element).
        var following: Substring
        subscript(_ name: String) -> String? { attributes[name] }
    }

    /// Every element with attribute `name` (equal to `value` when given), in document order.
    func elements(with name: String, equalTo value: String? = nil) -> [Element] {
        var found: [Element] = []
        let marker = " \(name)=\""
        var searchStart = html.startIndex
        while let hit = html.range(of: marker, range: searchStart..<html.endIndex) {
            searchStart = hit.upperBound
            guard let open = html[..<hit.lowerBound].lastIndex(of: "<"), let close = html[hit.upperBound...].firstIndex(of: ">") else { continue }
            // A match in text (where `<` and `>` are escaped) lies after the end of the last tag, not inside it.
            guard !html[open..<hit.lowerBound].contains(">") else { continue }
            let tag = html[open...close]
            guard !tag.hasPrefix("</") else { continue }
            var attributes: [String: String] = [:]
            for match in tag.matches(of: #/([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"/#) {
                attributes[String(match.1)] = DOM.unescape(String(match.2))
            }
            if let value, attributes[name] != value { continue }
            found.append(Element(attributes: attributes, following: html[open...]))
        }
        return found
    }

    func first(with name: String, equalTo value: String? = nil) -> Element? { elements(with: name, equalTo: value).first }

    /// The text of an element's content up to its first child's end (for leaf elements).
    static func leafText(_ element: Element) -> String {
        guard let start = element.following.firstIndex(of: ">"), let end = element.following[start...].range(of: "</") else { return "" }
        return unescape(String(element.following[element.following.index(after: start)..<end.lowerBound]))
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&nbsp;", with: "\u{A0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}
