import Foundation
import PatchloopCore

/// The `environment` an imported SWE-bench row gets, as a venv where one reproduces
/// SWE-bench's, or SWE-bench's prebuilt image name on request. In order:
///
/// 1. SWE-bench's frozen environment of the instance (`swebench/resources/swebench-og`, one
///    conda `environment.yml` per SWE-bench Verified instance), translated to a Python
///    version and pinned pip requirements (`frozenTable`, written by
///    `scripts/swebench-environments`);
/// 2. for an instance outside Verified, the frozen environment of its repository and version
///    (SWE-bench builds one environment per repository and version);
/// 3. SWE-bench's per-version install spec (`MAP_REPO_VERSION_TO_SPECS`) where it translates
///    (a Python version, pip packages, an install of the worktree).
///
/// pytest and flask keep their code under `src/` and (pytest) have their install write the
/// version module their code imports, so their install runs per attempt
/// (`install_per_attempt`), offline, with the build requirements added to the environment.
///
/// xarray's frozen environments are conda's; the generator turns them into pins pip
/// installs together (SWE-bench's pip pins kept, conda-only packages left out).
///
/// astropy (4.2 to 5.2) compiles its extensions in the worktree, once per base commit, and
/// later worktrees reuse that build (`reuse_build`); its build requirements, which
/// SWE-bench's build isolation brought, are added to the environment.
///
/// scikit-learn builds in place the same way, with its frozen environment as it is (Cython,
/// numpy and scipy are in it).
///
/// astropy 1.3 builds the same way, with the astropy-helpers release its submodule held
/// installed in the environment (`astropyWithHelpers`).
///
/// Left without a venv, and given their SWE-bench image instead: matplotlib (its build
/// downloads freetype, which the offline sandbox cannot); astropy 3.0 to 4.1 (unchecked).
public enum RepositoryEnvironmentSpecs {
    /// Which environment the importer writes.
    public enum Kind: String, Sendable, CaseIterable {
        /// A Python venv from SWE-bench's spec, where one translates; else, for SWE-bench's own
        /// repositories, the instance's prebuilt image.
        case venv
        /// SWE-bench's prebuilt per-instance image (`swebench/sweb.eval.x86_64.<id>`).
        case swebenchImages = "swebench"
        /// None.
        case none
    }

    static let sympyPackages = ["mpmath==1.3.0", "flake8", "flake8-comprehensions"]
    static let seabornPackages = [
        "contourpy==1.1.0", "cycler==0.11.0", "fonttools==4.42.1", "importlib-resources==6.0.1", "kiwisolver==1.4.5", "matplotlib==3.7.2",
        "numpy==1.25.2", "packaging==23.1", "pillow==10.0.0", "pyparsing==3.0.9", "pytest", "python-dateutil==2.8.2", "pytz==2023.3.post1",
        "scipy==1.11.2", "six==1.16.0", "tzdata==2023.1", "zipp==3.16.2",
    ]

    /// SWE-bench's frozen environments (see the type's description), parsed once.
    struct FrozenTable: Sendable {
        var environments: [(python: String, pip: [String])] = []
        var instances: [String: Int] = [:]
        var versions: [String: Int] = [:]

        init(_ text: String) {
            guard let table = try? JSONValue.parse(text) else { return }
            environments = (table["environments"]?.arrayValue ?? []).map {
                ($0["python"]?.stringValue ?? "3", ($0["pip"]?.arrayValue ?? []).compactMap(\.stringValue))
            }
            for (key, value) in table["instances"]?.objectValue ?? [:] { instances[key] = value.intValue }
            for (key, value) in table["versions"]?.objectValue ?? [:] { versions[key] = value.intValue }
        }

        func environment(instanceID: String, repo: String, version: String) -> (python: String, pip: [String])? {
            guard let index = instances[instanceID] ?? versions["\(repo)@\(version)"], environments.indices.contains(index) else { return nil }
            return environments[index]
        }
    }

    static let frozen = FrozenTable(frozenTable)

    /// The venv spec for an instance of `repo` at `version`; nil where SWE-bench's does not translate.
    /// `createdAt` is the row's `created_at` (astropy 1.3 picks its astropy_helpers by it).
    public static func venv(repo: String, version: String, instanceID: String = "", createdAt: String = "") -> EnvironmentSpec? {
        if let spec = srcLayout(repo: repo, version: version, instanceID: instanceID) { return spec }
        if repo == "sphinx-doc/sphinx" { return sphinx(version: version, instanceID: instanceID) }
        if repo == "astropy/astropy" && version == "1.3" { return astropyWithHelpers(instanceID: instanceID, createdAt: createdAt) }
        if let environment = frozen.environment(instanceID: instanceID, repo: repo, version: version) {
            if repo == "pylint-dev/pylint" { return pylint(environment, version: version, instanceID: instanceID) }
            if repo == "astropy/astropy" { return astropy(environment, version: version) }
            if repo == "scikit-learn/scikit-learn" {
                return EnvironmentSpec(
                    python: environment.python, pip: environment.pip, install: ["python setup.py build_ext --inplace -j 2"], reuseBuild: true)
            }
            // Django's tests expect a UTF-8 locale (SWE-bench exports en_US.UTF-8, which this machine may lack).
            let variables = repo == "django/django" ? ["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf8"] : [:]
            let install = repo == "mwaskom/seaborn" && version != "0.11" ? "python -m pip install -e .[dev]" : "python -m pip install -e ."
            return EnvironmentSpec(python: environment.python, pip: environment.pip, install: [install], variables: variables)
        }
        switch repo {
        case "sympy/sympy":
            // 1.13 and later also read requirements-dev.txt from the checkout in SWE-bench; mpmath is what their tests need.
            let pip = ["1.13", "1.14"].contains(version) ? ["mpmath==1.3.0"] : sympyPackages
            return EnvironmentSpec(python: "3.9", pip: pip, install: ["python -m pip install -e ."])
        case "psf/requests":
            return EnvironmentSpec(python: "3.9", pip: ["pytest"], install: ["python -m pip install ."])
        case "pylint-dev/astroid":
            return EnvironmentSpec(python: "3.9", pip: ["pytest"], install: ["python -m pip install -e ."])
        case "mwaskom/seaborn":
            let pandas = version == "0.11" ? "pandas==1.3.5" : "pandas==2.0.0"
            return EnvironmentSpec(
                python: "3.9", pip: seabornPackages + [pandas], install: [version == "0.11" ? "python -m pip install -e ." : "python -m pip install -e .[dev]"])
        default:
            return nil
        }
    }

    /// pylint rows outside Verified take the environment of the Verified instance numbered
    /// nearest; these pins are where their own base commit differs, read from its
    /// `requirements_test_min.txt` (astroid, pinned per commit: SWE-bench's spec installs that
    /// file) and `setup.cfg` (2.13 still requires toml), with the wrapt that astroid 2.9
    /// accepts (below 1.14). By version, then by instance.
    static let pylintPins: [String: [String]] = [
        "2.13": ["astroid==2.9.3", "toml==0.10.2", "wrapt==1.13.3"],
        "pylint-dev__pylint-7114": ["astroid==2.12.2"], "pylint-dev__pylint-7228": ["astroid==2.12.2"],
        "pylint-dev__pylint-7993": ["astroid==2.12.13"],
    ]

    /// pylint: installed per attempt, as a path entry. Its tests find checkers and test
    /// modules by file path through `sys.path` (astroid's `modpath_from_file`) and run
    /// `python -m pylint` with their own `PYTHONPATH`, so the worktree must be on the path
    /// the way SWE-bench's images have it: pylint's build pins setuptools 62, whose
    /// `develop` adds the checkout to `sys.path`. `editable_mode=compat` gives the same with
    /// today's setuptools (its default, an import hook, hides the checkout from `sys.path`).
    static func pylint(_ environment: (python: String, pip: [String]), version: String, instanceID: String) -> EnvironmentSpec {
        var pip = environment.pip
        if frozen.instances[instanceID] == nil {
            for key in [version, instanceID] { if let pins = pylintPins[key] { pip = replacingPins(pip, with: pins) } }
        }
        return EnvironmentSpec(
            python: environment.python, pip: pip, install: ["python -m pip install --no-deps -e . --config-settings editable_mode=compat"],
            installPerAttempt: true)
    }

    /// The Cython astropy's `pyproject.toml` pins, by version (read at the releases' tags and
    /// at the base commits of SWE-bench Lite's rows); 4.2 pins 0.29.14, which predates
    /// Python 3.9, so it takes 4.3's.
    static let astropyCython = ["4.2": "0.29.22", "4.3": "0.29.22", "5.0": "0.29.22", "5.1": "0.29.30", "5.2": "0.29.34"]

    /// astropy: SWE-bench's pins, plus its build requirements (SWE-bench's `pip install -e .`
    /// brought them through build isolation; the offline sandbox cannot), built in place
    /// with the worktree first on `PYTHONPATH`, once per base commit (`reuse_build`). Its
    /// version comes from setuptools-scm, which cannot read git in the sandbox.
    static func astropy(_ environment: (python: String, pip: [String]), version: String) -> EnvironmentSpec? {
        guard let cython = astropyCython[version] else { return nil }
        let build = ["cython==\(cython)", "extension-helpers==1.1.1", "setuptools-scm==8.1.0"]
        return EnvironmentSpec(
            python: environment.python, pip: environment.pip + build, install: ["python setup.py build_ext --inplace -j 2"],
            variables: ["SETUPTOOLS_SCM_PRETEND_VERSION": version + ".0"], reuseBuild: true)
    }

    /// astropy's "1.3" rows (its master of 2017–2018, 3.0.dev and 3.1.dev) take their
    /// `astropy_helpers` from a git submodule, which SWE-bench's image build fetched and the
    /// offline sandbox cannot: the environment holds the astropy-helpers release of the
    /// submodule's commit at the row's time instead (2.0.2 until January 2018, then 3.0's
    /// line, of which 3.1 is the release its mid-2018 commits led to), and the build passes
    /// `--no-git`, so `ah_bootstrap` finds it installed rather than asking git for the
    /// submodule. Rows outside Verified take the frozen environment of Verified's first
    /// 1.3 instance (all four of them share one). Built in place once per base commit.
    static func astropyWithHelpers(instanceID: String, createdAt: String) -> EnvironmentSpec? {
        guard let environment = frozen.environment(instanceID: instanceID, repo: "", version: "")
            ?? frozen.environment(instanceID: astropy13Neighbour, repo: "", version: "")
        else { return nil }
        let helpers = !createdAt.isEmpty && createdAt < astropyHelpers3Date ? "astropy-helpers==2.0.2" : "astropy-helpers==3.1"
        return EnvironmentSpec(
            python: environment.python, pip: environment.pip + [helpers], install: ["python setup.py build_ext --inplace --no-git -j 2"],
            reuseBuild: true)
    }

    /// SWE-bench Verified's first astropy 1.3 instance, whose frozen environment the version's other rows take.
    static let astropy13Neighbour = "astropy__astropy-7166"
    /// When astropy's submodule moved from astropy-helpers 2.0.2 to 3.0's release candidates.
    static let astropyHelpers3Date = "2018-01-10"

    /// `pip` with each of `pins` in place of the pin of the same package, or added.
    static func replacingPins(_ pip: [String], with pins: [String]) -> [String] {
        func name(_ pin: String) -> String { String(pin.split(separator: "=")[0]).lowercased() }
        let replaced = Set(pins.map(name))
        return pip.filter { !replaced.contains(name($0)) } + pins
    }

    /// SWE-bench's `pip_packages` for pytest versions (`SPECS_PYTEST`), where no frozen environment covers the version.
    static let pytestPackages: [String: [String]] = {
        var table: [String: [String]] = [
            "4.4": ["atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "pluggy==0.13.1", "py==1.11.0", "setuptools==68.0.0", "six==1.16.0"],
            "4.5": [
                "atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "pluggy==0.11.0", "py==1.11.0", "setuptools==68.0.0", "six==1.16.0",
                "wcwidth==0.2.6",
            ],
            "4.6": [
                "atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0", "six==1.16.0",
                "wcwidth==0.2.6",
            ],
            "5.3": ["attrs==23.1.0", "more-itertools==10.1.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0", "wcwidth==0.2.6"],
            "5.4": ["py==1.11.0", "packaging==23.1", "attrs==23.1.0", "more-itertools==10.1.0", "pluggy==0.13.1"],
            "6.0": ["attrs==23.1.0", "iniconfig==2.0.0", "more-itertools==10.1.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0", "toml==0.10.2"],
            "7.0": ["attrs==23.1.0", "iniconfig==2.0.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0"],
        ]
        for version in ["5.0", "5.1", "5.2"] {
            table[version] = [
                "atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0", "wcwidth==0.2.6",
            ]
        }
        for version in ["6.2", "6.3"] {
            table[version] = ["attrs==23.1.0", "iniconfig==2.0.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0", "toml==0.10.2"]
        }
        for version in ["7.1", "7.2"] {
            table[version] = ["attrs==23.1.0", "iniconfig==2.0.0", "packaging==23.1", "pluggy==0.13.1", "py==1.11.0", "tomli==2.0.1"]
        }
        for version in ["7.4", "8.0", "8.1", "8.2", "8.3", "8.4"] {
            table[version] = ["iniconfig==2.0.0", "packaging==23.1", "pluggy==1.3.0", "exceptiongroup==1.1.3", "tomli==2.0.1"]
        }
        return table
    }()

    /// SWE-bench's `SPECS_FLASK` for the versions no frozen environment covers.
    static let flaskSpecs: [String: (python: String, pip: [String])] = [
        "2.0": ("3.9", ["setuptools==70.0.0", "Werkzeug==2.3.7", "Jinja2==3.0.1", "itsdangerous==2.1.2", "click==8.0.1", "MarkupSafe==2.1.3"]),
        "2.1": ("3.10", ["setuptools==70.0.0", "click==8.1.3", "itsdangerous==2.1.2", "Jinja2==3.1.2", "MarkupSafe==2.1.1", "Werkzeug==2.3.7"]),
    ]

    /// pytest and flask: the frozen environment (else SWE-bench's spec) plus what their
    /// offline install needs, installed per attempt. pytest's version comes from git
    /// through setuptools-scm, which cannot see the worktree's history in the sandbox: it
    /// is given as the SWE-bench version.
    static func srcLayout(repo: String, version: String, instanceID: String) -> EnvironmentSpec? {
        let install = ["python -m pip install --no-deps -e ."]
        switch repo {
        case "pytest-dev/pytest":
            let frozenEnvironment = frozen.environment(instanceID: instanceID, repo: repo, version: version)
            guard let pip = frozenEnvironment?.pip ?? pytestPackages[version] else { return nil }
            func missing(_ pins: [String]) -> [String] {
                pins.filter { pin in !pip.contains { $0.lowercased().hasPrefix(pin.split(separator: "=")[0].lowercased() + "==") } }
            }
            let build = missing(["setuptools-scm[toml]==8.1.0", "wheel==0.44.0", "setuptools==75.1.0"])
            // What SWE-bench's install brought from the index, missing from its frozen pins: wcwidth
            // (a dependency up to 5.4), importlib-metadata (4.6 imports it on every Python).
            let minor = version.split(separator: ".").compactMap { Int($0) }
            var dependencies = (minor.first ?? 9) < 6 ? missing(["wcwidth==0.2.6"]) : []
            if version == "4.6" { dependencies += missing(["importlib-metadata==8.5.0", "zipp==3.20.2"]) }
            return EnvironmentSpec(
                python: frozenEnvironment?.python ?? "3.9", pip: pip + build + dependencies, install: install,
                variables: ["SETUPTOOLS_SCM_PRETEND_VERSION": version + ".0"], installPerAttempt: true)
        case "pallets/flask":
            // SWE-bench Verified's one flask instance, pallets__flask-5014, is version 2.3; Lite's 2.3 rows are not in Verified.
            let sibling = version == "2.3" ? frozen.environment(instanceID: "pallets__flask-5014", repo: repo, version: version) : nil
            guard let environment = frozen.environment(instanceID: instanceID, repo: repo, version: version) ?? sibling ?? flaskSpecs[version] else {
                return nil
            }
            let build = environment.pip.contains { $0.lowercased().hasPrefix("setuptools==") } ? [] : ["setuptools==75.1.0"]
            let testing = environment.pip.contains { $0.lowercased().hasPrefix("pytest==") } ? [] : ["pytest==7.4.4"]
            // The frozen environment predates the install, which brought flask 2.3's new dependency from the index.
            let dependencies = version == "2.3" && !environment.pip.contains { $0.lowercased().hasPrefix("blinker==") } ? ["blinker==1.6.2"] : []
            return EnvironmentSpec(
                python: environment.python, pip: environment.pip + build + testing + dependencies, install: install, installPerAttempt: true)
        default:
            return nil
        }
    }

    /// Sphinx: the frozen environment plus the sphinxcontrib packages it lacks.
    ///
    /// SWE-bench's Sphinx environments were recorded after `pip install -e .[test]` (they hold
    /// the install's Jinja2, alabaster and docutils, capped by the per-version `sed` edits of
    /// `setup.py`), but without a single `sphinxcontrib-*` package, which Sphinx imports on
    /// start. These are what pip resolves under those caps: up to 4.4 every cap is below the
    /// releases that require Sphinx 5; from 4.5 the uncapped ones are at their 2.0.0 (Sphinx
    /// no longer a dependency); from 5.3 (`pyproject.toml`, no `setup.py` to edit) nothing is
    /// capped. A row outside Verified, whose environment is a neighbour's, gets docutils
    /// 0.20.1 where the neighbour has 0.21: SWE-bench made its FAIL_TO_PASS and PASS_TO_PASS
    /// lists in 2023, before docutils 0.21 changed the manual-page writer's output that
    /// sphinx-doc__sphinx-8273's `test_captioned_code_block` compares (it fails with 0.21.2,
    /// passes with 0.20.1). (`-rA`, which SWE-bench adds to `tox.ini`, is in the test command.)
    static func sphinx(version: String, instanceID: String) -> EnvironmentSpec? {
        guard let environment = frozen.environment(instanceID: instanceID, repo: "sphinx-doc/sphinx", version: version) else { return nil }
        let number = version.split(separator: ".").compactMap { Int($0) }
        let release = (number.first ?? 0) * 100 + (number.dropFirst().first ?? 0)
        let contrib: [String: String]
        switch release {
        case ..<405:
            contrib = ["applehelp": "1.0.4", "devhelp": "1.0.2", "jsmath": "1.0.1", "qthelp": "1.0.3", "htmlhelp": "2.0.1", "serializinghtml": "1.1.5"]
        case ..<500:
            contrib = ["applehelp": "2.0.0", "devhelp": "2.0.0", "jsmath": "1.0.1", "qthelp": "2.0.0", "htmlhelp": "2.0.1", "serializinghtml": "1.1.5"]
        case ..<503:
            contrib = ["applehelp": "2.0.0", "devhelp": "2.0.0", "jsmath": "1.0.1", "qthelp": "2.0.0", "htmlhelp": "2.0.4", "serializinghtml": "1.1.9"]
        default:
            contrib = ["applehelp": "2.0.0", "devhelp": "2.0.0", "jsmath": "1.0.1", "qthelp": "2.0.0", "htmlhelp": "2.1.0", "serializinghtml": "2.0.0"]
        }
        let pins = contrib.sorted { $0.key < $1.key }.map { "sphinxcontrib-\($0.key)==\($0.value)" }
            .filter { pin in !environment.pip.contains { $0.lowercased().hasPrefix(pin.split(separator: "=")[0] + "==") } }
        var pip = environment.pip
        if frozen.instances[instanceID] == nil, let docutils = pip.firstIndex(where: { $0.lowercased().hasPrefix("docutils==0.21") }) {
            pip[docutils] = "docutils==0.20.1"
        }
        return EnvironmentSpec(python: environment.python, pip: pip + pins, install: ["python -m pip install -e .[test]"])
    }

    /// The repositories of SWE-bench (full, Lite, Verified), whose instances have prebuilt images.
    public static let swebenchRepositories: Set<String> = [
        "astropy/astropy", "django/django", "matplotlib/matplotlib", "mwaskom/seaborn", "pallets/flask", "psf/requests",
        "pydata/xarray", "pylint-dev/pylint", "pytest-dev/pytest", "scikit-learn/scikit-learn", "sphinx-doc/sphinx", "sympy/sympy",
    ]

    /// SWE-bench's published image for an instance (`__` becomes `_1776_`, lower-cased), as
    /// SWE-bench's harness and mini-swe-agent name it.
    public static func swebenchImage(instanceID: String) -> EnvironmentSpec {
        let name = instanceID.replacingOccurrences(of: "__", with: "_1776_").lowercased()
        return EnvironmentSpec(
            image: "swebench/sweb.eval.x86_64.\(name):latest", workdir: "/testbed",
            activate: "source /opt/miniconda3/bin/activate && conda activate testbed")
    }

    /// The environment for a row, by `kind`.
    public static func environment(_ kind: Kind, repo: String, version: String, instanceID: String, createdAt: String = "") -> EnvironmentSpec? {
        switch kind {
        case .venv:
            if let spec = venv(repo: repo, version: version, instanceID: instanceID, createdAt: createdAt) { return spec }
            // No venv reproduces it (matplotlib): its image, so that it runs where the image is loaded and is an
            // environment_error where not, rather than running with whatever Python this machine has.
            return swebenchRepositories.contains(repo) ? swebenchImage(instanceID: instanceID) : nil
        case .swebenchImages: return swebenchImage(instanceID: instanceID)
        case .none: return nil
        }
    }
}
