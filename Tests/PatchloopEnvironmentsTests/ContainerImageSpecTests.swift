import Foundation
import PatchloopCore
import PatchloopEnvironments
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// What a task file says about its image reaches a container program's command line and
/// the container's shell: each field is checked where it is read.
@Suite("Container image specs")
struct ContainerImageSpecTests {
    func parse(_ environment: String) throws -> EnvironmentSpec {
        try EnvironmentSpec.parse(try JSONValue.parse(environment), where_: "task.json in Tasks/demo")
    }

    @Test(
        "an image name that a container program would read as an option, or that is no image reference, is refused with its field named",
        arguments: ["--privileged", "-v/:/host", "--network=host", "Ubuntu", "a b", "busybox;rm -rf /", "img\n--privileged", "img:", "/abs", ""])
    func hostileImageNames(_ name: String) throws {
        let json = JSONValue.object(["image": .string(name)]).encoded()
        #expect {
            try parse(json)
        } throws: { error in
            let text = "\(error)"
            return text.contains("task.json in Tasks/demo: environment.image") && (text.contains("not a container image name") || text.contains("non-empty"))
        }
    }

    @Test("real image references are accepted", arguments: [
        "swebench/sweb.eval.x86_64.sympy_1776_sympy-20590", "busybox", "localhost:5000/team/img:v1.2", "ghcr.io/a/b-c_d:latest",
        "img@sha256:" + String(repeating: "a", count: 64),
    ])
    func realImageNames(_ name: String) throws {
        let spec = try parse(JSONValue.object(["image": .string(name)]).encoded())
        #expect(spec.image == name)
    }

    @Test("a workdir that is relative, the root, or climbs out is refused", arguments: ["testbed", "/", "/testbed/../etc", "/./x", "/a\nb"])
    func hostileWorkdirs(_ workdir: String) throws {
        let json = JSONValue.object(["image": "busybox", "workdir": .string(workdir)]).encoded()
        #expect {
            try parse(json)
        } throws: { error in
            "\(error)".contains("environment.workdir") && "\(error)".contains("is not a folder inside the image")
        }
    }

    @Test("an activation with a line break is refused: it is one shell line put before the tests")
    func activationWithLineBreak() throws {
        let json = JSONValue.object(["image": "busybox", "activate": "source /opt/conda/bin/activate testbed\nrm -rf /testbed"]).encoded()
        #expect {
            try parse(json)
        } throws: { error in
            "\(error)".contains("environment.activate") && "\(error)".contains("line break")
        }
        let fine = try parse(JSONValue.object(["image": "busybox", "activate": "source /opt/miniconda3/bin/activate testbed"]).encoded())
        #expect(fine.activate == "source /opt/miniconda3/bin/activate testbed")
    }

    @Test("a runtime asked about an image named like an option answers with the name's problem and never runs the program")
    func runtimeNeverRunsHostileName() async throws {
        // /bin/false as "docker": any run of it would answer exit 1 and not the name's problem.
        let runtime = ContainerRuntime(kind: .docker, executable: "/bin/false", environment: [:])
        let problem = try #require(await runtime.imageProblem("--privileged"))
        #expect(problem.contains("is not a container image name"))
    }

    @Test("a task whose image runtime is not installed, or whose daemon does not answer, gets an environment error that says what to do")
    func runtimeMissingOrDaemonDown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spec = EnvironmentSpec(image: "swebench/sweb.eval.x86_64.demo", workdir: "/testbed")
        let none = EnvironmentBuilder(
            cache: EnvironmentCache(root: directory.path), hostEnvironment: ["PATH": directory.path], containerRuntime: .podman)
        guard case .failure(let missing) = await none.containerEnvironment(spec) else {
            Issue.record("podman is not on this PATH")
            return
        }
        #expect(missing.message.contains("podman is not on PATH"))

        try #require(ContainerRuntime.named(.docker) != nil, "docker is installed by scripts/setup")
        var host = ProcessInfo.processInfo.environment
        host["DOCKER_HOST"] = "unix://\(directory.path)/no-daemon.sock"
        let down = EnvironmentBuilder(cache: EnvironmentCache(root: directory.path), hostEnvironment: host, containerRuntime: .docker)
        guard case .failure(let error) = await down.containerEnvironment(spec) else {
            Issue.record("no daemon listens on that socket")
            return
        }
        #expect(error.message.contains("the docker daemon does not answer"))
        #expect(error.message.contains("DOCKER_HOST"))
        #expect("\(error)".hasPrefix("environment_error: "))
    }
}
