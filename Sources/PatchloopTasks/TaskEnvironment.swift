import Foundation
import PatchloopCore
import PatchloopWorkspace

/// What a task's tests need besides the repository: a Python interpreter and packages
/// (built once into a cached virtual environment), or a container image.
///
/// `task.json`'s optional `environment` object:
///
///     "environment": {"python": "3.9", "pip": ["mpmath==1.3.0"], "pre_install": [...],
///                     "install": ["python -m pip install -e ."], "env": {"NAME": "value"}}
///     "environment": {"image": "swebench/sweb.eval.x86_64.sympy_1776_sympy-20590",
///                     "workdir": "/testbed", "activate": "source /opt/miniconda3/bin/activate testbed"}
public struct EnvironmentSpec: Sendable, Hashable {
    /// A Python version (`"3.9"`, `"3.11.7"`); nil for an image.
    public var python: String?
    /// pip requirements (pinned where the source pins them), installed in the build.
    public var pip: [String]
    /// Shell commands run in the environment's folder before `pip` (at build time).
    public var preInstall: [String]
    /// Commands that install the repository itself; they run against each attempt's worktree.
    public var install: [String]
    /// Variables set for every command run in the environment.
    public var variables: [String: String]
    /// Run every `install` command in each attempt's worktree, into a thin writable layer
    /// over the read-only environment (`.patchloop-venv` in the worktree, kept out of
    /// patches), instead of running the worktree from `PYTHONPATH`: for repositories whose
    /// install writes what their tests import (a `src/` layout, a generated version file,
    /// entry points, compiled extensions). Editable installs then run too.
    public var installPerAttempt: Bool
    /// Keep what the install leaves in a fresh worktree of a task's base commit (the files
    /// the repository's own ignore rules hide: compiled extensions, generated sources, the
    /// build folder), and copy it into each later worktree of that commit instead of
    /// installing there: for repositories whose install compiles (astropy's). The install
    /// runs before each test run (`run_tests`, and the scorer's after the candidate patch, as
    /// SWE-bench's eval script runs it), and rebuilds only what changed.
    public var reuseBuild: Bool
    /// A container image name; nil for a Python environment.
    public var image: String?
    /// The repository's folder inside the image (SWE-bench's is `/testbed`).
    public var workdir: String?
    /// A shell prefix that activates the image's environment.
    public var activate: String?

    public init(
        python: String? = nil, pip: [String] = [], preInstall: [String] = [], install: [String] = [], variables: [String: String] = [:],
        installPerAttempt: Bool = false, reuseBuild: Bool = false, image: String? = nil, workdir: String? = nil, activate: String? = nil
    ) {
        self.reuseBuild = reuseBuild
        self.python = python
        self.pip = pip
        self.preInstall = preInstall
        self.install = install
        self.variables = variables
        self.installPerAttempt = installPerAttempt
        self.image = image
        self.workdir = workdir
        self.activate = activate
    }

    static let knownKeys: Set<String> = ["python", "pip", "pre_install", "install", "install_per_attempt", "reuse_build", "env", "image", "workdir", "activate"]

    /// Reads the `environment` object of `task.json`; `where_` names the file in errors.
    public static func parse(_ value: JSONValue, where_: String) throws -> EnvironmentSpec {
        guard let object = value.objectValue else {
            throw TaskLoadError("\(where_): environment must be an object such as {\"python\": \"3.9\", \"pip\": [\"mpmath==1.3.0\"]}")
        }
        let unknown = object.keys.filter { !knownKeys.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw TaskLoadError(
                "\(where_): environment has unknown field\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); known: \(knownKeys.sorted().joined(separator: ", "))")
        }
        func text(_ key: String) throws -> String? {
            guard let item = object[key], !item.isNull else { return nil }
            guard let string = item.stringValue, !string.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw TaskLoadError("\(where_): environment.\(key) must be a non-empty string, not \(item.encoded())")
            }
            return string
        }
        // A string or a list of strings (SWE-bench's `install` is one string, `pre_install` a list).
        func commands(_ key: String) throws -> [String] {
            guard let item = object[key], !item.isNull else { return [] }
            if let single = item.stringValue { return [single] }
            guard let items = item.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw TaskLoadError("\(where_): environment.\(key) must be a string or a list of strings, not \(item.encoded())")
            }
            return items.compactMap(\.stringValue)
        }
        var variables: [String: String] = [:]
        if let item = object["env"], !item.isNull {
            guard let entries = item.objectValue else {
                throw TaskLoadError("\(where_): environment.env must be an object of strings, e.g. {\"LANG\": \"C.UTF-8\"}")
            }
            for (name, value) in entries {
                guard let string = value.stringValue else {
                    throw TaskLoadError("\(where_): environment.env.\(name) must be a string, not \(value.encoded())")
                }
                guard !name.isEmpty, !name.contains("="), name.unicodeScalars.allSatisfy({ $0.isASCII }) else {
                    throw TaskLoadError("\(where_): environment.env has a bad variable name \(SafeName.quoted(name))")
                }
                variables[name] = string
            }
        }
        func flag(_ key: String) throws -> Bool {
            guard let item = object[key], !item.isNull else { return false }
            guard let flag = item.boolValue else { throw TaskLoadError("\(where_): environment.\(key) must be true or false, not \(item.encoded())") }
            return flag
        }
        let installPerAttempt = try flag("install_per_attempt")
        let reuseBuild = try flag("reuse_build")
        var python = try text("python")
        if let number = object["python"]?.doubleValue, python == nil {
            python = JSONValue.formatNumber(number)
        }
        let spec = EnvironmentSpec(
            python: python, pip: try commands("pip"), preInstall: try commands("pre_install"), install: try commands("install"),
            variables: variables, installPerAttempt: installPerAttempt, reuseBuild: reuseBuild, image: try text("image"), workdir: try text("workdir"),
            activate: try text("activate"))
        if let version = spec.python, !EnvironmentSpec.isPythonVersion(version) {
            throw TaskLoadError("\(where_): environment.python '\(version)' is not a Python version such as \"3.9\" or \"3.11.7\"")
        }
        switch (spec.python, spec.image) {
        case (nil, nil):
            throw TaskLoadError("\(where_): environment needs either python (a version such as \"3.9\") or image (a container image name)")
        case (.some, .some):
            throw TaskLoadError("\(where_): environment has both python and image: give one (a venv is built for python; an image already holds its environment)")
        case (nil, .some(let image)):
            if !spec.pip.isEmpty || !spec.preInstall.isEmpty || spec.installPerAttempt || spec.reuseBuild {
                throw TaskLoadError(
                    "\(where_): environment.pip, pre_install, install_per_attempt and reuse_build belong to a python environment; an image is used as it is")
            }
            // These reach a container program's command line and the container's shell.
            if let problem = ContainerImage.nameProblem(image) { throw TaskLoadError("\(where_): environment.image \(problem)") }
            if let workdir = spec.workdir, let problem = ContainerImage.workdirProblem(workdir) {
                throw TaskLoadError("\(where_): environment.workdir \(problem)")
            }
            if let activate = spec.activate, let problem = ContainerImage.activationProblem(activate) {
                throw TaskLoadError("\(where_): environment.activate: \(problem)")
            }
        case (.some, nil):
            if spec.workdir != nil || spec.activate != nil {
                throw TaskLoadError("\(where_): environment.workdir and activate belong to an image environment")
            }
            if spec.installPerAttempt, spec.install.isEmpty {
                throw TaskLoadError("\(where_): environment.install_per_attempt needs install commands to run (e.g. \"python -m pip install -e .\")")
            }
            if spec.reuseBuild, spec.install.isEmpty {
                throw TaskLoadError("\(where_): environment.reuse_build needs install commands that build (e.g. \"python setup.py build_ext --inplace\")")
            }
        }
        return spec
    }

    /// `3`, `3.9`, `3.11.7`: digits and dots, starting with 2 or 3.
    static func isPythonVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return (1...3).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
            && (parts[0] == "2" || parts[0] == "3")
    }

    /// The spec as `task.json` holds it; keys sorted, so the same spec always encodes the same.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let python { object["python"] = .string(python) }
        if !pip.isEmpty { object["pip"] = .array(pip.map { .string($0) }) }
        if !preInstall.isEmpty { object["pre_install"] = .array(preInstall.map { .string($0) }) }
        if !install.isEmpty { object["install"] = .array(install.map { .string($0) }) }
        if !variables.isEmpty { object["env"] = .object(variables.mapValues { .string($0) }) }
        if installPerAttempt { object["install_per_attempt"] = .bool(true) }
        if reuseBuild { object["reuse_build"] = .bool(true) }
        if let image { object["image"] = .string(image) }
        if let workdir { object["workdir"] = .string(workdir) }
        if let activate { object["activate"] = .string(activate) }
        return .object(object)
    }

    /// The part of the spec that decides what is built: `install` and `env` apply per
    /// attempt, so tasks that differ only there share one environment.
    public var buildJSON: JSONValue {
        var object: [String: JSONValue] = ["format": .number(1)]
        if let python { object["python"] = .string(python) }
        object["pip"] = .array(pip.map { .string($0) })
        object["pre_install"] = .array(preInstall.map { .string($0) })
        if let image { object["image"] = .string(image) }
        return .object(object)
    }

    /// The cache key: 32 hex digits of a stable hash of what is built.
    public var key: String { EnvironmentSpec.stableHash(buildJSON.encoded()) }

    /// 32 hex digits of `text`, stable across runs and machines: two FNV-1a passes with
    /// different offsets, 128 bits.
    public static func stableHash(_ text: String) -> String {
        StableHash.hex(text) + StableHash.hex(text, offset: 0x6c62_272e_07bb_0142)
    }

    /// A short human description (`python 3.9 + 2 packages`, `image NAME`).
    public var summary: String {
        if let image { return "image \(image)" }
        let packages = pip.isEmpty ? "" : " + \(pip.count) package\(pip.count == 1 ? "" : "s")"
        return "python \(python ?? "?")\(packages)"
    }
}

/// What a built environment puts around a command: folders to see read-only, `PATH`
/// entries in front, variables. Made by `PatchloopEnvironments` after a build.
public struct EnvironmentActivation: Sendable, Hashable {
    /// The environment's cache key.
    public var key: String
    /// Folders a sandboxed command must see read-only (the venv, the interpreter it was made from).
    public var readOnlyPaths: [String]
    /// Put in front of `PATH`.
    public var pathEntries: [String]
    /// Set for every command (`VIRTUAL_ENV`, the spec's `env`).
    public var variables: [String: String]
    /// Put the worktree first on `PYTHONPATH`, so a pure-Python repository runs from it without an install.
    public var worktreeOnPythonPath: Bool
    /// Commands run in each fresh worktree before the task's setup (the spec's `install`, where needed).
    public var installCommands: [String]
    /// Where builds are kept for reuse (`EnvironmentSpec.reuseBuild`), one folder per base
    /// commit; nil: every fresh worktree builds from nothing.
    public var buildCache: String?
    /// Run the install commands again before every test run: where builds are kept, a test
    /// run starts from a copied build that the agent's edits may have made stale.
    public var rebuildsBeforeTests: Bool { buildCache != nil }
    /// The install commands without the one that makes the layer: what runs again in a
    /// worktree that was prepared once (after the candidate patch, before a test run).
    public var repeatedInstallCommands: [String] { usesLayer ? Array(installCommands.dropFirst()) : installCommands }
    /// Whether the install commands go into a writable layer in the worktree
    /// (`layerFolder`), made by the first of them, which `apply` puts first on `PATH`.
    public var usesLayer = false
    /// Where the tests run when the environment is an image: the container program and
    /// the image; nil for a venv (the tests run on the host, in bubblewrap).
    public var container: ContainerEnvironment?

    public init(
        key: String, readOnlyPaths: [String], pathEntries: [String], variables: [String: String], worktreeOnPythonPath: Bool,
        installCommands: [String]
    ) {
        self.key = key
        self.readOnlyPaths = readOnlyPaths
        self.pathEntries = pathEntries
        self.variables = variables
        self.worktreeOnPythonPath = worktreeOnPythonPath
        self.installCommands = installCommands
    }

    /// The per-attempt layer's folder in the worktree (see `EnvironmentSpec.installPerAttempt`).
    public static let layerFolder = PatchPaths.layerFolder

    /// The activation of a venv whose install runs per attempt: `install` goes into a
    /// writable venv in the worktree that sees the read-only environment's packages
    /// through a `.pth` file (`site.addsitedir`, so the packages' own `.pth` files work too),
    /// with the environment's commands (`pytest`, `pip`…) copied in to run its python, and
    /// pip offline and without build isolation (the sandbox has no network: the build
    /// requirements must be in the environment).
    public static func layered(
        key: String, readOnlyPaths: [String], venv: String, sitePackages: String, variables: [String: String], install: [String]
    ) -> EnvironmentActivation {
        var variables = variables
        variables["PIP_NO_INDEX"] = "1"
        // pip reads its negative options from the environment inverted: 0 turns isolation off.
        variables["PIP_NO_BUILD_ISOLATION"] = "0"
        variables["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        let makeLayer = [venv + "/bin/python", "-c", layerScript, venv, sitePackages, layerFolder].map(shellQuote).joined(separator: " ")
        var activation = EnvironmentActivation(
            key: key, readOnlyPaths: readOnlyPaths, pathEntries: [venv + "/bin"], variables: variables, worktreeOnPythonPath: false,
            installCommands: [makeLayer] + install)
        activation.usesLayer = true
        return activation
    }

    /// Makes the layer (arguments: the environment's venv, its site-packages, the layer's folder).
    static let layerScript = """
        import os, sys, venv
        shared, site_dir, layer = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
        venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(layer)
        packages = os.path.join(layer, 'lib', 'python%d.%d' % sys.version_info[:2], 'site-packages')
        with open(os.path.join(packages, '_patchloop_environment.pth'), 'w') as f:
            f.write('import site; site.addsitedir(%r)\\n' % site_dir)
        head = ('#!' + os.path.join(shared, 'bin', 'python')).encode()
        for name in sorted(os.listdir(os.path.join(shared, 'bin'))):
            source, target = os.path.join(shared, 'bin', name), os.path.join(layer, 'bin', name)
            if os.path.lexists(target) or os.path.islink(source) or not os.path.isfile(source):
                continue
            with open(source, 'rb') as f:
                data = f.read()
            if data.startswith(head) and b'\\n' in data:
                with open(target, 'wb') as f:
                    f.write(b'#!' + os.path.join(layer, 'bin', 'python').encode() + data[data.index(b'\\n'):])
                os.chmod(target, 0o755)
        """

    /// `base` with this environment applied for a command in `worktree`.
    public func apply(to base: [String: String], worktree: String) -> [String: String] {
        var environment = base
        for (name, value) in variables { environment[name] = value }
        var entries = pathEntries
        if usesLayer {
            let layer = worktree + "/" + EnvironmentActivation.layerFolder
            entries.insert(layer + "/bin", at: 0)
            environment["VIRTUAL_ENV"] = layer
        }
        let path = entries + [base["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"]
        environment["PATH"] = path.joined(separator: ":")
        if worktreeOnPythonPath {
            environment["PYTHONPATH"] = ([worktree] + (variables["PYTHONPATH"].map { [$0] } ?? [])).joined(separator: ":")
        }
        // A pyenv shim in front would pick its own interpreter, not the venv's.
        environment.removeValue(forKey: "PYENV_VERSION")
        return environment
    }
}

/// A container program and the image a task's tests run in.
public struct ContainerEnvironment: Sendable, Hashable {
    public var runtime: ContainerRuntime
    public var image: ContainerImage

    public init(runtime: ContainerRuntime, image: ContainerImage) {
        self.runtime = runtime
        self.image = image
    }
}

/// A task's environment could not be built or used: an infrastructure failure
/// (`environment_error`), never the model's.
public struct EnvironmentError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What went wrong and what to do.
    public var message: String
    /// The end of the build log, when there was one.
    public var logTail: String

    public init(_ message: String, logTail: String = "") {
        self.message = message
        self.logTail = logTail
    }

    public var description: String {
        "environment_error: \(message)" + (logTail.isEmpty ? "" : "\n" + logTail)
    }
}
