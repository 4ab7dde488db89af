import Foundation
import PatchloopCore
import PatchloopEnvironments
import PatchloopAgent
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import Testing

@Suite("Environments of imported SWE-bench rows")
struct ImportedEnvironmentTests {
    static func row(repo: String, version: String, id: String, createdAt: String = "2020-01-01T00:00:00Z") -> JSONValue {
        [
            "instance_id": .string(id), "repo": .string(repo), "base_commit": "abc123", "problem_statement": "p", "version": .string(version),
            "FAIL_TO_PASS": "[\"t\"]", "PASS_TO_PASS": "[]", "patch": "", "test_patch": "", "created_at": .string(createdAt),
        ]
    }

    @Test("a SymPy row gets SWE-bench's spec as a venv: Python 3.9 and mpmath 1.3.0, the editable install covered by the worktree")
    func sympyRow() throws {
        let importer = SWEbenchImporter(repositoriesDirectory: "/repos")
        let task = try importer.task(from: Self.row(repo: "sympy/sympy", version: "1.1", id: "sympy__sympy-13031"), where_: "row")
        let spec = try EnvironmentSpec.parse(try #require(task.document["environment"]), where_: "row")
        #expect(spec.python == "3.9")
        #expect(spec.pip.contains("mpmath==1.3.0"))
        #expect(spec.install == ["python -m pip install -e ."])
        // Two versions with the same spec share one environment.
        let later = try importer.task(from: Self.row(repo: "sympy/sympy", version: "1.12", id: "sympy__sympy-24152"), where_: "row")
        #expect(try EnvironmentSpec.parse(try #require(later.document["environment"]), where_: "row").key == spec.key)
    }

    @Test("SWE-bench's image names on request, and for SWE-bench's rows no venv holds; none for another repository; xarray's, resolved")
    func imagesAndUnknownRepositories() throws {
        let images = SWEbenchImporter(repositoriesDirectory: "/repos", environments: .swebenchImages)
        let task = try images.task(from: Self.row(repo: "sympy/sympy", version: "1.1", id: "sympy__sympy-13031"), where_: "row")
        let spec = try EnvironmentSpec.parse(try #require(task.document["environment"]), where_: "row")
        #expect(spec.image == "swebench/sweb.eval.x86_64.sympy_1776_sympy-13031:latest")
        #expect(spec.workdir == "/testbed")

        let venvs = SWEbenchImporter(repositoriesDirectory: "/repos")
        // matplotlib's build downloads freetype, which the offline sandbox cannot: its image, never this machine's Python.
        let matplotlib = try venvs.task(from: Self.row(repo: "matplotlib/matplotlib", version: "3.5", id: "matplotlib__matplotlib-22711"), where_: "row")
        let matplotlibSpec = try EnvironmentSpec.parse(try #require(matplotlib.document["environment"]), where_: "row")
        #expect(matplotlibSpec.image == "swebench/sweb.eval.x86_64.matplotlib_1776_matplotlib-22711:latest")
        #expect(matplotlibSpec.workdir == "/testbed" && matplotlibSpec.python == nil)
        // A Sphinx row falling back to its image takes the image's test command (its tox.ini already has -rA).
        let sphinx = try venvs.task(from: Self.row(repo: "sphinx-doc/sphinx", version: "0.1", id: "sphinx-doc__sphinx-1"), where_: "row")
        let sphinxImage = try images.task(from: Self.row(repo: "sphinx-doc/sphinx", version: "0.1", id: "sphinx-doc__sphinx-1"), where_: "row")
        #expect(sphinx.document["environment"] == sphinxImage.document["environment"])
        #expect(sphinx.document["test_cmd"] == sphinxImage.document["test_cmd"])
        #expect(sphinx.document["test_cmd"]?.stringValue?.contains("-rA") == false)
        // A repository outside SWE-bench has no image to fall back on.
        let other = try venvs.task(from: Self.row(repo: "octo/widgets", version: "1.0", id: "octo__widgets-1"), where_: "row")
        #expect(other.document["environment"] == nil)
        // xarray's conda environment, as pins pip installs together: SWE-bench's own pins kept, one pin per package.
        let xarray = try venvs.task(from: Self.row(repo: "pydata/xarray", version: "0.12", id: "pydata__xarray-4094"), where_: "row")
        let xarraySpec = try EnvironmentSpec.parse(try #require(xarray.document["environment"]), where_: "row")
        #expect(xarraySpec.python == "3.10")
        #expect(["numpy==1.23.0", "pandas==1.5.3", "dask==2022.8.1", "pytest==7.4.0", "findlibs==0.1.3"].allSatisfy(xarraySpec.pip.contains))
        #expect(!xarraySpec.pip.contains { $0.lowercased().hasPrefix("cdms2") || $0.lowercased().hasPrefix("distributed==") })
        #expect(Set(xarraySpec.pip.map { $0.split(separator: "=")[0].lowercased() }).count == xarraySpec.pip.count)
    }

    @Test("an astropy row gets its frozen environment plus the build requirements of its version, built in place once per base commit")
    func astropyRows() throws {
        let importer = SWEbenchImporter(repositoriesDirectory: "/repos")
        func spec(_ version: String, _ id: String) throws -> EnvironmentSpec? {
            let task = try importer.task(from: Self.row(repo: "astropy/astropy", version: version, id: id), where_: "row")
            return try task.document["environment"].map { try EnvironmentSpec.parse($0, where_: "row") }
        }
        // astropy__astropy-12907 is in SWE-bench Verified: its environment.yml pins numpy 1.25.2 and pyerfa.
        let verified = try #require(try spec("4.3", "astropy__astropy-12907"))
        #expect(verified.python == "3.9" && verified.pip.contains("numpy==1.25.2") && verified.pip.contains("pyerfa==2.0.0.3"))
        #expect(verified.pip.contains("cython==0.29.22") && verified.pip.contains { $0.hasPrefix("extension-helpers==") })
        #expect(verified.install == ["python setup.py build_ext --inplace -j 2"])
        #expect(verified.reuseBuild && !verified.installPerAttempt)
        #expect(verified.variables["SETUPTOOLS_SCM_PRETEND_VERSION"] == "4.3.0", "the sandbox hides git history from setuptools-scm")
        #expect(try #require(try spec("5.2", "astropy__astropy-14995")).pip.contains("cython==0.29.34"))
        // 1.3 bootstraps astropy_helpers from a git submodule: the release of the submodule's commit at the row's time,
        // installed; the build told not to ask git. A Lite row outside Verified takes Verified's 1.3 environment.
        func old(_ id: String, createdAt: String) throws -> EnvironmentSpec {
            let task = try importer.task(from: Self.row(repo: "astropy/astropy", version: "1.3", id: id, createdAt: createdAt), where_: "row")
            #expect(task.document["test_cmd"]?.stringValue?.hasPrefix("pytest -rA -vv -o console_output_style=classic --tb=no") == true)
            return try EnvironmentSpec.parse(try #require(task.document["environment"]), where_: "row")
        }
        let lite2017 = try old("astropy__astropy-6938", createdAt: "2017-12-07T00:01:14Z")
        #expect(lite2017.python == "3.6" && lite2017.pip.contains("numpy==1.16.0") && lite2017.pip.contains("cython==0.27.3"))
        #expect(lite2017.pip.contains("astropy-helpers==2.0.2"))
        #expect(lite2017.install == ["python setup.py build_ext --inplace --no-git -j 2"] && lite2017.reuseBuild)
        let lite2018 = try old("astropy__astropy-7746", createdAt: "2018-08-20T14:07:20Z")
        #expect(lite2018.pip.contains("astropy-helpers==3.1") && !lite2018.pip.contains("astropy-helpers==2.0.2"))
        #expect(lite2018.key != lite2017.key)
        let verified13 = try old("astropy__astropy-7166", createdAt: "2018-01-25T21:46:21Z")
        #expect(verified13.pip == lite2018.pip, "Verified's own 1.3 environment, the one the Lite rows borrow")
    }

    @Test("a scikit-learn row gets its frozen environment, without conda's Qt bindings and with wheels PyPI has, built in place once per base commit")
    func scikitLearnRows() throws {
        let importer = SWEbenchImporter(repositoriesDirectory: "/repos")
        func spec(_ version: String, _ id: String) throws -> EnvironmentSpec {
            let task = try importer.task(from: Self.row(repo: "scikit-learn/scikit-learn", version: version, id: id), where_: "row")
            return try EnvironmentSpec.parse(try #require(task.document["environment"], "\(id) has no environment"), where_: "row")
        }
        let old = try spec("0.22", "scikit-learn__scikit-learn-14894")
        #expect(old.python == "3.6" && old.pip.contains("cython==0.29.24") && old.pip.contains("numpy==1.19.2") && old.pip.contains("joblib==1.1.1"))
        #expect(!old.pip.contains { ["pyqt", "sip"].contains($0.split(separator: "=")[0].lowercased()) }, "conda's Qt bindings are not on PyPI under these names")
        #expect(old.install == ["python setup.py build_ext --inplace -j 2"] && old.reuseBuild)
        // A Lite-only 1.3 row: conda's numpy 1.19.2 for Python 3.9 becomes the first release PyPI has wheels of.
        let new = try spec("1.3", "scikit-learn__scikit-learn-25570")
        #expect(new.python == "3.9" && !new.pip.contains("numpy==1.19.2") && !new.pip.contains("scipy==1.5.2"))
        #expect(new.pip.contains("numpy==1.19.5") && new.pip.contains("scipy==1.5.4"))
        // scikit-learn__scikit-learn-25102's frozen environment names PyPI's tzdata as conda does.
        let verified = try spec("1.3", "scikit-learn__scikit-learn-25102")
        #expect(verified.pip.contains("tzdata==2023.3") && !verified.pip.contains { $0.lowercased().hasPrefix("python-tzdata") })
    }

    @Test("a Sphinx row gets its frozen environment plus the sphinxcontrib packages it lacks, capped as SWE-bench's setup.py edits cap them, and -rA")
    func sphinxRows() throws {
        let importer = SWEbenchImporter(repositoriesDirectory: "/repos")
        func spec(_ version: String, _ id: String) throws -> EnvironmentSpec {
            let task = try importer.task(from: Self.row(repo: "sphinx-doc/sphinx", version: version, id: id), where_: "row")
            // SWE-bench's image has -rA written into tox.ini; here it goes into tox's posargs, the worktree untouched.
            #expect(task.document["test_cmd"]?.stringValue?.hasPrefix("tox --current-env -epy39 -v -- -rA") == true)
            return try EnvironmentSpec.parse(try #require(task.document["environment"], "\(id) has no environment"), where_: "row")
        }
        // sphinx-doc__sphinx-8721 is in Verified: Jinja2 and alabaster as its setup.py edits capped them.
        let verified = try spec("3.5", "sphinx-doc__sphinx-8721")
        #expect(verified.python == "3.9" && verified.pip.contains("jinja2==2.11.3") && verified.pip.contains("alabaster==0.7.11"))
        #expect(verified.pip.contains("tox==4.16.0") && verified.pip.contains("tox-current-env==0.0.11"))
        #expect(verified.pip.contains("sphinxcontrib-applehelp==1.0.4") && verified.pip.contains("sphinxcontrib-serializinghtml==1.1.5"))
        #expect(verified.pip.contains("docutils==0.21.2"), "a Verified instance keeps its own frozen docutils")
        #expect(!verified.installPerAttempt)
        // A Lite-only version takes the environment of the Verified instance numbered nearest, with the docutils of 2023.
        let lite = try spec("3.1", "sphinx-doc__sphinx-7738")
        #expect(lite.pip.contains("jinja2==2.11.3") && lite.pip.contains("sphinxcontrib-devhelp==1.0.2"))
        #expect(lite.pip.contains("docutils==0.20.1") && !lite.pip.contains("docutils==0.21.2"))
        // From 5.0 the caps are the later ones; from 5.3 (pyproject.toml) none.
        let five = try spec("5.0", "sphinx-doc__sphinx-10325")
        #expect(five.pip.contains("sphinxcontrib-htmlhelp==2.0.4") && five.pip.contains("sphinxcontrib-applehelp==2.0.0"))
        let seven = try spec("7.1", "sphinx-doc__sphinx-11445")
        #expect(seven.pip.contains("sphinxcontrib-htmlhelp==2.1.0") && seven.pip.contains("sphinxcontrib-serializinghtml==2.0.0"))
        #expect(Set(seven.pip.map { $0.split(separator: "=")[0].lowercased() }).count == seven.pip.count, "one pin per package")
        // With SWE-bench's images the command is SWE-bench's own: the image's tox.ini has -rA.
        let images = SWEbenchImporter(repositoriesDirectory: "/repos", environments: .swebenchImages)
        let imaged = try images.task(from: Self.row(repo: "sphinx-doc/sphinx", version: "3.5", id: "sphinx-doc__sphinx-8721"), where_: "row")
        #expect(imaged.document["test_cmd"]?.stringValue == "tox --current-env -epy39 -v --")
        #expect(imaged.document["test_cmd"]?.stringValue?.contains("-rA") == false)
    }

    @Test("pytest and flask rows (src/ layouts) get their frozen environment, installed per attempt, with their offline build requirements")
    func srcLayouts() throws {
        let importer = SWEbenchImporter(repositoriesDirectory: "/repos")
        func spec(_ repo: String, _ version: String, _ id: String) throws -> EnvironmentSpec {
            let task = try importer.task(from: Self.row(repo: repo, version: version, id: id), where_: "row")
            return try EnvironmentSpec.parse(try #require(task.document["environment"], "\(id) has no environment"), where_: "row")
        }
        // pytest-dev__pytest-7432 is in SWE-bench Verified: its environment.yml pins pluggy 0.13.1.
        let verified = try spec("pytest-dev/pytest", "5.4", "pytest-dev__pytest-7432")
        #expect(verified.installPerAttempt)
        #expect(verified.pip.contains("pluggy==0.13.1"))
        #expect(verified.pip.contains { $0.hasPrefix("setuptools-scm") } && verified.pip.contains { $0.hasPrefix("wheel==") })
        #expect(verified.variables["SETUPTOOLS_SCM_PRETEND_VERSION"] == "5.4.0", "the sandbox hides git history from setuptools-scm")
        #expect(verified.install == ["python -m pip install --no-deps -e ."])
        // A Lite-only version falls back to SWE-bench's per-version pins.
        let old = try spec("pytest-dev/pytest", "4.4", "pytest-dev__pytest-5103")
        #expect(old.pip.contains("pluggy==0.13.1") && old.pip.contains("setuptools==68.0.0"))
        #expect(!old.pip.contains("setuptools==75.1.0"), "one setuptools pin, SWE-bench's")
        // What the install brought from the index and the frozen pins lack.
        #expect(verified.pip.contains("wcwidth==0.2.6"))
        let v46 = try spec("pytest-dev/pytest", "4.6", "pytest-dev__pytest-5413")
        #expect(v46.pip.contains("importlib-metadata==8.5.0") && v46.pip.contains("wcwidth==0.2.6"))
        #expect(!(try spec("pytest-dev/pytest", "7.0", "pytest-dev__pytest-9359")).pip.contains { $0.hasPrefix("wcwidth") })
        // Lite's flask 2.3 rows share Verified's pallets__flask-5014 environment; 2.0 takes SWE-bench's spec.
        let flask = try spec("pallets/flask", "2.3", "pallets__flask-5063")
        #expect(flask.python == "3.11" && flask.pip.contains("werkzeug==2.3.7") && flask.installPerAttempt)
        #expect(flask.pip.contains("blinker==1.6.2"), "flask 2.3 needs blinker, which its frozen environment lacks")
        let flask20 = try spec("pallets/flask", "2.0", "pallets__flask-4045")
        #expect(flask20.python == "3.9" && flask20.pip.contains("Werkzeug==2.3.7") && flask20.pip.contains { $0.hasPrefix("pytest==") })
    }

    @Test("a Django row gets SWE-bench's frozen environment of that instance: its Python and every pin, conda's Python packages included")
    func frozenEnvironments() throws {
        let importer = SWEbenchImporter(repositoriesDirectory: "/repos")
        func spec(_ repo: String, _ version: String, _ id: String) throws -> EnvironmentSpec {
            let task = try importer.task(from: Self.row(repo: repo, version: version, id: id), where_: "row")
            return try EnvironmentSpec.parse(try #require(task.document["environment"], "\(id) has no environment"), where_: "row")
        }
        // django__django-11099 is in SWE-bench Verified: its environment.yml pins Python 3.6 and these packages.
        let verified = try spec("django/django", "3.0", "django__django-11099")
        #expect(verified.python == "3.6")
        #expect(verified.pip.contains("asgiref==3.4.1") && verified.pip.contains("sqlparse==0.4.4"))
        #expect(verified.pip.contains("setuptools==58.0.4"), "conda's setuptools, a Python package, is pinned too")
        #expect(!verified.pip.contains { $0.hasPrefix("openssl") || $0.hasPrefix("pip==") || $0.hasPrefix("python==") }, "\(verified.pip)")
        #expect(verified.variables["LC_ALL"] == "C.UTF-8")
        // A Lite row outside Verified takes the environment of its repository and version.
        let lite = try spec("django/django", "3.0", "django__django-11049")
        #expect(lite.key == verified.key)
        // SymPy's pins come from conda's packages (mpmath, flake8), not from its pip section alone.
        let sympy = try spec("sympy/sympy", "1.7", "sympy__sympy-20590")
        #expect(sympy.pip.contains("mpmath==1.3.0") && sympy.pip.contains("flake8==7.1.1"))
        // pylint 2.13 is not in Verified: a later version's environment, with the astroid and toml of its own files.
        let pylint = try spec("pylint-dev/pylint", "2.13", "pylint-dev__pylint-5859")
        #expect(pylint.pip.contains("astroid==2.9.3") && pylint.pip.contains("toml==0.10.2"))
        #expect(pylint.pip.filter { $0.hasPrefix("astroid==") }.count == 1)
        // Its tests find modules by path: installed per attempt, the checkout on sys.path as setuptools 62 put it.
        #expect(pylint.installPerAttempt && pylint.install == ["python -m pip install --no-deps -e . --config-settings editable_mode=compat"])
        // A 2.15 row outside Verified: the astroid its own commit pins; a Verified one keeps its frozen pins.
        #expect(try spec("pylint-dev/pylint", "2.15", "pylint-dev__pylint-7993").pip.contains("astroid==2.12.13"))
        #expect(try spec("pylint-dev/pylint", "2.15", "pylint-dev__pylint-7080").pip.contains("astroid==2.11.7"))
        // A repository version SWE-bench Verified does not cover falls back to the per-version spec.
        let old = try spec("sympy/sympy", "1.2", "sympy__sympy-15011")
        #expect(old.python == "3.9" && old.pip.contains("mpmath==1.3.0"))
    }
}

@Suite("environment_error as a failure category")
struct EnvironmentFailureCategoryTests {
    @Test("an attempt or a grading stopped by the environment is environment_error, an error the retry redoes, not the model's failure")
    func classifiesEnvironmentErrors() {
        let detail = "environment_error: Python 3.5 is not installed here: looked for python3.5 on PATH"
        let attempt = FailureCategory.classify(exitStatus: .infrastructureError, detail: detail, patch: "", score: nil)
        #expect(attempt.category == "environment_error")
        #expect(attempt.evidence.hasPrefix("Python 3.5 is not installed"))
        #expect(attempt.kind.isError)
        let grading = FailureCategory.classify(exitStatus: nil, detail: "grading failed: " + detail, patch: "diff", score: nil)
        #expect(grading.category == "environment_error")
        #expect(FailureCategory.Kind("environment_error") == .environmentError)
        #expect(FailureCategory.classify(exitStatus: .infrastructureError, detail: "git failed", patch: "", score: nil).category == "infra_error")
    }

    @Test("a test command that cannot start (exit 127) is environment_error, not a regression charged to the patch")
    func commandNotFound() {
        let score = ScoreReport(
            instanceID: "t", patchIsNone: false, patchExists: true, patchSuccessfullyApplied: true, resolved: false, resolution: .no,
            failToPass: ([], ["a"]), passToPass: ([], ["b"]), testsTimedOut: false, testExitCode: 127, testDuration: 0.1,
            testLog: "/bin/sh: 1: bin/test: not found\n", applyLog: "", infrastructureFailure: nil)
        let category = FailureCategory.classify(exitStatus: .submitted, detail: "", patch: "diff --git a/x b/x", score: score)
        #expect(category.category == "environment_error")
        #expect(category.evidence.contains("bin/test: not found"))
    }
}
