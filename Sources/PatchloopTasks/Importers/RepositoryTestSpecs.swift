import Foundation

/// How a repository's tests run and how their log is read: SWE-bench's per-repository
/// test command (`MAP_REPO_VERSION_TO_SPECS[repo][version]["test_cmd"]`) and log parser
/// (`MAP_REPO_TO_PARSER`), for running on the host instead of in SWE-bench's images.
public struct RepositoryTestSpec: Sendable, Hashable {
    /// The command before the test directives.
    public var testCommand: String
    /// A name in `TestLogParsers`.
    public var logParser: String
    /// Test directives are Django module labels (`auth_tests.test_validators`) instead of paths.
    public var usesDjangoLabels: Bool
    /// Arguments put before the directives when the tests run outside SWE-bench's image, whose
    /// set-up edited the checkout for them (Sphinx: `-rA`, which the image's `tox.ini` gained by `sed`).
    public var argumentsOutsideImage: [String]

    public init(testCommand: String, logParser: String, usesDjangoLabels: Bool = false, argumentsOutsideImage: [String] = []) {
        self.testCommand = testCommand
        self.logParser = logParser
        self.usesDjangoLabels = usesDjangoLabels
        self.argumentsOutsideImage = argumentsOutsideImage
    }
}

/// SWE-bench's test specs (read from `swebench/harness/constants/python.py` and
/// `log_parsers/python.py`). A repository not listed gets `pytest -rA` and the `pytest`
/// parser, as SWE-bench's parser map defaults to.
public enum RepositoryTestSpecs {
    static let pytest = "pytest -rA"
    static let astropyPytest = "pytest -rA -vv -o console_output_style=classic --tb=no"
    static let django = "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1"
    static let djangoWithoutParallel = "./tests/runtests.py --verbosity 2"
    static let sympy = "PYTHONWARNINGS='ignore::UserWarning,ignore::SyntaxWarning' bin/test -C --verbose"

    static let parsers: [String: String] = [
        "astropy/astropy": "pytest_v2", "scikit-learn/scikit-learn": "pytest_v2", "sphinx-doc/sphinx": "pytest_v2",
        "django/django": "django", "sympy/sympy": "sympy", "matplotlib/matplotlib": "matplotlib", "mwaskom/seaborn": "seaborn",
        "psf/requests": "pytest_options", "pylint-dev/pylint": "pytest_options", "pydicom/pydicom": "pytest_options",
    ]

    /// The spec for `repo` (`owner/name`) at the dataset's `version`.
    public static func spec(repo: String, version: String) -> RepositoryTestSpec {
        let parser = parsers[repo] ?? "pytest"
        switch repo {
        case "django/django":
            return RepositoryTestSpec(testCommand: version == "1.9" ? djangoWithoutParallel : django, logParser: parser, usesDjangoLabels: true)
        case "sympy/sympy":
            return RepositoryTestSpec(testCommand: sympy, logParser: parser)
        case "astropy/astropy":
            let old = ["0.1", "0.2", "0.3", "0.4", "1.1", "1.2", "1.3"].contains(version)
            return RepositoryTestSpec(testCommand: old ? astropyPytest : pytest, logParser: parser)
        case "mwaskom/seaborn":
            return RepositoryTestSpec(testCommand: "pytest --no-header -rA", logParser: parser)
        case "sphinx-doc/sphinx":
            // SWE-bench's pre_install runs `sed -i 's/pytest/pytest -rA/' tox.ini`; outside its image the same
            // `-rA` goes after `--`, into tox's {posargs} on the pytest line, leaving the worktree as it is.
            // (PYTEST_ADDOPTS would not do: the tox.ini of Sphinx 3.2–3.4 sets it, overriding the caller's.)
            return RepositoryTestSpec(testCommand: "tox --current-env -epy39 -v --", logParser: parser, argumentsOutsideImage: ["-rA"])
        default:
            return RepositoryTestSpec(testCommand: pytest, logParser: parser)
        }
    }

    /// Extensions of files in a test patch that are data, not tests (SWE-bench's `NON_TEST_EXTS`).
    static let nonTestExtensions = [".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml", ".toml"]

    /// SWE-bench's `get_test_directives`: the `b/` path of every `diff --git` line of the
    /// test patch, minus data files; for Django, module labels (`tests/a/test_b.py` → `a.test_b`).
    public static func testDirectives(testPatch: String, djangoLabels: Bool) -> [String] {
        var directives: [String] = []
        for line in LogText.lines(testPatch) {
            // `diff --git a/.* b/(.*)`: the greedy `.*` makes the last " b/" on the line the split.
            guard let start = line.range(of: "diff --git a/") else { continue }
            let rest = line[start.upperBound...]
            guard let split = rest.range(of: " b/", options: .backwards) else { continue }
            directives.append(String(rest[split.upperBound...]))
        }
        directives = directives.filter { path in !nonTestExtensions.contains { path.hasSuffix($0) } }
        guard djangoLabels else { return directives }
        return directives.map { path in
            var label = path
            if label.hasSuffix(".py") { label.removeLast(3) }
            if label.hasPrefix("tests/") { label.removeFirst(6) }
            return label.replacingOccurrences(of: "/", with: ".")
        }
    }
}
