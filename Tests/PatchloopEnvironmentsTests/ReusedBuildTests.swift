import Foundation
import PatchloopCore
import PatchloopEnvironments
@testable import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace
import Testing

/// A repository whose tests import a compiled extension (as astropy's and scikit-learn's
/// do): its install builds in place, once per base commit; later worktrees reuse that build
/// and recompile only what changed; the scorer builds the candidate patch before grading.
@Suite("Builds reused across worktrees")
struct ReusedBuildTests {
    static let taskJSON = """
        {"instance_id": "cext-demo-1", "problem_statement": "fast.add subtracts",
         "FAIL_TO_PASS": ["test_add (test_fast.T.test_add)"], "PASS_TO_PASS": ["test_mul (test_fast.T.test_mul)"],
         "test_cmd": "python -m unittest -v test_fast", "log_parser": "django", "language": "python", "timeout": 600,
         "environment": {"python": "PYTHON", "pip": ["setuptools==75.1.0"], "install": ["python setup.py build_ext --inplace"],
                         "reuse_build": true}}
        """
    static func source(_ operation: String) -> String {
        """
        #define PY_SSIZE_T_CLEAN
        #include <Python.h>

        static PyObject *add(PyObject *self, PyObject *args) {
            long a, b;
            if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
            return PyLong_FromLong(a \(operation) b);
        }

        static PyObject *mul(PyObject *self, PyObject *args) {
            long a, b;
            if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
            return PyLong_FromLong(a * b);
        }

        static PyMethodDef methods[] = {{"add", add, METH_VARARGS, ""}, {"mul", mul, METH_VARARGS, ""}, {NULL, NULL, 0, NULL}};
        static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "fast", NULL, -1, methods};
        PyMODINIT_FUNC PyInit_fast(void) { return PyModule_Create(&module); }

        """
    }
    static let goldPatch = """
        diff --git a/fast.c b/fast.c
        --- a/fast.c
        +++ b/fast.c
        @@ -6,3 +6,3 @@ static PyObject *add(PyObject *self, PyObject *args) {
             if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
        -    return PyLong_FromLong(a - b);
        +    return PyLong_FromLong(a + b);
         }

        """
    static let testPatch = """
        diff --git a/test_fast.py b/test_fast.py
        new file mode 100644
        --- /dev/null
        +++ b/test_fast.py
        @@ -0,0 +1,10 @@
        +import unittest
        +
        +import fast
        +
        +class T(unittest.TestCase):
        +    def test_add(self):
        +        self.assertEqual(fast.add(2, 3), 5)
        +
        +    def test_mul(self):
        +        self.assertEqual(fast.mul(2, 3), 6)

        """

    @Test("a compiled extension: built once per base commit, reused by later worktrees, rebuilt where a patch or an edit changes it, graded after the patch is built")
    func reusesTheBuild() async throws {
        try #require(await CommandIsolation.checkBubblewrap() == nil, "bubblewrap must work here")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let python = try EnvironmentBuildTests.newestPython()
        let folder = directory.path + "/tasks/cext-demo-1"
        try directory.write([
            "tasks/cext-demo-1/task.json": Self.taskJSON.replacingOccurrences(of: "PYTHON", with: python),
            "tasks/cext-demo-1/test.patch": Self.testPatch,
            "tasks/cext-demo-1/gold.patch": Self.goldPatch,
            "tasks/cext-demo-1/repo/.gitignore": "build/\n*.so\n",
            "tasks/cext-demo-1/repo/setup.py": "from setuptools import setup, Extension\nsetup(name='fast', version='1.0', ext_modules=[Extension('fast', ['fast.c'])])\n",
            "tasks/cext-demo-1/repo/fast.c": Self.source("-"),
        ])
        let task = try TaskStore.loadTask(folder)
        #expect(task.environment?.reuseBuild == true)
        let cache = EnvironmentCache(root: directory.path + "/cache")
        let prepared = try #require(await EnvironmentBuilder(cache: cache, timeout: 600).prepare([task]).first)
        let activation = try #require(prepared.environmentActivation, "\(prepared.environmentFailure.map { "\($0)" } ?? "")")
        #expect(activation.buildCache == cache.buildDirectory(for: activation.key))
        #expect(activation.rebuildsBeforeTests)
        #expect(activation.repeatedInstallCommands == ["python setup.py build_ext --inplace"])

        // Two worktrees of the commit prepared at once: one builds and keeps, the other waits and reuses.
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(forFilesIn: folder + "/repo", name: "cext-demo-1")
        let first = try await manager.makeSandbox(from: base, group: "g", name: "first")
        let second = try await manager.makeSandbox(from: base, group: "g", name: "second")
        let firstSuite = try TaskTestSuite(task: prepared, isolation: .bubblewrap, sandbox: first)
        let secondSuite = try TaskTestSuite(task: prepared, isolation: .bubblewrap, sandbox: second)
        async let one = WorktreePreparation(task: prepared, suite: firstSuite).run(in: first)
        async let two = WorktreePreparation(task: prepared, suite: secondSuite).run(in: second)
        let both = try await [one, two]
        #expect(both.allSatisfy { $0.failedCommand == nil })
        #expect(both.filter { $0.keptFiles > 0 && $0.reusedFiles == 0 }.count == 1, "\(both.map { ($0.keptFiles, $0.reusedFiles) })")
        #expect(both.filter { $0.reusedFiles > 0 && $0.keptFiles == 0 }.count == 1, "\(both.map { ($0.keptFiles, $0.reusedFiles) })")
        for sandbox in [first, second] { await manager.remove(sandbox) }

        // Validation: the gold patch changes compiled code, so it resolves only if the scorer
        // builds it after applying it (the kept build is of the unchanged base).
        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let result = await TaskValidator(runner: AttemptRunner(configuration: configuration)).validate(prepared)
        #expect(result.isValid, "\(result.problems) \(result.gold?.testLog.suffix(1500) ?? "") \(result.gold?.applyLog ?? "")")
        #expect(result.gold?.resolved == true)
        #expect(result.empty?.resolved == false)
        #expect(result.gold?.applyLog.contains("install after the patch (`python setup.py build_ext --inplace`): exit 0") == true, "\(result.gold?.applyLog ?? "")")
        let kept = try #require(
            try FileManager.default.contentsOfDirectory(atPath: activation.buildCache!).filter { !$0.contains(".partial-") && !$0.hasSuffix(".lock") }.first)
        let keptList = try String(contentsOfFile: activation.buildCache! + "/" + kept + "/files.list", encoding: .utf8).split(separator: "\0")
        #expect(keptList.contains { $0.hasPrefix("fast.") && $0.hasSuffix(".so") }, "\(keptList)")
        #expect(keptList.contains { $0.hasPrefix("build/") })
        #expect(cache.entries().first { $0.key == activation.key }.map { $0.size > 0 } == true)

        // A later worktree starts from the kept build: its install compiles nothing.
        let sandbox = try await manager.makeSandbox(from: base, group: "g", name: "cext-demo-1")
        let suite = try TaskTestSuite(task: prepared, isolation: .bubblewrap, sandbox: sandbox)
        let preparation = try await WorktreePreparation(task: prepared, suite: suite).run(in: sandbox)
        #expect(preparation.failedCommand == nil)
        #expect(preparation.reusedFiles == keptList.count)
        #expect(preparation.keptFiles == 0)
        let again = try await suite.execute("python setup.py build_ext --inplace", in: sandbox.path)
        #expect(again.succeeded)
        #expect(!again.standardOutput.text.contains("building 'fast' extension"), "\(again.standardOutput.text)")
        #expect(try await sandbox.diff().isEmpty, "the kept build is ignored by the repository: never in a patch")

        // run_tests builds the agent's edit of compiled code before the tests run.
        #expect(try await sandbox.apply(patch: Self.testPatch, isolation: .bubblewrap).applied)
        let before = try await suite.run(tests: [], in: sandbox.path)
        #expect(before.failed.contains("test_add (test_fast.T.test_add)"), "\(before.output.suffix(1500))")
        try Self.source("+").write(toFile: sandbox.path + "/fast.c", atomically: false, encoding: .utf8)
        let after = try await suite.run(tests: [], in: sandbox.path)
        #expect(after.passed.contains("test_add (test_fast.T.test_add)"), "\(after.output.suffix(1500))")
        #expect(!after.output.contains("building 'fast' extension"), "a build that works stays out of the agent's view")
        // An edit that does not compile: the build's errors, and no test run.
        try Self.source("@").write(toFile: sandbox.path + "/fast.c", atomically: false, encoding: .utf8)
        let broken = try await suite.run(tests: [], in: sandbox.path)
        #expect(broken.exitCode != 0 && broken.passed.isEmpty && !broken.allPassed)
        #expect(broken.note?.contains("the build before the tests (`python setup.py build_ext --inplace`) failed") == true, "\(broken.note ?? "")")
        #expect(broken.output.contains("fast.c") && broken.output.contains("error"), "\(broken.output.suffix(1500))")
        await suite.finish()
        await manager.remove(sandbox)

        // Pruning the environment removes its kept builds.
        _ = cache.prune(keeping: [])
        #expect(!FileManager.default.fileExists(atPath: activation.buildCache!))
    }

    @Test("a kept build is copied without writing through a link in the worktree, and a link in a build is kept as a link, never read")
    func hostileLinks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outside = directory.path + "/outside"
        let secret = directory.path + "/secret.txt"
        try directory.write(["outside/.keep": "", "secret.txt": "API_KEY=hunter2\n"])

        // Restoring into a worktree whose `build` is a link to a folder outside it.
        let kept = directory.path + "/kept"
        try directory.write(["kept/files/build/x.so": "binary", "kept/files/ok.so": "fine", "kept/files.list": "build/x.so\0ok.so\0../escape.so"])
        let worktree = directory.path + "/worktree"
        try FileManager.default.createDirectory(atPath: worktree, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: worktree + "/build", withDestinationPath: outside)
        #expect(try KeptBuild.restore(from: kept, into: worktree) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == [".keep"], "nothing was written through the link")
        #expect(try String(contentsOfFile: worktree + "/ok.so", encoding: .utf8) == "fine")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/escape.so"))

        // Keeping the build of a worktree whose ignored file is a link to a secret.
        try directory.write(["repo/.gitignore": "*.so\n", "repo/a.py": "x = 1\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(forFilesIn: directory.path + "/repo", name: "links")
        let sandbox = try await manager.makeSandbox(from: base, group: "g", name: "links")
        try FileManager.default.createSymbolicLink(atPath: sandbox.path + "/leak.so", withDestinationPath: secret)
        try "built".write(toFile: sandbox.path + "/real.so", atomically: false, encoding: .utf8)
        #expect(try await KeptBuild.store(from: sandbox, at: directory.path + "/store") == 2)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory.path + "/store/files/leak.so") == secret)
        #expect(try String(contentsOfFile: directory.path + "/store/files/real.so", encoding: .utf8) == "built")
        // A second keep of the same build leaves the first.
        #expect(try await KeptBuild.store(from: sandbox, at: directory.path + "/store") == 0)
        await manager.remove(sandbox)
    }

    @Test("reuse_build is refused without install commands, with an image, and when not a boolean")
    func badFields() throws {
        let cases = [
            (#"{"python": "3.11", "reuse_build": true}"#, "reuse_build needs install commands"),
            (#"{"image": "busybox:latest", "install": ["make"], "reuse_build": true}"#, "belong to a python environment"),
            (#"{"python": "3.11", "install": ["make"], "reuse_build": 1}"#, "must be true or false"),
        ]
        for (json, message) in cases {
            #expect {
                try EnvironmentSpec.parse(try JSONValue.parse(json), where_: "task.json")
            } throws: { error in
                "\(error)".contains(message) && "\(error)".contains("task.json")
            }
        }
        let spec = try EnvironmentSpec.parse(try JSONValue.parse(#"{"python": "3.11", "install": ["make"], "reuse_build": true}"#), where_: "t")
        #expect(try EnvironmentSpec.parse(spec.json, where_: "t") == spec)
        var plain = spec
        plain.reuseBuild = false
        #expect(plain.key == spec.key, "the build is per worktree: what the environment holds is the same")
    }
}
