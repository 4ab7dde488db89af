import Foundation
import PatchloopCore
import PatchloopEnvironments
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("Environment spec in task.json")
struct EnvironmentSpecTests {
    func task(environment: String, in directory: TemporaryDirectory) throws -> String {
        try directory.write([
            "t/task.json": #"{"instance_id": "t", "problem_statement": "p", "FAIL_TO_PASS": ["a"], "test_cmd": "pytest", "log_parser": "pytest", "environment": "#
                + environment + "}",
            "t/repo/a.py": "x = 1\n",
        ])
        return directory.path + "/t"
    }

    @Test("a python environment is read with every field")
    func readsPythonSpec() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try task(
            environment: #"{"python": "3.9", "pip": ["mpmath==1.3.0"], "pre_install": "echo hi", "install": "python -m pip install -e .", "env": {"LANG": "C.UTF-8"}}"#,
            in: directory)
        let spec = try #require(try TaskStore.loadTask(path).environment)
        #expect(spec.python == "3.9")
        #expect(spec.pip == ["mpmath==1.3.0"])
        #expect(spec.preInstall == ["echo hi"])
        #expect(spec.install == ["python -m pip install -e ."])
        #expect(spec.variables == ["LANG": "C.UTF-8"])
        #expect(try TaskStore.loadTask(path).json["environment"]?["pip"] == .array(["mpmath==1.3.0"]))
    }

    @Test("bad environment fields name the file and what to fix", arguments: [
        (#"{"python": "3.9", "pip": "x", "bogus": 1}"#, "unknown field bogus"),
        (#"{"python": "three"}"#, "is not a Python version"),
        (#"{"python": "3.9", "image": "x"}"#, "both python and image"),
        (#"{"image": "x", "pip": ["a"]}"#, "belong to a python environment"),
        (#"{"pip": ["a"]}"#, "needs either python"),
        (#"{"python": "3.9", "pip": [1]}"#, "environment.pip must be"),
        (#"{"python": "3.9", "env": {"A": 1}}"#, "environment.env.A must be a string"),
        (#""3.9""#, "environment must be an object"),
    ])
    func badFields(environment: String, message: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try task(environment: environment, in: directory)
        #expect {
            try TaskStore.loadTask(path)
        } throws: { error in
            let text = (error as? TaskLoadError)?.description ?? ""
            return text.contains(message) && text.contains(path)
        }
    }

    @Test("the key follows what is built: install and env do not change it, packages and the version do")
    func keyFollowsWhatIsBuilt() {
        let base = EnvironmentSpec(python: "3.9", pip: ["mpmath==1.3.0"])
        var perAttempt = base
        perAttempt.install = ["python -m pip install -e ."]
        perAttempt.variables = ["A": "b"]
        #expect(base.key == perAttempt.key)
        #expect(base.key != EnvironmentSpec(python: "3.11", pip: ["mpmath==1.3.0"]).key)
        #expect(base.key != EnvironmentSpec(python: "3.9", pip: ["mpmath==1.2.1"]).key)
        #expect(base.key.count == 32)
    }

    @Test("editable installs of the worktree are recognised; build steps are not")
    func editableInstalls() {
        for command in ["python -m pip install -e .", "pip install -e .[test]", "pip install --editable .", "python setup.py develop"] {
            #expect(EnvironmentBuilder.isEditableInstallOfWorktree(command), "\(command)")
        }
        for command in ["python setup.py build_ext --inplace", "pip install -e ../other", "pip install numpy"] {
            #expect(!EnvironmentBuilder.isEditableInstallOfWorktree(command), "\(command)")
        }
    }

    @Test("a task whose environment is not built refuses to run its tests, as an environment error")
    func unbuiltEnvironmentIsAnError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try TaskStore.loadTask(try self.task(environment: #"{"python": "3.9"}"#, in: directory))
        #expect {
            try TaskTestSuite(task: task, isolation: .none)
        } throws: { error in
            "\(error)".hasPrefix("environment_error: ") && "\(error)".contains("patchloop env build")
        }
    }

    @Test("an image environment without a container runtime is a clear environment error")
    func imageWithoutRuntime() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let builder = EnvironmentBuilder(cache: EnvironmentCache(root: directory.path), hostEnvironment: ["PATH": directory.path, "HOME": directory.path])
        let build = await builder.build(EnvironmentSpec(image: "swebench/sweb.eval.x86_64.demo", workdir: "/testbed"))
        guard case .failure(let error) = build.result else {
            Issue.record("an image cannot be used without a runtime")
            return
        }
        #expect(error.message.contains("no container runtime is installed"))
        #expect(error.message.contains("swebench/sweb.eval.x86_64.demo"))
    }
}
