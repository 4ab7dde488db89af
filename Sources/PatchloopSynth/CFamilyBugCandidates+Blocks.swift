import Foundation

/// The Swift and C operators that need brackets matched or span lines: `range_bound`,
/// `slice_bound`, `drop_else`, `drop_guard`, `swap_call_args`, `change_default` (Swift) and
/// `change_constant` (C). Each finds its spot in the masked bytes, so nothing inside a
/// string or comment is ever edited, and changes one function (or, for
/// `change_constant`, one constant).
extension CFamilyBugCandidates {
    /// Names that take `(` without being called: control flow and declarations.
    static let notCalls: Set<String> = [
        "if", "guard", "while", "for", "switch", "return", "catch", "case", "func", "init", "subscript", "sizeof", "defined",
        "_Alignof", "alignof", "typeof", "__attribute__", "do", "repeat", "in", "where",
    ]

    /// The candidates of the operators in this file but Swift's `change_default` (which
    /// `candidates(file:source:)` needs first, to keep `off_by_one` off those literals).
    static func blockCandidates(_ source: CFamilySource) -> [BugCandidate] {
        var found: [BugCandidate] = []
        found += dropElse(source)
        found += source.language == "swift" ? dropSwiftGuards(source) : dropCGuards(source)
        found += swapCallArguments(source)
        found += source.language == "swift" ? swiftRangeBounds(source) : cLoopBounds(source)
        if source.language == "c" { found += cConstants(source) }
        return found
    }

    // MARK: - drop_else

    /// An `else { … }` or `else if … { … }` branch after a `}`, removed up to its closing brace
    /// (`} else if a {…} else {…}` → `} else {…}`, and the `else` itself → `}`). An `else`
    /// without braces is left alone.
    static func dropElse(_ source: CFamilySource) -> [BugCandidate] {
        source.occurrences(of: "else").compactMap { keyword in
            guard source.inFunction(keyword), let brace = source.previousNonSpace(before: keyword), source.masked[brace] == UInt8(ascii: "}")
            else { return nil }
            let next = source.skippingSpace(from: keyword + 4)
            let body: Int?
            if source.has("{", at: next) {
                body = next
            } else if source.hasWord("if", at: next) {
                body = bodyBrace(source, after: next + 2)
            } else {
                body = nil
            }
            guard let body, let end = source.matching(body) else { return nil }
            return source.candidate("drop_else", function: source.functions[source.line(of: keyword)], edits: [((brace + 1)..<(end + 1), "")])
        }
    }

    /// The `{` that opens the body of an `if` or `guard` whose condition starts at `offset`: the
    /// first one outside parentheses; nil when a `;` comes first (a C body without braces).
    static func bodyBrace(_ source: CFamilySource, after offset: Int) -> Int? {
        var level = 0
        for index in offset..<source.masked.count {
            switch source.masked[index] {
            case UInt8(ascii: "("), UInt8(ascii: "["): level += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"): level -= 1
            case UInt8(ascii: "{") where level == 0: return index
            case UInt8(ascii: ";") where level == 0, UInt8(ascii: "}") where level == 0: return nil
            default: break
            }
        }
        return nil
    }

    // MARK: - drop_guard

    /// A whole `guard cond else { … }` statement removed, on lines of its own. A guard that binds
    /// names (`guard let`, `guard var`, `guard case`) is skipped: code after it uses them.
    static func dropSwiftGuards(_ source: CFamilySource) -> [BugCandidate] {
        source.occurrences(of: "guard").compactMap { keyword in
            guard source.inFunction(keyword), source.startsLine(keyword) else { return nil }
            var level = 0
            var elseKeyword: Int?
            for index in (keyword + 5)..<source.masked.count {
                let byte = source.masked[index]
                if byte == UInt8(ascii: "(") || byte == UInt8(ascii: "[") { level += 1 }
                if byte == UInt8(ascii: ")") || byte == UInt8(ascii: "]") { level -= 1 }
                if level == 0, byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") { break }
                if level == 0, source.hasWord("else", at: index) {
                    elseKeyword = index
                    break
                }
            }
            guard let elseKeyword else { return nil }
            let condition = source.text((keyword + 5)..<elseKeyword)
            if condition.contains("#") || ["let", "var", "case"].contains(where: { word in
                condition.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }).contains(Substring(word))
            }) {
                return nil
            }
            let open = source.skippingSpace(from: elseKeyword + 4)
            guard source.has("{", at: open), let close = source.matching(open), source.endsLine(close) else { return nil }
            let lines = source.lineStarts[source.line(of: keyword)]..<source.lineStarts[source.line(of: close) + 1]
            return source.candidate("drop_guard", function: source.functions[source.line(of: keyword)], edits: [(lines, "")])
        }
    }

    /// An `if (cond) return …;` or `if (cond) { return …; }` at the top level of a function body,
    /// without an `else`, removed: C's guard clause.
    static func dropCGuards(_ source: CFamilySource) -> [BugCandidate] {
        source.occurrences(of: "if").compactMap { keyword in
            guard source.inFunction(keyword), source.depth[keyword] == 1, source.startsLine(keyword) else { return nil }
            let open = source.skippingSpace(from: keyword + 2)
            guard source.has("(", at: open), let close = source.matching(open) else { return nil }
            var start = source.skippingSpace(from: close + 1)
            var statementEnd: Int
            var body: Range<Int>
            if source.has("{", at: start) {
                guard let brace = source.matching(start) else { return nil }
                statementEnd = brace
                body = source.trimmed((start + 1)..<brace)
            } else {
                guard let semicolon = source.nextTopLevel(UInt8(ascii: ";"), from: start) else { return nil }
                statementEnd = semicolon
                body = start..<(semicolon + 1)
            }
            start = body.lowerBound
            guard source.hasWord("return", at: start), body.count > 0, source.masked[body.upperBound - 1] == UInt8(ascii: ";"),
                source.text(body).filter({ $0 == ";" }).count == 1, !source.text(body).contains("{"),
                !source.hasWord("else", at: source.skippingSpace(from: statementEnd + 1)), source.endsLine(statementEnd)
            else { return nil }
            let lines = source.lineStarts[source.line(of: keyword)]..<source.lineStarts[source.line(of: statementEnd) + 1]
            return source.candidate("drop_guard", function: source.functions[source.line(of: keyword)], edits: [(lines, "")])
        }
    }

    // MARK: - swap_call_args

    /// The first two arguments of a call swapped (`f(a, b)` → `f(b, a)`), when both are plain
    /// expressions: not a label or a ternary (a `:` outside brackets), not a closure, not a
    /// pattern, not a bare string or character literal, not the same text, not an address
    /// (`&x`) with a value, and without a comment.
    static func swapCallArguments(_ source: CFamilySource) -> [BugCandidate] {
        source.masked.indices.compactMap { open in
            guard source.masked[open] == UInt8(ascii: "("), open > 0, CFamilySource.isIdentifier(source.masked[open - 1]), source.inFunction(open)
            else { return nil }
            var nameStart = open - 1
            while nameStart > 0, CFamilySource.isIdentifier(source.masked[nameStart - 1]) { nameStart -= 1 }
            let name = source.text(nameStart..<open)
            guard let initial = name.first, !initial.isNumber, !notCalls.contains(name) else { return nil }
            if nameStart > 0, [UInt8(ascii: "@"), UInt8(ascii: "#")].contains(source.masked[nameStart - 1]) { return nil }
            if let before = source.previousNonSpace(before: nameStart), source.hasWord("func", at: before - 3) { return nil }
            guard let close = source.matching(open) else { return nil }
            let arguments = source.split((open + 1)..<close, at: UInt8(ascii: ",")).map(source.trimmed)
            guard arguments.count >= 2 else { return nil }
            let (a, b) = (arguments[0], arguments[1])
            for argument in [a, b] {
                let text = source.text(argument)
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || text.contains("{") || source.containsAtTopLevel(UInt8(ascii: ":"), in: argument)
                    || ["let", "var", "inout"].contains(where: { source.hasWord($0, at: argument.lowerBound) })
                {
                    return nil
                }
            }
            // An address and a value (`f(&x, n)`) swapped would not build: not worth a build. An
            // argument with a comment in it (`b // why`) could comment out what is moved after it.
            let (first, second) = (source.originalText(a), source.originalText(b))
            guard first != second, source.has("&", at: a.lowerBound) == source.has("&", at: b.lowerBound),
                ![first, second].contains(where: { $0.contains("//") || $0.contains("/*") })
            else { return nil }
            return source.candidate(
                "swap_call_args", function: source.functions[source.line(of: open)],
                edits: [(a, second), (b, first)])
        }
    }

    // MARK: - range_bound and slice_bound

    /// Swift ranges: `a..<b` ↔ `a...b`; `a..<b` → `a..<b - 1` when `b` is a name; a stride's
    /// `to:` ↔ `through:`; and `x[..<n]` ↔ `x[...n]` (`slice_bound`). A literal bound is
    /// `off_by_one`'s.
    static func swiftRangeBounds(_ source: CFamilySource) -> [BugCandidate] {
        var found: [BugCandidate] = []
        let masked = source.masked
        for index in masked.indices where source.has("..<", at: index) || source.has("...", at: index) {
            guard index > 0, index + 3 < masked.count, masked[index - 1] != UInt8(ascii: "."), masked[index + 3] != UInt8(ascii: "."),
                source.inFunction(index)
            else { continue }
            let function = source.functions[source.line(of: index)]
            let closed = source.has("...", at: index)
            let (left, right) = (masked[index - 1], masked[index + 3])
            let operandAfter = CFamilySource.isIdentifier(right) || right == UInt8(ascii: "(")
            let operandBefore = CFamilySource.isIdentifier(left) || left == UInt8(ascii: ")") || left == UInt8(ascii: "]")
            let spaced = left == UInt8(ascii: " ") && right == UInt8(ascii: " ")
            if (operandBefore && operandAfter) || (spaced && source.previousNonSpace(before: index).map { !"([,=".utf8.contains(masked[$0]) } == true) {
                found += source.candidate("range_bound", function: function, edits: [(index..<(index + 3), closed ? "..<" : "...")]).map { [$0] } ?? []
                // The upper bound − 1, when it is a name (`n`, `items.count`) that ends the range.
                guard !closed else { continue }
                let start = source.skippingSpace(from: index + 3)
                var end = start
                while end < masked.count, CFamilySource.isIdentifier(masked[end]) || masked[end] == UInt8(ascii: ".") { end += 1 }
                guard end > start, !(masked[start] >= UInt8(ascii: "0") && masked[start] <= UInt8(ascii: "9")),
                    masked[end - 1] != UInt8(ascii: "."), end < masked.count
                else { continue }
                var after = end
                while after < masked.count, masked[after] == UInt8(ascii: " ") || masked[after] == UInt8(ascii: "\t") { after += 1 }
                if after < masked.count, ")]{,:\n".utf8.contains(masked[after]) || source.hasWord("where", at: after) {
                    found += source.candidate("range_bound", function: function, edits: [(end..<end, " - 1")]).map { [$0] } ?? []
                }
            } else if left == UInt8(ascii: "["), operandAfter {
                found += source.candidate("slice_bound", function: function, edits: [(index..<(index + 3), closed ? "..<" : "...")]).map { [$0] } ?? []
            }
        }
        for keyword in source.occurrences(of: "stride") where source.has("(", at: keyword + 6) && source.inFunction(keyword) {
            guard let close = source.matching(keyword + 6) else { continue }
            for argument in source.split((keyword + 7)..<close, at: UInt8(ascii: ",")).map(source.trimmed) {
                let label = source.hasWord("to", at: argument.lowerBound) ? "to" : source.hasWord("through", at: argument.lowerBound) ? "through" : nil
                guard let label, source.has(label + ":", at: argument.lowerBound) else { continue }
                let edit = (argument.lowerBound..<(argument.lowerBound + label.utf8.count), label == "to" ? "through" : "to")
                found += source.candidate("range_bound", function: source.functions[source.line(of: keyword)], edits: [edit]).map { [$0] } ?? []
            }
        }
        return found
    }

    /// C `for (init; i < n; step)` loops: the bound moved by one (`i < n` → `i < n - 1`,
    /// `i >= lo` → `i >= lo + 1`) and the start moved up by one (`i = lo` → `i = lo + 1`),
    /// when the condition is one comparison and the value is not a literal (`off_by_one`'s).
    static func cLoopBounds(_ source: CFamilySource) -> [BugCandidate] {
        var found: [BugCandidate] = []
        for keyword in source.occurrences(of: "for") where source.inFunction(keyword) {
            let open = source.skippingSpace(from: keyword + 3)
            guard source.has("(", at: open), let close = source.matching(open) else { continue }
            let parts = source.split((open + 1)..<close, at: UInt8(ascii: ";"))
            guard parts.count == 3 else { continue }
            let function = source.functions[source.line(of: keyword)]
            func isLiteral(_ range: Range<Int>) -> Bool { source.text(range).wholeMatch(of: /-?[0-9]+[uUlL]*/) != nil }
            let condition = source.text(parts[1])
            let comparisons = [" < ", " <= ", " > ", " >= ", " != "].filter { condition.contains($0) }
            if comparisons.count == 1, let comparison = comparisons.first, condition.components(separatedBy: comparison).count == 2,
                !["&&", "||", "?", ","].contains(where: condition.contains),
                let range = condition.range(of: comparison)
            {
                let valueStart = parts[1].lowerBound + condition.utf8.distance(from: condition.startIndex, to: range.upperBound)
                let value = source.trimmed(valueStart..<parts[1].upperBound)
                if !value.isEmpty, !isLiteral(value) {
                    let shift = comparison == " > " || comparison == " >= " ? " + 1" : " - 1"
                    found += source.candidate("range_bound", function: function, edits: [(value.upperBound..<value.upperBound, shift)]).map { [$0] } ?? []
                }
            }
            // The start: the value after the only `=` of the first clause.
            let start = source.text(parts[0])
            let equals = start.utf8.indices.filter { start.utf8[$0] == UInt8(ascii: "=") }
            if equals.count == 1, !start.contains(","), let equal = equals.first {
                let valueStart = parts[0].lowerBound + start.utf8.distance(from: start.startIndex, to: equal) + 1
                let value = source.trimmed(valueStart..<parts[0].upperBound)
                let compound = equal > start.utf8.startIndex && "=!<>+-*/%&|^".utf8.contains(start.utf8[start.utf8.index(before: equal)])
                if !value.isEmpty, !isLiteral(value), !compound {
                    found += source.candidate("range_bound", function: function, edits: [(value.upperBound..<value.upperBound, " + 1")]).map { [$0] } ?? []
                }
            }
        }
        return found
    }

    // MARK: - change_default and change_constant

    /// Swift parameter defaults: an integer literal + 1 (`count: Int = 3` → `4`), `true` ↔
    /// `false`; `nil`, strings and other expressions are left alone. Also the offsets of those
    /// literals, which `off_by_one` leaves to this operator.
    static func swiftDefaults(_ source: CFamilySource) -> (candidates: [BugCandidate], literals: Set<Int>) {
        var found: [BugCandidate] = []
        var literals = Set<Int>()
        let length = 4  // `func` and `init`
        for keyword in (source.occurrences(of: "func") + source.occurrences(of: "init")).sorted() {
            let isInit = source.has("init", at: keyword)
            if isInit, keyword > 0, source.masked[keyword - 1] == UInt8(ascii: ".") { continue }
            // The parameter list: the first `(` after the keyword and the name (or `init?`, `init<T>`).
            var open = keyword + length
            while open < source.masked.count, !"({};=\n".utf8.contains(source.masked[open]) { open += 1 }
            guard source.has("(", at: open), let close = source.matching(open) else { continue }
            var name = "init"
            if !isInit {
                let nameStart = source.skippingSpace(from: keyword + length)
                var nameEnd = nameStart
                while nameEnd < open, !CFamilySource.isSpace(source.masked[nameEnd]), source.masked[nameEnd] != UInt8(ascii: "<") { nameEnd += 1 }
                name = source.text(nameStart..<nameEnd)
            }
            for parameter in source.split((open + 1)..<close, at: UInt8(ascii: ",")) {
                let text = source.text(parameter)
                let bytes = Array(text.utf8)
                // The default's `=`: alone, not part of `==`, `!=`, `<=`, `>=`.
                guard let equal = bytes.indices.first(where: { index in
                    bytes[index] == UInt8(ascii: "=") && (index + 1 == bytes.count || bytes[index + 1] != UInt8(ascii: "="))
                        && (index == 0 || !"=!<>".utf8.contains(bytes[index - 1]))
                }) else { continue }
                let value = source.trimmed((parameter.lowerBound + equal + 1)..<parameter.upperBound)
                let literal = source.text(value)
                let replacement: String
                if literal == "true" || literal == "false" {
                    replacement = literal == "true" ? "false" : "true"
                } else if literal.wholeMatch(of: /-?[0-9]+/) != nil, let number = Int(literal) {
                    replacement = String(number + 1)
                    literals.formUnion(value)
                } else {
                    continue
                }
                found += source.candidate("change_default", function: name, edits: [(value, replacement)]).map { [$0] } ?? []
            }
        }
        return (found, literals)
    }

    /// C has no default values; its nearest kin is a named constant: `#define NAME 16` or a
    /// file-level `static const int NAME = 16;` (`change_constant`, counted under the
    /// constant's name), ±1 as `off_by_one` moves a literal.
    static func cConstants(_ source: CFamilySource) -> [BugCandidate] {
        var found: [BugCandidate] = []
        for (index, line) in source.lines.enumerated() {
            let start = source.lineStarts[index]
            // The constant's name and value, from the line (a `#define`, which masking blanks) or
            // from its masked copy (a declaration, comments blanked); both keep every byte's place.
            let match: (name: Substring, value: Substring, in: String)?
            let masked = source.text(start..<(source.lineStarts[index + 1] - 1))
            if let define = line.wholeMatch(of: /\s*#\s*define\s+([A-Za-z_]\w*)\s+\(?(-?[0-9]+)[uUlL]*\)?\s*(?:\/\/.*|\/\*.*\*\/\s*)?/) {
                match = (define.output.1, define.output.2, line)
            } else if source.depth[start] == 0,
                let constant = masked.wholeMatch(of: /\s*((?:[A-Za-z_]\w*\s+)+)([A-Za-z_]\w*)\s*=\s*(-?[0-9]+)[uUlL]*\s*;\s*/),
                constant.output.1.split(whereSeparator: \.isWhitespace).contains("const")
            {
                match = (constant.output.2, constant.output.3, masked)
            } else {
                match = nil
            }
            guard let match, let number = Int(match.value) else { continue }
            let offset = start + match.in.utf8.distance(from: match.in.startIndex, to: match.value.startIndex)
            let range = offset..<(offset + match.value.utf8.count)
            for shifted in number > 0 ? [number + 1, number - 1] : [number + 1] {
                found += source.candidate("change_constant", function: String(match.name), edits: [(range, String(shifted))]).map { [$0] } ?? []
            }
        }
        return found
    }
}
