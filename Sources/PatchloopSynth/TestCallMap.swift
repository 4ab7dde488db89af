import Foundation
import PatchloopCore

/// Which tests call which functions, recorded once at HEAD by a small pytest plugin (a
/// `sys.settrace` hook that only looks at function entries, so the suite runs about as
/// fast as without it). A candidate then runs only the tests that call its function; one
/// that no test calls is dropped without running anything.
public struct TestCallMap: Sendable {
    /// `file::function` (file relative to the repository root) → the tests that called it.
    var testsByFunction: [String: Set<String>]
    /// Functions called outside any test (at import, during collection, in a session
    /// fixture): a bug there can change any test, so only the full suite tells.
    var calledOutsideTests: Set<String>
    /// Files with at least one function call seen: for other files the map knows nothing
    /// (the package may be imported from elsewhere), so the full suite runs.
    var filesSeen: Set<String>
    /// Seconds each test took at HEAD (setup, call and teardown).
    public var durations: [String: Double]

    /// What the map tells about one function.
    public enum Answer: Sendable, Equatable {
        /// These tests call it; no other test can notice a change inside it.
        case tests([String])
        /// No test calls it: a bug there breaks nothing.
        case uncalled
        /// Only the full suite can tell.
        case unknown
    }

    public func tests(calling function: String, in file: String) -> Answer {
        let key = file + "::" + function
        guard filesSeen.contains(file), !calledOutsideTests.contains(key) else { return .unknown }
        guard let tests = testsByFunction[key], !tests.isEmpty else { return .uncalled }
        return .tests(tests.sorted())
    }

    /// Reads the plugin's output; nil when it is missing, unreadable, or the plugin lost its
    /// hook (a test set its own trace function, so calls after that were not seen).
    public static func read(_ data: Data) -> TestCallMap? {
        guard let document = try? JSONValue.parse(data), document["complete"]?.boolValue == true,
            case .object(let tests)? = document["tests"]
        else { return nil }
        var byFunction: [String: Set<String>] = [:]
        var files = Set<String>()
        for (test, keys) in tests {
            for key in keys.arrayValue ?? [] {
                guard let key = key.stringValue, let separator = key.range(of: "::") else { continue }
                byFunction[key, default: []].insert(test)
                files.insert(String(key[..<separator.lowerBound]))
            }
        }
        var outside = Set<String>()
        for key in document["outside"]?.arrayValue ?? [] {
            guard let key = key.stringValue, let separator = key.range(of: "::") else { continue }
            outside.insert(key)
            files.insert(String(key[..<separator.lowerBound]))
        }
        var durations: [String: Double] = [:]
        if case .object(let seconds)? = document["durations"] {
            for (test, value) in seconds { durations[test] = value.doubleValue }
        }
        return TestCallMap(testsByFunction: byFunction, calledOutsideTests: outside, filesSeen: files, durations: durations)
    }

    /// The folder (inside the baseline worktree) the plugin is written to and writes its map in.
    static let folder = ".patchloop-synth-callmap"
    static let moduleName = "patchloop_synth_callmap"

    /// Environment that loads the plugin into any pytest run of the suite command.
    static func environment(worktree: String, base: [String: String]) -> [String: String] {
        var environment = base
        let folder = worktree + "/" + TestCallMap.folder
        environment["PYTHONPATH"] = [folder, base["PYTHONPATH"]].compactMap { $0 }.joined(separator: ":")
        environment["PYTEST_ADDOPTS"] = [base["PYTEST_ADDOPTS"], "-p " + moduleName].compactMap { $0 }.joined(separator: " ")
        environment["PATCHLOOP_SYNTH_CALLMAP"] = folder + "/map.json"
        return environment
    }

    /// The plugin. Only `call` events of the global trace function, which returns None so
    /// no line is traced; code objects are looked up once.
    static let plugin = #"""
# Patchloop task synthesis: records which tests call which functions of the repository.
import json, os, sys, threading, time
import pytest

_root = os.path.abspath(os.getcwd()) + os.sep
_current = None
_calls = {}
_outside = set()
_keys = {}
_durations = {}
_complete = True


def _trace(frame, event, arg):
    code = frame.f_code
    key = _keys.get(code, 0)
    if key == 0:
        path = os.path.abspath(code.co_filename)
        key = path[len(_root):] + "::" + code.co_name if path.startswith(_root) else None
        _keys[code] = key
    if key is not None:
        if _current is None:
            _outside.add(key)
        else:
            _calls[_current].add(key)
    return None


def pytest_configure(config):
    sys.settrace(_trace)
    threading.settrace(_trace)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _current, _complete
    _current = item.nodeid
    _calls.setdefault(_current, set())
    started = time.perf_counter()
    yield
    _durations[item.nodeid] = time.perf_counter() - started
    _current = None
    if sys.gettrace() is not _trace:
        _complete = False
        sys.settrace(_trace)


def pytest_unconfigure(config):
    sys.settrace(None)
    document = {"complete": _complete, "tests": {test: sorted(keys) for test, keys in _calls.items()},
                "outside": sorted(_outside), "durations": _durations}
    with open(os.environ["PATCHLOOP_SYNTH_CALLMAP"], "w") as handle:
        json.dump(document, handle)
"""#
}
