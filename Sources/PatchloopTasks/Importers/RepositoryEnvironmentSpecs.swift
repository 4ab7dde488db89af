import Foundation
import PatchloopCore

/// The `environment` an imported SWE-bench row gets: SWE-bench's per-repository,
/// per-version install spec (`MAP_REPO_VERSION_TO_SPECS` in
/// `swebench/harness/constants/python.py`) where it translates faithfully into a venv
/// (a Python version, pip packages, an install of the worktree), or SWE-bench's prebuilt
/// image name on request.
///
/// Repositories whose spec needs what a venv cannot give (conda `environment.yml`,
/// `apt-get` steps, requirement files read from the checkout, `src/` layouts that need their
/// install) are left without one: give them an image, or write the environment by hand.
public enum RepositoryEnvironmentSpecs {
    /// Which environment the importer writes.
    public enum Kind: String, Sendable, CaseIterable {
        /// A Python venv from SWE-bench's spec, where one translates.
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

    /// The venv spec for `repo` at `version`; nil where SWE-bench's does not translate.
    public static func venv(repo: String, version: String) -> EnvironmentSpec? {
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

    /// SWE-bench's published image for an instance (`__` becomes `_1776_`, lower-cased), as
    /// SWE-bench's harness and mini-swe-agent name it.
    public static func swebenchImage(instanceID: String) -> EnvironmentSpec {
        let name = instanceID.replacingOccurrences(of: "__", with: "_1776_").lowercased()
        return EnvironmentSpec(
            image: "swebench/sweb.eval.x86_64.\(name):latest", workdir: "/testbed",
            activate: "source /opt/miniconda3/bin/activate && conda activate testbed")
    }

    /// The environment for a row, by `kind`.
    public static func environment(_ kind: Kind, repo: String, version: String, instanceID: String) -> EnvironmentSpec? {
        switch kind {
        case .venv: return venv(repo: repo, version: version)
        case .swebenchImages: return swebenchImage(instanceID: instanceID)
        case .none: return nil
        }
    }
}
