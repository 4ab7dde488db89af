import Foundation

/// The HTML around a report's data: one file, no network. A Content-Security-Policy
/// allows no source at all but the page's own style and script (by nonce), so even
/// markup that slipped into the page could neither run nor load anything.
enum ReportPage {
    /// The document up to the data blocks.
    static func opening(title: String, nonce: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-\(nonce)'; script-src 'nonce-\(nonce)'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="patchloop report">
        <title>\(escape(title))</title>
        <style nonce="\(nonce)">\(style)</style>
        </head>
        <body>
        <header><h1>Patchloop report</h1><span class="subtitle">\(escape(title.replacingOccurrences(of: "Patchloop report · ", with: "")))</span>
        <nav><a href="#overview" data-nav="overview">Overview</a><a href="#attempts" data-nav="attempts">Attempts</a></nav></header>
        <main id="app"><noscript>This report is drawn by its own script: open it in a browser with JavaScript on.</noscript></main>

        """
    }

    /// The document after the data blocks.
    static func closing(nonce: String) -> String {
        "<script nonce=\"\(nonce)\">\n\(script)</script>\n</body>\n</html>\n"
    }

    /// Text for HTML element content or a quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    static let style = """
        :root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --soft: #f6f8fa; --accent: #0969da; --pass: #1a7f37; --fail: #cf222e; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #eef1f4; }
        header { display: flex; align-items: baseline; gap: 16px; padding: 10px 24px; background: #24292f; color: #fff; position: sticky; top: 0; z-index: 2; }
        header h1 { font-size: 17px; margin: 0; }
        header .subtitle { color: #b7bfc7; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1; }
        header nav a { color: #d0d7de; margin-left: 16px; text-decoration: none; font-weight: 600; }
        header nav a.current { color: #fff; border-bottom: 2px solid #fff; }
        main { padding: 16px 24px; max-width: 1500px; margin: 0 auto; }
        a { color: var(--accent); }
        h2 { font-size: 18px; margin: 0 0 6px; word-break: break-all; }
        h3 { font-size: 14px; margin: 0 0 8px; }
        h4 { font-size: 13px; margin: 10px 0 4px; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
        .runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
        .model { color: var(--muted); margin: 0 0 10px; word-break: break-all; }
        .model .path { display: block; font-size: 12px; }
        .stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(112px, 1fr)); gap: 8px; margin-bottom: 14px; }
        .stat { background: var(--soft); border-radius: 6px; padding: 8px 10px; }
        .stat-value { font-size: 20px; font-weight: 600; }
        .stat-label { color: var(--muted); font-size: 12px; }
        .stat-note { color: var(--muted); font-size: 11px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 14px 20px; }
        .bars { display: flex; flex-direction: column; gap: 3px; }
        .bar-row { display: grid; grid-template-columns: 150px 1fr 56px; gap: 6px; align-items: center; color: inherit; text-decoration: none; font-size: 12px; }
        .bar-row:hover { background: var(--soft); }
        .bar-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .bar-track { background: var(--soft); height: 12px; border-radius: 3px; }
        .bar-fill { display: block; height: 100%; border-radius: 3px; min-width: 2px; }
        .bar-value { text-align: right; font-variant-numeric: tabular-nums; }
        .histogram { display: flex; align-items: stretch; gap: 2px; height: 120px; }
        .column { flex: 1; display: flex; flex-direction: column; min-width: 0; font-size: 10px; color: var(--muted); text-align: center; }
        .column-track { flex: 1; display: flex; align-items: flex-end; background: var(--soft); }
        .column-fill { display: block; width: 100%; background: #57606a; min-height: 0; }
        .column-label, .column-count { height: 14px; white-space: nowrap; overflow: visible; }
        .warning { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 6px 10px; }
        .empty, .note { color: var(--muted); }
        table.grid { border-collapse: collapse; width: 100%; font-size: 13px; }
        table.grid th, table.grid td { border-bottom: 1px solid #eaeef2; padding: 5px 8px; text-align: left; vertical-align: top; }
        table.grid th { background: var(--soft); position: sticky; top: 41px; cursor: default; white-space: nowrap; }
        table.grid th[data-sort] { cursor: pointer; }
        table.grid th.sorted.asc::after { content: " ▲"; }
        table.grid th.sorted.desc::after { content: " ▼"; }
        table.grid .numeric { text-align: right; font-variant-numeric: tabular-nums; }
        table.grid tr.row { cursor: pointer; }
        table.grid tr.row:hover { background: #f3f8ff; }
        table.grid td.task { word-break: break-all; }
        table.grid td.evidence { max-width: 520px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--muted); }
        tr.totals th { font-weight: normal; color: var(--muted); }
        tr.differs td.task { font-weight: 600; }
        tr.differs { background: #fffbea; }
        .pass { color: var(--pass); }
        .fail { color: var(--fail); }
        .mark { text-decoration: none; font-weight: 700; margin-right: 2px; }
        .cell-category, .fraction { color: var(--muted); font-size: 12px; }
        .chip { display: inline-block; color: #fff; border-radius: 10px; padding: 0 8px; font-size: 12px; white-space: nowrap; }
        .controls { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
        .controls select, .controls input { font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 6px; }
        .controls input[name=q] { flex: 1; min-width: 240px; }
        #shown-count { color: var(--muted); display: block; margin-bottom: 6px; }
        .toggle { display: block; margin-bottom: 8px; color: var(--muted); }
        .pager { display: flex; gap: 18px; margin-bottom: 10px; }
        .facts { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; margin-bottom: 6px; }
        .evidence { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; margin: 4px 0; }
        pre { font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; margin: 4px 0; background: var(--soft); border-radius: 6px; padding: 8px 10px; }
        details > summary { cursor: pointer; font-weight: 600; }
        .step { border-top: 1px solid var(--line); padding: 10px 0 6px; scroll-margin-top: 50px; }
        .step.target { outline: 3px solid var(--accent); outline-offset: 4px; border-radius: 4px; }
        .step-head { display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; margin-bottom: 4px; }
        .step-link { font-weight: 700; text-decoration: none; }
        .step-info { color: var(--muted); font-size: 12px; }
        pre.assistant { background: #eef6ff; }
        .call { border-left: 3px solid #8c959f; padding-left: 10px; margin: 8px 0; }
        .call.failed { border-left-color: var(--fail); }
        .call-head { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
        .tool { font-weight: 700; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
        .argument .key, .arguments .path { color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
        .argument code { font-size: 12px; word-break: break-all; }
        pre.observation { background: #fff; border: 1px solid #eaeef2; }
        pre.observation.error { border-color: #ffcecb; background: #fff6f5; }
        .badge { font-size: 11px; border-radius: 10px; padding: 0 7px; background: var(--soft); border: 1px solid var(--line); color: var(--muted); }
        .badge.error { background: #ffebe9; border-color: #ffcecb; color: var(--fail); }
        .badge.elided, .badge.compacted { background: #fff8c5; border-color: #d4a72c; color: #7d4e00; }
        .tests-badge { font-size: 12px; font-weight: 600; border-radius: 10px; padding: 0 8px; }
        .tests-badge.pass { background: #dafbe1; }
        .tests-badge.fail { background: #ffebe9; }
        .marker { border-radius: 6px; padding: 6px 10px; margin: 8px 0; }
        .marker.compaction { background: #fff8c5; border: 1px dashed #d4a72c; }
        .marker.model-error { background: #ffebe9; border: 1px solid #ffcecb; }
        .feedback .note { font-size: 12px; }
        button.unfold { font: inherit; font-size: 12px; border: 1px solid var(--line); background: #fff; border-radius: 6px; padding: 2px 8px; cursor: pointer; }
        pre.diff { padding: 0; overflow: hidden; }
        pre.diff .line { display: block; padding: 0 10px; }
        pre.diff .add { background: #e6ffec; color: #116329; }
        pre.diff .del { background: #ffebe9; color: #82071e; }
        pre.diff .hunk { background: #ddf4ff; color: #0550ae; }
        pre.diff .meta { font-weight: 700; color: var(--muted); }
        ul.tests { list-style: none; padding: 0; margin: 0; font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; }
        """
}
