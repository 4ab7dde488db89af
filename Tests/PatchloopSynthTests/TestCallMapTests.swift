import Foundation
import Testing

@testable import PatchloopSynth

@Suite("the call map recorded at HEAD")
struct TestCallMapTests {
    @Test("a function's tests, no test, or unknown: outside tests, an unseen file, or a lost hook")
    func answers() throws {
        let document = """
            {"complete": true,
             "tests": {"tests/test_a.py::test_one": ["lib/a.py::f", "lib/a.py::g"], "tests/test_a.py::test_two": ["lib/a.py::f"]},
             "outside": ["lib/a.py::<module>", "lib/a.py::decorate"],
             "durations": {"tests/test_a.py::test_one": 0.5}}
            """
        let map = try #require(TestCallMap.read(Data(document.utf8)))
        #expect(map.tests(calling: "f", in: "lib/a.py") == .tests(["tests/test_a.py::test_one", "tests/test_a.py::test_two"]))
        #expect(map.tests(calling: "g", in: "lib/a.py") == .tests(["tests/test_a.py::test_one"]))
        #expect(map.tests(calling: "h", in: "lib/a.py") == .uncalled)
        #expect(map.tests(calling: "decorate", in: "lib/a.py") == .unknown, "called at import: any test may depend on it")
        #expect(map.tests(calling: "f", in: "lib/b.py") == .unknown, "a file the map never saw (imported from elsewhere)")
        #expect(map.durations["tests/test_a.py::test_one"] == 0.5)
        let lost = document.replacingOccurrences(of: "\"complete\": true", with: "\"complete\": false")
        #expect(TestCallMap.read(Data(lost.utf8)) == nil, "a test replaced the trace function: the map may miss calls")
        #expect(TestCallMap.read(Data("not json".utf8)) == nil)
    }
}
