import Foundation
import PatchloopCore
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("round-trips escapes, unicode, numbers and nesting; keys are sorted")
    func roundTrip() throws {
        let value: JSONValue = [
            "text": "quote \" backslash \\ newline \n tab \t bell \u{07} line-sep \u{2028} emoji 🙂 é",
            "numbers": [0, -1, 3.5, 1e21, 12345678901234],
            "flags": [true, false, nil],
            "nested": ["b": [1, ["c": "d"]], "a": [:]],
        ]
        let text = value.encoded()
        #expect(text.hasPrefix(#"{"flags":[true,false,null],"nested":{"a":{},"b":[1,{"c":"d"}]},"numbers":[0,-1,3.5"#))
        #expect(text.contains(#"quote \" backslash \\ newline \n tab \t bell \u0007 line-sep \u2028 emoji 🙂 é"#))
        #expect(try JSONValue.parse(text) == value)
        #expect(try JSONValue.parse(value.prettyEncoded()) == value)
        #expect(try JSONValue.parse(#""\ud83d\ude42 \u00e9""#) == "🙂 é")
        #expect(try JSONValue.parse("true") == .bool(true))
        #expect(try JSONValue.parse("1").boolValue == nil)
    }

    @Test("bad JSON is an error with its line and column", arguments: [
        ("{\"a\": 1,\n  \"b\": }", "line 2, column 8"), ("[1, 2", "unexpected end"), ("{\"a\" 1}", "expected ':'"),
        ("\"unterminated", "unterminated string"), ("01", "unexpected text after"), ("{\"a\": tru}", "invalid literal"),
        ("\"tab\there\"", "control character"),
    ])
    func errors(text: String, message: String) {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}

@Suite("UnifiedDiff")
struct UnifiedDiffTests {
    @Test("reads files, hunks, new and deleted files, and missing final newlines")
    func parses() {
        let diff = """
            diff --git a/src/a.py b/src/a.py
            index 1..2 100644
            --- a/src/a.py
            +++ b/src/a.py
            @@ -1,3 +1,3 @@
             def f():
            -    return 1
            +    return 2
             # end
            diff --git a/new.txt b/new.txt
            new file mode 100644
            --- /dev/null
            +++ b/new.txt
            @@ -0,0 +1 @@
            +hello
            \\ No newline at end of file
            diff --git a/old.txt b/old.txt
            deleted file mode 100644
            --- a/old.txt
            +++ /dev/null
            @@ -1 +0,0 @@
            -bye

            """
        let parsed = UnifiedDiff.parse(diff)
        #expect(parsed.files.map(\.path) == ["src/a.py", "new.txt", "old.txt"])
        #expect(parsed.files[0].hunks[0].oldText == "def f():\n    return 1\n# end\n")
        #expect(parsed.files[0].hunks[0].newText == "def f():\n    return 2\n# end\n")
        #expect(parsed.files[1].oldPath == nil)
        #expect(parsed.files[1].hunks[0].newText == "hello")
        #expect(parsed.files[2].newPath == nil)
        #expect(parsed.touchedPaths == ["src/a.py", "new.txt", "old.txt"])
    }
}
