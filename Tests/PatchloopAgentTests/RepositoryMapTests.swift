import Foundation
import PatchloopAgent
import PatchloopModels
import PatchloopTesting
import Testing

@Suite("Repository map")
struct RepositoryMapTests {
    /// A repository where the issue's file is neither first alphabetically nor the biggest.
    static let files: [String: String] = [
        "aardvark/helpers.py": "def helper_one():\n    pass\n\n\ndef helper_two():\n    pass\n\n\nclass Toolbox:\n    def use(self):\n        pass\n",
        "billing/invoice.py": "from billing.tax import compute_vat\n\n\nclass Invoice:\n    def total(self):\n        return compute_vat(self.net)\n",
        "billing/tax.py": "def compute_vat(net):\n    return net * 0.2\n\n\ndef round_cents(value):\n    return round(value, 2)\n",
        "zebra/main.swift": "struct Zebra {\n    func stripes() -> Int { 3 }\n}\n",
        "README.md": "# Shop\n",
    ]

    @Test("the file named in the issue ranks first, then the file that defines what it names, then its users", arguments: [true, false])
    func namedFileFirst(useCtags: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: Self.files)
        let map = try await RepositoryMapBuilder(tokenBudget: 1024, useCtags: useCtags)
            .build(root: repository, issue: "The VAT in billing/tax.py is wrong: `compute_vat(100)` returns 20.0 for Germany.")
        #expect(map.shownFiles.first == "billing/tax.py")
        #expect(map.shownFiles.dropFirst().first == "billing/invoice.py")
        #expect(map.text.contains("1: def compute_vat(net):"))
        #expect(map.totalFiles == 5)
        #expect(map.tokens <= 1024)
        if !useCtags { #expect(!map.usedCtags) }
    }

    @Test("a name the issue mentions ranks its defining file first, even without a path")
    func definingFileFirst() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: Self.files)
        let map = try await RepositoryMapBuilder().build(root: repository, issue: "round_cents() rounds 0.125 down.")
        #expect(map.shownFiles.first == "billing/tax.py")
        #expect(map.ranking.first?.reasons.contains("defines round_cents") == true)
    }

    @Test("the map stays within its token budget and says how many files it shows")
    func respectsBudget() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var files: [String: String] = [:]
        for index in 0..<60 {
            files["pkg\(index % 6)/module\(index).py"] = (0..<15).map { "def function_\(index)_\($0)(argument):\n    return argument\n\n" }.joined()
        }
        let repository = try await TestRepository.make(in: directory, files: files)
        for budget in [64, 256, 1024] {
            let map = try await RepositoryMapBuilder(tokenBudget: budget).build(root: repository, issue: "")
            #expect(map.tokens <= budget, "budget \(budget)")
            #expect(!map.shownFiles.isEmpty)
            #expect(map.text.hasPrefix("Repository map: \(map.shownFiles.count) of 60 files"))
        }
    }

    @Test("the plain scanner finds the main definitions of Swift, Python, Go, Rust, JavaScript and C")
    func plainScannerLanguages() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write([
            "a.swift": "public final class Store {\n    @MainActor public func load() async throws {}\n    init() {}\n}\nextension Store: Sendable {}\nprotocol Loading {}\n",
            "b.py": "class Parser:\n    \"\"\"The type of a parser.\"\"\"\n    async def parse(self):\n        pass\n",
            "c.go": "package c\n\ntype Server struct{}\n\nfunc (s *Server) Serve() error { return nil }\n\nfunc NewServer() *Server { return nil }\n",
            "d.rs": "pub struct Cache;\nimpl Cache {\n    pub(crate) fn get(&self) {}\n}\n",
            "e.js": "export default function render() {}\nclass View {}\n",
            "f.c": "#include <stdio.h>\n\nstatic int parse_line(const char *line)\n{\n    return 0;\n}\nint main(void);\n",
        ])
        let scanner = DefinitionScanner(useCtags: false)
        let found = await scanner.definitions(of: ["a.swift", "b.py", "c.go", "d.rs", "e.js", "f.c"], root: directory.path).definitions
        #expect(found["a.swift"]?.map(\.name) == ["Store", "load", "init", "Store", "Loading"])
        #expect(found["b.py"]?.map(\.name) == ["Parser", "parse"])
        #expect(found["c.go"]?.map(\.name) == ["Server", "Serve", "NewServer"])
        #expect(found["d.rs"]?.map(\.name) == ["Cache", "Cache", "get"])
        #expect(found["e.js"]?.map(\.name) == ["render", "View"])
        #expect(found["f.c"]?.map(\.name) == ["parse_line"])
        #expect(found["b.py"]?.last?.isNested == true)
    }

    @Test("issue terms: paths, dotted modules and code-shaped names; common words are left out")
    func issueTerms() {
        let terms = IssueTerms(issue: "In `src/shop/cart.py`, shop.cart.Cart.total() is wrong and the value returned is the error of getTotal.")
        #expect(terms.paths == ["src/shop/cart.py"])
        #expect(terms.modulePaths.contains("shop/cart"))
        #expect(terms.identifiers["total"] == 3)
        #expect(terms.identifiers["getTotal"] == 3)
        #expect(terms.identifiers["Cart"] == 3)
        #expect(terms.identifiers["value"] == nil)
        #expect(terms.identifiers["the"] == nil)
    }

    @Test("AGENTS.md is the project's instructions; without it, the relevant CONTRIBUTING.md sections")
    func projectInstructions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write([
            "CONTRIBUTING.md": "# Contributing\n\n## Code of conduct\nBe nice.\n\n## Running the tests\nUse `make check`.\n\n### Slow tests\nSet SLOW=1.\n\n## Licence\nMIT.\n"
        ])
        let fromContributing = try #require(ProjectInstructions.load(root: directory.path))
        #expect(fromContributing.source == "CONTRIBUTING.md")
        #expect(fromContributing.text.contains("Use `make check`."))
        #expect(fromContributing.text.contains("Set SLOW=1."))
        #expect(!fromContributing.text.contains("MIT"))

        try directory.write(["AGENTS.md": "Run `make check` before submitting. Never edit generated/.\n"])
        let fromAgents = try #require(ProjectInstructions.load(root: directory.path))
        #expect(fromAgents.source == "AGENTS.md")
        #expect(fromAgents.text == "Run `make check` before submitting. Never edit generated/.")
    }

    @Test("the repository context holds the instructions and the map, and is empty when both are off")
    func contextText() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var files = Self.files
        files["AGENTS.md"] = "Keep functions pure.\n"
        let repository = try await TestRepository.make(in: directory, files: files)
        let context = await RepositoryContext.build(root: repository, issue: "compute_vat", settings: RepositoryContextSettings())
        #expect(context.text.contains("<repository_conventions source=\"AGENTS.md\">"))
        #expect(context.text.contains("Keep functions pure."))
        #expect(context.text.contains("<repository_map>\nRepository map:"))
        let prompt = Prompts.instance(AgentTask(instanceID: "x", repositoryName: "shop", problemStatement: "compute_vat", context: context.text))
        #expect(prompt.range(of: "<repository_map>")!.lowerBound < prompt.range(of: "<issue>")!.lowerBound)

        let off = await RepositoryContext.build(root: repository, issue: "compute_vat", settings: .off)
        #expect(off.text.isEmpty)
    }
}
