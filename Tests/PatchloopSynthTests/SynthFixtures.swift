import Foundation
import PatchloopTesting

/// A small real Python library with a pytest suite, for synthesis tests.
enum SynthFixtures {
    static let library = """
        \"\"\"Small helpers: numbers and words.\"\"\"


        def clamp(value, low, high):
            # keep value within low <= value <= high and not outside
            if value < low:
                return low
            if value > high:
                return high
            return value


        def wrap_words(text, width):
            lines, current = [], ""
            for word in text.split(" "):
                if current and len(current) + 1 + len(word) > width:
                    lines.append(current)
                    current = word
                else:
                    current = word if not current else current + " " + word
            if current:
                lines.append(current)
            return lines


        def scaled(value, factor):
            return value * factor


        def describe(value):
            return "small < big and or" if value == 0 else "other"

        """

    static let tests = """
        from mylib.core import clamp, wrap_words, scaled


        def test_clamp_inside():
            assert clamp(5, 0, 10) == 5


        def test_clamp_low():
            assert clamp(-3, 0, 10) == 0


        def test_clamp_high():
            assert clamp(12, 0, 10) == 10


        def test_wrap_words():
            assert wrap_words("abc def ghi", 7) == ["abc def", "ghi"]


        def test_scaled():
            assert scaled(3, 2) == 6

        """

    /// Passes on the first run in a folder and fails on the second: flaky by construction.
    static let flaky = """
        import os


        def test_flaky():
            seen = os.path.exists(".flaky-marker")
            open(".flaky-marker", "w").close()
            assert not seen

        """

    static let files: [String: String] = [
        "mylib/__init__.py": "",
        "mylib/core.py": library,
        "tests/test_core.py": tests,
        "tests/test_flaky.py": flaky,
        "pytest.ini": "[pytest]\npythonpath = .\n",
        ".gitignore": "__pycache__/\n.flaky-marker\n",
    ]

    static let testCommand = "python3 -m pytest -rA -p no:cacheprovider"

}
