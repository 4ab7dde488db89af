import Foundation
import PatchloopCore
@testable import PatchloopEnvironments
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// Builds real venvs with real pip, offline: the packages are wheels made on the spot and
/// installed with `--no-index --find-links`.
@Suite("Building environments")
struct EnvironmentBuildTests {
    /// A pure-Python wheel of `patchloop-probe` at `version`, written into `directory`.
    static func makeWheel(in directory: String, version: String) async throws {
        let script = """
            import base64, hashlib, sys, zipfile
            folder, version = sys.argv[1], sys.argv[2]
            info = f"patchloop_probe-{version}.dist-info"
            files = {
                "patchloop_probe/__init__.py": f"VERSION = {version!r}\\n",
                f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: patchloop-probe\\nVersion: {version}\\n",
                f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: patchloop-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
            }
            record = []
            for name, text in files.items():
                digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
                record.append(f"{name},sha256={digest},{len(text.encode())}")
            files[f"{info}/RECORD"] = "\\n".join(record + [f"{info}/RECORD,,"]) + "\\n"
            with zipfile.ZipFile(f"{folder}/patchloop_probe-{version}-py3-none-any.whl", "w") as wheel:
                for name, text in files.items():
                    wheel.writestr(name, text)
            """
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let outcome = try await ProcessRunner().run(
            ProcessSpec(executable: "/usr/bin/python3", arguments: ["-c", script, directory, version], timeout: 60, mergeStandardError: true))
        try #require(outcome.succeeded, "\(outcome.standardOutput.text)")
    }

    static func newestPython() throws -> String {
        let minors = PythonLocator().pyenvVersions().filter { $0.hasPrefix("3.1") }
        let newest = try #require(PythonLocator.newestFirst(minors).first, "this suite needs a pyenv Python 3.1x")
        return newest.split(separator: ".").prefix(2).joined(separator: ".")
    }

    @Test("an environment is built once with its manifest, even when asked for twice at once; the next build is a cache hit; another spec is another environment")
    func buildsOnceAndReuses() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let wheels = directory.path + "/wheels"
        try await Self.makeWheel(in: wheels, version: "1.0")
        try await Self.makeWheel(in: wheels, version: "2.0")
        var host = ProcessInfo.processInfo.environment
        host["PATCHLOOP_TEST_SECRET_TOKEN"] = "sk-never-in-an-environment"
        // The user's wheelhouse: builds see the folders the user's pip settings name, not others.
        host["PIP_FIND_LINKS"] = wheels
        let builder = EnvironmentBuilder(cache: EnvironmentCache(root: directory.path + "/cache"), timeout: 300, hostEnvironment: host)
        let python = try Self.newestPython()
        let first = EnvironmentSpec(
            python: python, pip: ["--no-index", "--find-links", wheels, "patchloop-probe==1.0"], preInstall: ["env > pre_install_env.txt"])

        // Two builds of one spec at once: one builds, the other waits on the lock and finds it built.
        async let racing = builder.build(first)
        let built = await builder.build(first)
        let raced = await racing
        #expect([built.cacheHit, raced.cacheHit].filter { $0 }.count == 1)
        let manifest = try built.result.get()
        #expect(try raced.result.get() == manifest)
        #expect(manifest.interpreter.version.hasPrefix(python + "."))
        #expect(manifest.pipFreeze.contains("patchloop-probe==1.0"))
        #expect(manifest.buildSeconds > 0)
        #expect(FileManager.default.fileExists(atPath: manifest.log))
        #expect(FileManager.default.isExecutableFile(atPath: manifest.venv + "/bin/python"))
        let seen = try String(contentsOfFile: builder.cache.directory(for: first.key) + "/pre_install_env.txt", encoding: .utf8)
        #expect(!seen.contains("sk-never-in-an-environment"), "a secret reached the build")
        #expect(seen.contains("VIRTUAL_ENV=\(manifest.venv)"))

        let again = await builder.build(first)
        #expect(again.cacheHit)
        #expect(try again.result.get() == manifest)
        print(String(format: "environment build %.2f s, cache hit %.4f s", max(built.seconds, raced.seconds), again.seconds))

        var second = first
        second.pip = ["--no-index", "--find-links", wheels, "patchloop-probe==2.0"]
        let other = try await builder.build(second).result.get()
        #expect(other.key != manifest.key)
        #expect(other.pipFreeze.contains("patchloop-probe==2.0"))
        #expect(Set(builder.cache.entries().map(\.key)) == [first.key, second.key])

        // Tasks that share a spec share its environment; prune keeps what tasks still use.
        let removed = builder.cache.prune(keeping: [first.key])
        #expect(removed.map(\.key) == [second.key])
        #expect(builder.cache.entries().map(\.key) == [first.key])
    }

    @Test("a hostile task's build steps run in bubblewrap: they cannot write outside their environment's folder, nor read the user's files, yet the build works")
    func hostileBuildStepsAreContained() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let python = try Self.newestPython()
        let interpreter = try await PythonLocator().locate(python)
        let tag = UUID().uuidString.prefix(12)
        // Places a build step on the host could reach: the user's home, and the interpreter's
        // own folder (a file there would run in every later environment made from it).
        let home = NSHomeDirectory()
        let homeMarker = home + "/.patchloop-attack-\(tag)"
        let interpreterMarker = URL(fileURLWithPath: interpreter.path).deletingLastPathComponent().path + "/patchloop-attack-\(tag)"
        let secret = home + "/.patchloop-secret-\(tag)"
        try "sk-host-secret-\(tag)".write(toFile: secret, atomically: true, encoding: .utf8)
        defer {
            for path in [homeMarker, interpreterMarker, secret] { try? FileManager.default.removeItem(atPath: path) }
        }
        let wheels = directory.path + "/wheels"
        try await Self.makeWheel(in: wheels, version: "1.0")
        var host = ProcessInfo.processInfo.environment
        host["PIP_FIND_LINKS"] = wheels
        let builder = EnvironmentBuilder(cache: EnvironmentCache(root: directory.path + "/cache"), timeout: 300, hostEnvironment: host)
        let spec = EnvironmentSpec(
            python: python, pip: ["--no-index", "patchloop-probe==1.0"],
            preInstall: [
                "echo owned > '\(homeMarker)' || true",
                "echo owned > '\(interpreterMarker)' || true",
                "cat '\(secret)' > stolen.txt 2>&1 || true",
                "echo built-here > inside.txt",
            ])
        let manifest = try await builder.build(spec).result.get()
        #expect(!FileManager.default.fileExists(atPath: homeMarker), "a build step wrote into the user's home")
        #expect(!FileManager.default.fileExists(atPath: interpreterMarker), "a build step wrote beside the interpreter")
        let stolen = try String(contentsOfFile: builder.cache.directory(for: spec.key) + "/stolen.txt", encoding: .utf8)
        #expect(!stolen.contains("sk-host-secret"), "a build step read a file from the user's home")
        // What a build may do, it still does: write in its own folder, install from the user's wheelhouse.
        #expect(try String(contentsOfFile: builder.cache.directory(for: spec.key) + "/inside.txt", encoding: .utf8) == "built-here\n")
        #expect(manifest.pipFreeze.contains("patchloop-probe==1.0"))
        let log = try String(contentsOfFile: manifest.log, encoding: .utf8)
        #expect(log.contains("bubblewrap"), "the build log says where the steps ran")
    }

    @Test("a sandboxed build sees the user's pip settings at its private home, and the local folders they name, nothing else of the home")
    func userPipSettingsReachTheBuild() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write([
            "home/.config/pip/pip.conf": "[global]\nfind-links = \(directory.path)/wheelhouse file://\(directory.path)/more\ncert = \(directory.path)/ca.pem\n",
            "home/.pip/pip.conf": "[install]\nno-cache-dir = true\n",
            "home/.ssh/id_rsa": "secret",
            "wheelhouse/a.whl": "", "more/b.whl": "", "ca.pem": "",
        ])
        let home = directory.path + "/home"
        let builder = EnvironmentBuilder(
            cache: EnvironmentCache(root: directory.path + "/cache"), hostEnvironment: ["HOME": home, "PATH": "/usr/bin:/bin", "PIP_CERT": directory.path + "/ca.pem"])
        let interpreter = try await PythonLocator().locate(try Self.newestPython())
        let inputs = builder.sandboxInputs(interpreter: interpreter)
        #expect(inputs.mounts == [
            ReadOnlyMount(source: home + "/.config/pip/pip.conf", destination: "/tmp/.config/pip/pip.conf"),
            ReadOnlyMount(source: home + "/.pip/pip.conf", destination: "/tmp/.pip/pip.conf"),
        ])
        #expect(inputs.readOnly.contains(directory.path + "/wheelhouse") && inputs.readOnly.contains(directory.path + "/more"))
        #expect(inputs.readOnly.contains(directory.path + "/ca.pem"))
        #expect(!inputs.readOnly.contains { home.hasPrefix($0) || $0.hasPrefix(home) }, "nothing of the home but pip's settings: \(inputs.readOnly)")
        #expect(inputs.readOnly.contains(URL(fileURLWithPath: interpreter.path).deletingLastPathComponent().path))
    }

    @Test("a build variable that names no absolute path (a number, a relative folder) never shows the current folder to the build")
    func noCurrentFolder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The current folder may be the user's home: a hostile pre_install must not read it.
        let current = FileManager.default.currentDirectoryPath
        try #require(FileManager.default.fileExists(atPath: current + "/Package.swift"), "the tests run from the package")
        let builder = EnvironmentBuilder(
            cache: EnvironmentCache(root: directory.path + "/cache"),
            hostEnvironment: ["HOME": directory.path, "PATH": "/usr/bin:/bin", "PIP_DEFAULT_TIMEOUT": "180", "PIP_FIND_LINKS": "Sources ./Tests"])
        let interpreter = try await PythonLocator().locate(try Self.newestPython())
        let inputs = builder.sandboxInputs(interpreter: interpreter)
        #expect(!inputs.readOnly.contains { $0 == current || $0.hasPrefix(current + "/") }, "\(inputs.readOnly)")
    }

    @Test("a venv's pip older than 20.3 (Python 3.6's 18.1) is upgraded before the packages: it cannot take manylinux_2_x wheels")
    func oldPipIsUpgraded() {
        for old in ["18.1", "9.0.3", "20.2.4", "19.3.1"] { #expect(EnvironmentBuilder.pipPredatesManylinux2(old), "\(old)") }
        for new in ["20.3", "20.3b1", "21.3.1", "23.0.1", "24.0", "100.0"] { #expect(!EnvironmentBuilder.pipPredatesManylinux2(new), "\(new)") }
    }

    @Test("a cache another user could write is refused, its finished environments included: environment_error naming it")
    func cacheOthersCanWrite() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let wheels = directory.path + "/wheels"
        try await Self.makeWheel(in: wheels, version: "1.0")
        // The sandboxed build sees the wheels as the user's pip setting.
        var host = ProcessInfo.processInfo.environment
        host["PIP_FIND_LINKS"] = wheels
        let builder = EnvironmentBuilder(cache: EnvironmentCache(root: directory.path + "/cache"), timeout: 300, hostEnvironment: host)
        let spec = EnvironmentSpec(python: try Self.newestPython(), pip: ["--no-index", "patchloop-probe==1.0"])
        let first = await builder.build(spec)
        #expect((try? first.result.get()) != nil, "\(String(describing: first.result))")

        // Another user could now swap the venv's interpreter or packages: the finished build is not used.
        #expect(chmod(directory.path + "/cache", 0o777) == 0)
        let second = await builder.build(spec)
        guard case .failure(let error) = second.result else {
            Issue.record("a cache anyone can write must be refused, not a cache hit")
            return
        }
        #expect(!second.cacheHit)
        #expect(error.message.contains("any user can write the environment cache"), "\(error.message)")
        #expect(error.message.contains("PATCHLOOP_CACHE"))
        #expect(chmod(directory.path + "/cache", 0o755) == 0)
        #expect(await builder.build(spec).cacheHit)
    }

    @Test("a failing pip install is an environment error with the build log, kept for prune to clear")
    func failingInstall() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let builder = EnvironmentBuilder(cache: EnvironmentCache(root: directory.path + "/cache"), timeout: 300)
        let spec = EnvironmentSpec(python: try Self.newestPython(), pip: ["--no-index", "--find-links", directory.path, "patchloop-no-such-package"])
        let build = await builder.build(spec)
        guard case .failure(let error) = build.result else {
            Issue.record("the install of a missing package must fail")
            return
        }
        #expect(error.message.contains("pip install"))
        #expect(error.logTail.contains("patchloop-no-such-package"))
        #expect("\(error)".hasPrefix("environment_error: "))
        #expect(builder.cache.failure(for: spec.key) != nil)
        #expect(builder.cache.manifest(for: spec.key) == nil)

        // Its tasks carry the error instead of an activation.
        let task = TaskInstance(
            instanceID: "t", repo: "r", problemStatement: "p", failToPass: ["a"], passToPass: [], testCommand: "true", logParser: "pytest",
            language: "python", goldPatch: "", testPatch: "", source: .files(directory: directory.path), environment: spec)
        let prepared = await builder.prepare([task])
        #expect(prepared[0].environmentFailure != nil)
        #expect(prepared[0].environmentActivation == nil)

        #expect(builder.cache.prune(keeping: nil).map(\.key) == [spec.key])
        #expect(builder.cache.entries().isEmpty)
    }
}
