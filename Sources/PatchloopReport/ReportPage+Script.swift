extension ReportPage {
    /// The page's program. It reads the data blocks and builds every view with DOM calls;
    /// text from a run only ever becomes a text node (`textContent`, `append(string)`),
    /// never markup — no `innerHTML` anywhere.
    ///
    /// Views, chosen by the URL's fragment:
    /// - `#overview` (or none): per run, the numbers, the failure taxonomy, the
    ///   distributions; then the runs side by side per task;
    /// - `#attempts?category=…&resolved=yes|no&task=…&q=…&run=N&sort=KEY&dir=asc|desc`: the
    ///   table, filtered and sorted (the controls keep the fragment up to date, so a
    ///   filtered table is a link too);
    /// - `#<instance>/<attempt>[~<run>]/<step>`: one attempt's trajectory, scrolled to the step
    ///   (`~<run>` names the 1-based run for the second and later runs of a comparison).
    ///
    /// When it has rendered, `<body>` carries `data-view` and `data-render-ms` (milliseconds
    /// from navigation start), which the browser tests and the size benchmark read.
    static let script = #"""
'use strict';
(function () {
  const started = performance.now();
  const DATA = JSON.parse(document.getElementById('report-data').textContent);
  const RUNS = DATA.runs;
  const ATTEMPTS = DATA.attempts;
  const MULTI = RUNS.length > 1;
  const app = document.getElementById('app');
  ATTEMPTS.forEach(function (a, index) { a.index = index; });

  // ---- DOM: text always enters as text nodes.
  function h(tag, attributes) {
    const element = document.createElement(tag);
    if (attributes) {
      for (const name of Object.keys(attributes)) {
        const value = attributes[name];
        if (value === null || value === undefined || value === false) continue;
        if (name === 'class') element.className = value;
        else if (name.slice(0, 2) === 'on') element.addEventListener(name.slice(2), value);
        else element.setAttribute(name, value === true ? '' : String(value));
      }
    }
    for (let i = 2; i < arguments.length; i++) add(element, arguments[i]);
    return element;
  }
  function add(element, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(element, c); }); return; }
    element.append(child instanceof Node ? child : String(child));
  }

  // ---- Numbers.
  const numberFormat = new Intl.NumberFormat('en-US');
  function int(n) { return numberFormat.format(Math.round(n || 0)); }
  function tokens(n) {
    n = n || 0;
    if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + 'M';
    if (n >= 1e4) return Math.round(n / 1e3) + 'k';
    return int(n);
  }
  function money(x) {
    if (x === null || x === undefined) return '—';
    return '$' + (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(4));
  }
  function seconds(s) {
    s = s || 0;
    if (s >= 3600) return Math.floor(s / 3600) + 'h' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
    if (s >= 60) return Math.floor(s / 60) + 'm' + String(Math.round(s % 60)).padStart(2, '0') + 's';
    return s.toFixed(1) + ' s';
  }
  function percent(x) { return (100 * (x || 0)).toFixed(1) + '%'; }
  function plural(n, word, words) { return int(n) + ' ' + (n === 1 ? word : words || word + 's'); }

  // ---- Categories and their colours.
  const COLOURS = {
    resolved: '#2e7d32', test_failure: '#e53935', regression: '#d81b60', syntax_error: '#8e24aa',
    patch_apply_error: '#5e35b1', timeout: '#f4511e', empty_patch: '#9e9e9e', stuck: '#6d4c41',
    format_errors: '#00897b', context_exhausted: '#3949ab', model_error: '#546e7a', infra_error: '#37474f', environment_error: '#6d4c41'
  };
  function colour(category) {
    if (COLOURS[category]) return COLOURS[category];
    if (category.indexOf('budget_exhausted') === 0) return '#fb8c00';
    let hash = 0;
    for (let i = 0; i < category.length; i++) hash = (hash * 31 + category.charCodeAt(i)) | 0;
    return 'hsl(' + (Math.abs(hash) % 360) + ', 45%, 45%)';
  }
  function chip(category, extra) {
    const element = h('span', { class: 'chip', 'data-category': category }, category);
    element.style.background = colour(category);
    if (extra) element.title = extra;
    return element;
  }

  // ---- Links: #<instance>/<attempt>[~<run>]/<step>.
  function attemptPart(a) { return a.n + (a.run ? '~' + (a.run + 1) : ''); }
  function link(a, step) {
    return '#' + encodeURIComponent(a.id) + '/' + attemptPart(a) + (step === undefined || step === null ? '' : '/' + step);
  }
  function runName(index) {
    const run = RUNS[index];
    return MULTI ? (index + 1) + ' · ' + run.label : run.label;
  }

  // ---- Per-attempt data: zlib-compressed JSON in base64, inflated when first opened.
  const details = new Map();
  function detail(a) {
    if (details.has(a.index)) return details.get(a.index);
    const block = document.getElementById(a.blob);
    if (!block) throw new Error('the report holds no data block ' + a.blob);
    const binary = atob(block.textContent.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const value = JSON.parse(new TextDecoder().decode(inflate(bytes, 2)));
    details.set(a.index, value);
    return value;
  }

  // RFC 1951 inflate (after the zlib format's two-byte header), after Mark Adler's puff.c:
  // synchronous, so a view is complete as soon as it is built.
  const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
  const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  const DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
    4097, 6145, 8193, 12289, 16385, 24577];
  const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
  const CODE_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  function huffman(lengths) {
    const counts = new Uint16Array(16), offsets = new Uint16Array(16), symbols = new Uint16Array(lengths.length);
    for (let i = 0; i < lengths.length; i++) counts[lengths[i]]++;
    counts[0] = 0;
    for (let i = 1; i < 16; i++) offsets[i] = offsets[i - 1] + counts[i - 1];
    for (let i = 0; i < lengths.length; i++) if (lengths[i]) symbols[offsets[lengths[i]]++] = i;
    return { counts: counts, symbols: symbols };
  }
  const FIXED = (function () {
    const lengths = new Uint8Array(288);
    for (let i = 0; i < 288; i++) lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    return { literals: huffman(lengths), distances: huffman(new Uint8Array(30).fill(5)) };
  })();
  function inflate(input, position) {
    let buffer = 0, count = 0, output = new Uint8Array(Math.max(1024, input.length * 6)), length = 0;
    function bits(n) {
      while (count < n) {
        if (position >= input.length) throw new Error('the compressed data ends early');
        buffer |= input[position++] << count;
        count += 8;
      }
      const value = buffer & ((1 << n) - 1);
      buffer >>>= n;
      count -= n;
      return value;
    }
    function room(n) {
      if (length + n <= output.length) return;
      const larger = new Uint8Array(Math.max(output.length * 2, length + n));
      larger.set(output.subarray(0, length));
      output = larger;
    }
    function decode(table) {
      let code = 0, first = 0, index = 0;
      for (let len = 1; len < 16; len++) {
        code |= bits(1);
        const n = table.counts[len];
        if (code - first < n) return table.symbols[index + code - first];
        index += n;
        first = (first + n) << 1;
        code <<= 1;
      }
      throw new Error('invalid compressed data (a Huffman code is out of range)');
    }
    let last;
    do {
      last = bits(1);
      const type = bits(2);
      if (type === 0) {
        buffer = 0;
        count = 0;
        const n = input[position] | (input[position + 1] << 8);
        position += 4;
        room(n);
        output.set(input.subarray(position, position + n), length);
        length += n;
        position += n;
        continue;
      }
      let literals, distances;
      if (type === 1) {
        literals = FIXED.literals;
        distances = FIXED.distances;
      } else if (type === 2) {
        const literalCount = bits(5) + 257, distanceCount = bits(5) + 1, codeCount = bits(4) + 4;
        const codeLengths = new Uint8Array(19);
        for (let i = 0; i < codeCount; i++) codeLengths[CODE_ORDER[i]] = bits(3);
        const codes = huffman(codeLengths);
        const lengths = new Uint8Array(literalCount + distanceCount);
        for (let i = 0; i < lengths.length;) {
          const symbol = decode(codes);
          if (symbol < 16) { lengths[i++] = symbol; continue; }
          let repeat, value = 0;
          if (symbol === 16) { value = lengths[i - 1]; repeat = 3 + bits(2); }
          else if (symbol === 17) repeat = 3 + bits(3);
          else repeat = 11 + bits(7);
          while (repeat-- > 0) lengths[i++] = value;
        }
        literals = huffman(lengths.subarray(0, literalCount));
        distances = huffman(lengths.subarray(literalCount));
      } else {
        throw new Error('invalid compressed data (block type 3)');
      }
      for (;;) {
        const symbol = decode(literals);
        if (symbol < 256) { room(1); output[length++] = symbol; continue; }
        if (symbol === 256) break;
        const s = symbol - 257;
        const n = LENGTH_BASE[s] + bits(LENGTH_EXTRA[s]);
        const d = decode(distances);
        const distance = DISTANCE_BASE[d] + bits(DISTANCE_EXTRA[d]);
        room(n);
        for (let i = 0; i < n; i++) { output[length] = output[length - distance]; length++; }
      }
    } while (!last);
    return output.subarray(0, length);
  }

  // ---- Overview.
  function stat(run, key, value, shown, label, note) {
    return h('div', { class: 'stat', 'data-run': run, 'data-stat': key, 'data-value': value },
      h('div', { class: 'stat-value' }, shown), h('div', { class: 'stat-label' }, label),
      note ? h('div', { class: 'stat-note' }, note) : null);
  }

  function bars(rows, run) {
    const max = Math.max.apply(null, rows.map(function (r) { return r.value; }).concat([1]));
    return h('div', { class: 'bars' }, rows.map(function (row) {
      const fill = h('span', { class: 'bar-fill' });
      fill.style.width = (100 * row.value / max).toFixed(2) + '%';
      fill.style.background = colour(row.label);
      return h('a', {
        class: 'bar-row', href: '#attempts?' + new URLSearchParams({ run: String(run + 1), category: row.label }).toString(),
        'data-category': row.label, 'data-value': row.value, title: row.label + ': ' + row.shown
      }, h('span', { class: 'bar-label' }, row.label), h('span', { class: 'bar-track' }, fill), h('span', { class: 'bar-value' }, row.shown));
    }));
  }

  function niceStep(raw) {
    const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
    const scaled = raw / power;
    return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
  }
  function histogram(values, format, kind, run) {
    if (values.length === 0) return h('p', { class: 'empty' }, 'none');
    const min = Math.min.apply(null, values), max = Math.max.apply(null, values);
    let start, width, binCount;
    if (kind === 'steps' && max - min < 30) {
      start = min; width = 1; binCount = max - min + 1;
    } else {
      width = Math.max(kind === 'steps' ? 1 : 1e-9, niceStep((max - min) / 12 || 1));
      start = Math.floor(min / width) * width;
      binCount = Math.max(1, Math.floor((max - start) / width) + 1);
    }
    const bins = new Array(binCount).fill(0);
    values.forEach(function (v) { bins[Math.min(binCount - 1, Math.floor((v - start) / width))]++; });
    const top = Math.max.apply(null, bins);
    const columns = bins.map(function (n, i) {
      const low = start + i * width, high = low + width;
      const range = width === 1 && kind === 'steps' ? format(low) : format(low) + '–' + format(high);
      const bar = h('span', { class: 'column-fill' });
      bar.style.height = (100 * n / top).toFixed(1) + '%';
      return h('div', { class: 'column', title: range + ': ' + plural(n, 'attempt'), 'data-low': low, 'data-count': n },
        h('span', { class: 'column-count' }, n ? String(n) : ''), h('span', { class: 'column-track' }, bar),
        h('span', { class: 'column-label' }, i === 0 || i === binCount - 1 || binCount <= 12 || i % Math.ceil(binCount / 6) === 0 ? format(low) : ''));
    });
    return h('div', { class: 'histogram', 'data-histogram': kind, 'data-run': run }, columns);
  }

  function runCard(run, index) {
    const s = run.summary || {};
    const mine = ATTEMPTS.filter(function (a) { return a.run === index; });
    const passAt = s.pass_at_k || {};
    const ks = Object.keys(passAt).map(Number).sort(function (a, b) { return a - b; });
    const attempts = s.attempts || {};
    const usage = s.tokens || {};
    const time = s.time || {};
    const incomplete = (s.incomplete_ids || []).length;
    const stats = [
      stat(index, 'total_instances', s.total_instances, int(s.total_instances), 'tasks',
        run.attempts_per_instance > 1 ? plural(run.attempts_per_instance, 'attempt') + ' each' : null),
      stat(index, 'attempts_finished', attempts.finished, int(attempts.finished), 'attempts',
        attempts.planned !== undefined && attempts.planned !== attempts.finished ? 'of ' + int(attempts.planned) + ' planned' : null),
      stat(index, 'resolved_instances', s.resolved_instances, int(s.resolved_instances), 'resolved',
        int(attempts.resolved) + ' of ' + int(attempts.finished) + ' attempts'),
      stat(index, 'resolve_rate', s.resolve_rate, percent(s.resolve_rate), 'resolve rate')
    ];
    ks.forEach(function (k) {
      stats.push(stat(index, 'pass@' + k, passAt[k], (passAt[k] || 0).toFixed(3), 'pass@' + k));
    });
    stats.push(
      stat(index, 'total_tokens', usage.total_tokens, tokens(usage.total_tokens), 'tokens',
        tokens(usage.input_tokens) + ' in · ' + tokens(usage.output_tokens) + ' out' +
        (usage.cached_input_tokens ? ' · ' + tokens(usage.cached_input_tokens) + ' cached' : '')),
      stat(index, 'cost', s.cost, money(s.cost), 'cost',
        s.attempts_with_unknown_cost ? plural(s.attempts_with_unknown_cost, 'attempt') + ' of unknown price' : null),
      stat(index, 'wall_seconds', time.wall_seconds, seconds(time.wall_seconds), 'wall time',
        seconds(time.attempt_seconds) + ' in attempts'),
      stat(index, 'empty_patch_instances', s.empty_patch_instances, int(s.empty_patch_instances), 'empty patches'),
      stat(index, 'error_instances', s.error_instances, int(s.error_instances), 'errors'),
      stat(index, 'incomplete', incomplete, int(incomplete), 'not attempted'));

    const categories = s.failure_categories || {};
    const byCount = Object.keys(categories).map(function (c) { return { label: c, value: categories[c], shown: int(categories[c]) }; })
      .sort(function (a, b) { return b.value - a.value || (a.label < b.label ? -1 : 1); });
    const tokenSums = {};
    mine.forEach(function (a) { tokenSums[a.category] = (tokenSums[a.category] || 0) + a.tokens; });
    const byTokens = Object.keys(tokenSums).map(function (c) { return { label: c, value: tokenSums[c], shown: tokens(tokenSums[c]) }; })
      .sort(function (a, b) { return b.value - a.value || (a.label < b.label ? -1 : 1); });
    const steps = mine.filter(function (a) { return a.resolved; }).map(function (a) { return a.steps; });

    const budget = s.budget && s.budget.exhausted ? h('p', { class: 'warning' }, 'Stopped by the run budget: ' + s.budget.exhausted) : null;
    return h('section', { class: 'run card', 'data-run': index },
      h('h2', null, runName(index)),
      h('p', { class: 'model' }, h('span', { class: 'label' }, run.kind + ' · '), run.model, h('span', { class: 'path' }, run.path)),
      budget,
      h('div', { class: 'stats' }, stats),
      h('div', { class: 'charts' },
        h('div', { class: 'chart', 'data-chart': 'categories-count' }, h('h3', null, 'Failure taxonomy · attempts'), bars(byCount, index)),
        h('div', { class: 'chart', 'data-chart': 'categories-tokens' }, h('h3', null, 'Failure taxonomy · tokens spent'), bars(byTokens, index)),
        h('div', { class: 'chart' }, h('h3', null, 'Steps to resolution'), histogram(steps, int, 'steps', index)),
        h('div', { class: 'chart' }, h('h3', null, 'Tokens per attempt'),
          histogram(mine.map(function (a) { return a.tokens; }), tokens, 'tokens', index))));
  }

  function perTask() {
    const tasks = new Set();
    RUNS.forEach(function (run) { run.instance_ids.forEach(function (id) { tasks.add(id); }); });
    ATTEMPTS.forEach(function (a) { tasks.add(a.id); });
    const grouped = new Map();
    ATTEMPTS.forEach(function (a) {
      const key = a.run + '\u0000' + a.id;
      if (!grouped.has(key)) grouped.set(key, []);
      grouped.get(key).push(a);
    });
    const onlyDiffering = h('input', { type: 'checkbox', id: 'only-differing' });
    const body = h('tbody');
    const ids = Array.from(tasks).sort();
    const rows = ids.map(function (id) {
      const outcomes = [];
      const cells = RUNS.map(function (run, index) {
        const list = grouped.get(index + '\u0000' + id) || [];
        const resolved = list.filter(function (a) { return a.resolved; }).length;
        outcomes.push(list.length ? (resolved > 0 ? 'yes' : 'no') : 'none');
        const marks = list.map(function (a) {
          const mark = h('a', { class: 'mark ' + (a.resolved ? 'pass' : 'fail'), href: link(a), title: 'attempt ' + a.n + ': ' + a.category + ' — ' + a.evidence },
            a.resolved ? '✔' : '✘');
          if (!a.resolved) mark.style.color = colour(a.category);
          return mark;
        });
        return h('td', { 'data-run': index, 'data-resolved': resolved, 'data-attempts': list.length },
          list.length ? [marks, h('span', { class: 'fraction' }, ' ' + resolved + '/' + list.length),
            list.length === 1 || resolved === 0 ? h('span', { class: 'cell-category' }, ' ' + list[0].category) : null]
            : h('span', { class: 'empty' }, 'not attempted'));
      });
      const differs = MULTI && new Set(outcomes).size > 1;
      return h('tr', { 'data-task': id, class: differs ? 'differs' : null }, h('td', { class: 'task' }, id), cells);
    });
    rows.forEach(function (row) { body.append(row); });
    onlyDiffering.addEventListener('change', function () {
      rows.forEach(function (row) { row.hidden = onlyDiffering.checked && !row.classList.contains('differs'); });
    });
    const totals = RUNS.map(function (run, index) {
      return h('th', null, int(run.summary.resolved_instances) + ' of ' + int(run.summary.total_instances) + ' resolved');
    });
    return h('section', { class: 'card per-task' },
      h('h2', null, MULTI ? 'Runs side by side, per task' : 'Per task'),
      MULTI ? h('label', { class: 'toggle' }, onlyDiffering, ' only tasks the runs disagree on') : null,
      h('table', { class: 'grid', id: 'per-task' },
        h('thead', null,
          h('tr', null, h('th', null, 'task'), RUNS.map(function (run, index) {
            return h('th', { 'data-run': index }, runName(index), h('div', { class: 'model' }, run.model));
          })),
          h('tr', { class: 'totals' }, h('th', null, plural(ids.length, 'task')), totals)),
        body));
  }

  function overview() {
    return h('div', { 'data-view': 'overview' },
      h('div', { class: 'runs' }, RUNS.map(runCard)),
      perTask());
  }

  // ---- Attempts table.
  const COLUMNS = [
    { key: 'run', label: 'run', value: function (a) { return a.run; }, shown: function (a) { return runName(a.run); }, multi: true },
    { key: 'task', label: 'task', value: function (a) { return a.id; } },
    { key: 'attempt', label: '#', value: function (a) { return a.n; }, numeric: true },
    { key: 'resolved', label: 'resolved', value: function (a) { return a.resolved ? 1 : 0; } },
    { key: 'category', label: 'category', value: function (a) { return a.category; } },
    { key: 'steps', label: 'steps', value: function (a) { return a.steps; }, numeric: true },
    { key: 'tokens', label: 'tokens', value: function (a) { return a.tokens; }, numeric: true },
    { key: 'cost', label: 'cost', value: function (a) { return a.cost === null ? -1 : a.cost; }, numeric: true },
    { key: 'duration', label: 'duration', value: function (a) { return a.duration; }, numeric: true },
    { key: 'evidence', label: 'evidence', value: function (a) { return a.evidence; } }
  ].filter(function (c) { return MULTI || !c.multi; });
  const ROW_LIMIT = 2000;

  function attemptsView(params) {
    const state = {
      run: params.get('run') || '', category: params.get('category') || '', resolved: params.get('resolved') || '',
      task: params.get('task') || '', q: params.get('q') || '', sort: params.get('sort') || 'task', dir: params.get('dir') || 'asc'
    };
    const categories = {};
    ATTEMPTS.forEach(function (a) { categories[a.category] = (categories[a.category] || 0) + 1; });
    function select(name, options, label) {
      const element = h('select', { name: name, 'aria-label': label },
        options.map(function (o) { return h('option', { value: o[0] }, o[1]); }));
      element.value = state[name];
      element.addEventListener('change', function () { state[name] = element.value; update(); });
      return element;
    }
    function field(name, placeholder) {
      const element = h('input', { type: 'search', name: name, placeholder: placeholder, 'aria-label': placeholder, value: state[name] });
      element.addEventListener('input', function () { state[name] = element.value; update(); });
      return element;
    }
    const controls = h('div', { class: 'controls' },
      MULTI ? select('run', [['', 'every run']].concat(RUNS.map(function (r, i) { return [String(i + 1), runName(i)]; })), 'run') : null,
      select('category', [['', 'every category']].concat(Object.keys(categories).sort().map(function (c) {
        return [c, c + ' (' + categories[c] + ')'];
      })), 'category'),
      select('resolved', [['', 'resolved or not'], ['yes', 'resolved'], ['no', 'not resolved']], 'resolved'),
      field('task', 'task'),
      field('q', 'search: task, category, evidence, exit status'));
    const count = h('span', { id: 'shown-count' });
    const head = h('tr');
    const body = h('tbody');
    const table = h('table', { class: 'grid attempts', id: 'attempts-table' }, h('thead', null, head), body);

    function matches(a) {
      if (state.run && String(a.run + 1) !== state.run) return false;
      if (state.category && a.category !== state.category) return false;
      if (state.resolved === 'yes' && !a.resolved) return false;
      if (state.resolved === 'no' && a.resolved) return false;
      if (state.task && a.id.toLowerCase().indexOf(state.task.toLowerCase()) < 0) return false;
      if (state.q) {
        const text = (a.id + ' ' + a.category + ' ' + a.evidence + ' ' + (a.exit || '') + ' ' + RUNS[a.run].label + ' ' + a.model).toLowerCase();
        const words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
        for (const word of words) if (text.indexOf(word) < 0) return false;
      }
      return true;
    }
    function render() {
      const began = performance.now();
      const column = COLUMNS.find(function (c) { return c.key === state.sort; }) || COLUMNS[MULTI ? 1 : 0];
      const direction = state.dir === 'desc' ? -1 : 1;
      const shown = ATTEMPTS.filter(matches).sort(function (x, y) {
        const a = column.value(x), b = column.value(y);
        if (a < b) return -direction;
        if (a > b) return direction;
        return x.index - y.index;
      });
      head.replaceChildren.apply(head, COLUMNS.map(function (c) {
        const active = c.key === column.key;
        return h('th', {
          'data-sort': c.key, class: (c.numeric ? 'numeric ' : '') + (active ? 'sorted ' + (direction > 0 ? 'asc' : 'desc') : ''),
          'aria-sort': active ? (direction > 0 ? 'ascending' : 'descending') : null, title: 'sort by ' + c.label,
          onclick: function () {
            if (state.sort === c.key) state.dir = state.dir === 'desc' ? 'asc' : 'desc';
            else { state.sort = c.key; state.dir = c.numeric ? 'desc' : 'asc'; }
            update();
          }
        }, c.label);
      }));
      const rows = shown.slice(0, ROW_LIMIT).map(function (a) {
        const cells = COLUMNS.map(function (c) {
          switch (c.key) {
            case 'run': return h('td', null, runName(a.run));
            case 'task': return h('td', { class: 'task' }, h('a', { href: link(a) }, a.id));
            case 'attempt': return h('td', { class: 'numeric' }, String(a.n));
            case 'resolved': return h('td', { class: a.resolved ? 'pass' : 'fail' }, a.resolved ? '✔' : '✘');
            case 'category': return h('td', null, chip(a.category));
            case 'steps': return h('td', { class: 'numeric' }, int(a.steps));
            case 'tokens': return h('td', { class: 'numeric', title: int(a.input) + ' in · ' + int(a.output) + ' out' }, tokens(a.tokens));
            case 'cost': return h('td', { class: 'numeric' }, money(a.cost));
            case 'duration': return h('td', { class: 'numeric' }, seconds(a.duration));
            default: return h('td', { class: 'evidence', title: a.evidence }, a.evidence);
          }
        });
        return h('tr', {
          'data-instance': a.id, 'data-attempt': a.n, 'data-run': a.run, class: 'row',
          onclick: function (event) { if (!event.target.closest('a')) location.hash = link(a); }
        }, cells);
      });
      body.replaceChildren.apply(body, rows);
      count.textContent = int(shown.length) + ' of ' + plural(ATTEMPTS.length, 'attempt') +
        (shown.length > ROW_LIMIT ? ' (the first ' + int(ROW_LIMIT) + ' shown: narrow the filter)' : '');
      count.setAttribute('data-shown', shown.length);
      table.setAttribute('data-render-ms', (performance.now() - began).toFixed(1));
    }
    function update() {
      const query = new URLSearchParams();
      Object.keys(state).forEach(function (key) {
        if (state[key] && !(key === 'sort' && state[key] === 'task') && !(key === 'dir' && state[key] === 'asc')) query.set(key, state[key]);
      });
      const text = query.toString();
      try { history.replaceState(null, '', '#attempts' + (text ? '?' + text : '')); } catch (error) { /* a browser that refuses: the view still works */ }
      render();
    }
    render();
    return h('div', { 'data-view': 'attempts' }, h('section', { class: 'card' }, h('h2', null, 'Attempts'), controls, count, table));
  }

  // ---- Trajectory view.
  function lines(text) { return text === '' ? [] : text.split('\n'); }
  function lineDiff(before, after) {
    const a = lines(before), b = lines(after);
    let start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start++;
    let end = 0;
    while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
    const x = a.slice(start, a.length - end), y = b.slice(start, b.length - end);
    const out = a.slice(0, start).map(function (l) { return [' ', l]; });
    if (x.length * y.length > 250000) {
      x.forEach(function (l) { out.push(['-', l]); });
      y.forEach(function (l) { out.push(['+', l]); });
    } else {
      const table = [];
      for (let i = 0; i <= x.length; i++) table.push(new Uint32Array(y.length + 1));
      for (let i = x.length - 1; i >= 0; i--) {
        for (let j = y.length - 1; j >= 0; j--) {
          table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
        }
      }
      let i = 0, j = 0;
      while (i < x.length || j < y.length) {
        if (i < x.length && j < y.length && x[i] === y[j]) { out.push([' ', x[i]]); i++; j++; }
        else if (j >= y.length || (i < x.length && table[i + 1][j] >= table[i][j + 1])) { out.push(['-', x[i]]); i++; }
        else { out.push(['+', y[j]]); j++; }
      }
    }
    a.slice(a.length - end).forEach(function (l) { out.push([' ', l]); });
    return out;
  }
  function diffLines(pairs, kind) {
    return h('pre', { class: 'diff', 'data-diff': kind }, pairs.map(function (pair) {
      const cls = pair[0] === '+' ? 'add' : pair[0] === '-' ? 'del' : pair[0] === '@' ? 'hunk' : pair[0] === '#' ? 'meta' : 'ctx';
      return h('span', { class: 'line ' + cls }, (pair[0] === '@' || pair[0] === '#' ? '' : pair[0]) + pair[1] + '\n');
    }));
  }
  function patchView(text) {
    if (text === null || text === undefined) return h('p', { class: 'empty' }, 'no patch (no prediction)');
    if (text === '') return h('p', { class: 'empty' }, 'the patch is empty');
    return diffLines(lines(text.replace(/\n$/, '')).map(function (line) {
      if (/^(diff --git|index |--- |\+\+\+ |new file|deleted file|similarity|rename |old mode|new mode|Binary files)/.test(line)) return ['#', line];
      if (line.indexOf('@@') === 0) return ['@', line];
      if (line[0] === '+' || line[0] === '-') return [line[0], line.slice(1)];
      return [' ', line.slice(1)];
    }), 'patch');
  }

  const FOLD_CHARACTERS = 2000, FOLD_LINES = 40;
  function folded(text, cls) {
    const pre = h('pre', { class: cls });
    const all = lines(text);
    if (text.length <= FOLD_CHARACTERS && all.length <= FOLD_LINES) {
      pre.textContent = text;
      return pre;
    }
    let preview = all.slice(0, FOLD_LINES).join('\n');
    if (preview.length > FOLD_CHARACTERS) preview = preview.slice(0, FOLD_CHARACTERS);
    pre.textContent = preview + '\n…';
    pre.setAttribute('data-folded', 'true');
    const button = h('button', { class: 'unfold', type: 'button' }, 'show all ' + plural(all.length, 'line') + ' (' + int(text.length) + ' characters)');
    button.addEventListener('click', function () {
      pre.textContent = text;
      pre.removeAttribute('data-folded');
      button.remove();
    });
    return h('div', { class: 'fold' }, pre, button);
  }

  function argumentsView(name, text) {
    let args = null;
    try { args = JSON.parse(text); } catch (error) { args = null; }
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      return h('div', { class: 'arguments malformed' }, h('span', { class: 'note' }, 'arguments (not a JSON object): '), folded(text, 'raw'));
    }
    if (name === 'edit' && typeof args.old_str === 'string') {
      const creating = args.old_str === '';
      return h('div', { class: 'arguments edit' },
        h('div', { class: 'path' }, (creating ? 'create ' : 'edit ') + String(args.path)),
        diffLines(lineDiff(args.old_str, typeof args.new_str === 'string' ? args.new_str : ''), 'edit'));
    }
    const keys = Object.keys(args);
    if (keys.length === 0) return null;
    return h('div', { class: 'arguments' }, keys.map(function (key) {
      const value = args[key];
      const shown = typeof value === 'string' ? value : JSON.stringify(value);
      return shown.indexOf('\n') >= 0 || shown.length > 160
        ? h('div', { class: 'argument' }, h('span', { class: 'key' }, key + ' '), folded(shown, 'value'))
        : h('div', { class: 'argument' }, h('span', { class: 'key' }, key + ' '), h('code', null, shown));
    }));
  }

  function testBadge(facts) {
    if (!facts || typeof facts.passed !== 'number') return null;
    const failed = facts.failed || 0;
    return h('span', { class: 'tests-badge ' + (failed || facts.timed_out ? 'fail' : 'pass'), 'data-passed': facts.passed, 'data-failed': failed },
      int(facts.passed) + ' passed · ' + int(failed) + ' failed' + (facts.timed_out ? ' · timed out' : ''));
  }

  function callView(call, observation) {
    const fn = call.function || call;
    const name = fn.name || '?';
    const facts = observation ? observation.facts || {} : {};
    const badges = [];
    if (name === 'run_tests') badges.push(testBadge(facts));
    if (observation && observation.is_error) badges.push(h('span', { class: 'badge error' }, 'error'));
    if (observation && observation.truncated) {
      badges.push(h('span', { class: 'badge elided', title: 'the model saw the head and the tail of this output' },
        int(observation.omitted_chars) + ' characters cut from the middle'));
    }
    if (facts.not_run) badges.push(h('span', { class: 'badge error' }, 'not run'));
    if (observation && typeof observation.duration === 'number') badges.push(h('span', { class: 'badge' }, seconds(observation.duration)));
    return h('div', { class: 'call' + (observation && observation.is_error ? ' failed' : ''), 'data-tool': name },
      h('div', { class: 'call-head' }, h('span', { class: 'tool' }, name), badges),
      argumentsView(name, typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments || {})),
      observation ? folded(String(observation.output || ''), 'observation' + (observation.is_error ? ' error' : ''))
        : h('p', { class: 'empty' }, '(no result was recorded)'));
  }

  function stepView(a, event) {
    const n = event.step;
    const usage = event.usage || {};
    const context = event.context || {};
    const assistant = event.assistant || {};
    const observations = event.observations || [];
    const info = [int(usage.input_tokens) + ' in / ' + int(usage.output_tokens) + ' out tokens' +
      (usage.cached_input_tokens ? ' (' + int(usage.cached_input_tokens) + ' cached)' : '') + (event.usage_estimated ? ' (estimated)' : '')];
    if (typeof event.model_latency === 'number') info.push('model ' + event.model_latency.toFixed(2) + ' s');
    if (typeof event.elapsed === 'number') info.push('at ' + seconds(event.elapsed));
    if (event.finish_reason && event.finish_reason !== 'tool_calls' && event.finish_reason !== 'stop') info.push('finish: ' + event.finish_reason);
    const markers = [];
    if (context.elided_observations) {
      markers.push(h('span', { class: 'badge elided', 'data-marker': 'elided' }, plural(context.elided_observations, 'older observation') + ' elided from this request'));
    }
    if (context.compacted_steps) {
      markers.push(h('span', { class: 'badge compacted', 'data-marker': 'compacted' }, 'steps 1–' + context.compacted_steps + ' sent as a summary'));
    }
    if (event.retries && event.retries.length) {
      markers.push(h('span', { class: 'badge error', title: event.retries.join('\n') }, plural(event.retries.length, 'retry', 'retries')));
    }
    const calls = (assistant.tool_calls || []).map(function (call) {
      return callView(call, observations.find(function (o) { return o.tool_call_id === call.id; }));
    });
    return h('section', { class: 'step', id: 'step-' + n, 'data-step': n },
      h('div', { class: 'step-head' }, h('a', { class: 'step-link', href: link(a, n), title: 'link to this step' }, 'step ' + n),
        h('span', { class: 'step-info' }, info.join(' · ')), markers),
      assistant.content ? h('pre', { class: 'assistant' }, assistant.content) : null,
      calls,
      event.feedback ? h('div', { class: 'feedback' }, h('span', { class: 'note' }, 'no tool call; the loop answered: '), folded(event.feedback, 'observation')) : null);
  }

  function markerView(event) {
    if (event.type === 'compaction') {
      return h('div', { class: 'marker compaction', 'data-marker': 'compaction', 'data-step': event.step },
        h('strong', null, 'context compacted'), ' after step ' + event.step + ': steps 1–' + event.compacted_steps + ' summarised by ' +
        event.by + ' (' + event.reason + '); estimated input ' + int(event.estimated_input_before) + ' → ' + int(event.estimated_input_after) + ' tokens',
        event.summary ? h('details', null, h('summary', null, 'the summary'), h('pre', null, event.summary)) : null);
    }
    return h('div', { class: 'marker model-error', 'data-marker': 'model_error', 'data-step': event.step },
      h('strong', null, 'model error'), ' at step ' + event.step + ' (' + event.kind + '): ' + event.message);
  }

  function verdictList(name, tests) {
    const entry = tests && tests[name] ? tests[name] : { success: [], failure: [] };
    const success = entry.success || [], failure = entry.failure || [];
    const items = failure.map(function (t) { return h('li', { class: 'fail' }, '✘ ' + t); })
      .concat(success.map(function (t) { return h('li', { class: 'pass' }, '✔ ' + t); }));
    const list = h('ul', { class: 'tests' }, items);
    return h('div', { class: 'verdict', 'data-kind': name, 'data-passed': success.length, 'data-failed': failure.length },
      h('h4', null, name + ': ' + int(success.length) + ' pass, ' + int(failure.length) + ' fail'),
      items.length > 30 ? h('details', { open: failure.length > 0 && failure.length <= 30 }, h('summary', null, plural(items.length, 'test')), list) : list);
  }

  function trajectoryView(route) {
    const a = ATTEMPTS.find(function (x) { return x.id === route.instance && x.n === route.attempt && x.run === route.run; });
    if (!a) {
      return h('div', { 'data-view': 'missing' }, h('section', { class: 'card' },
        h('h2', null, 'No such attempt'),
        h('p', null, 'This report holds no attempt ' + route.attempt + ' of ' + route.instance + (MULTI ? ' in run ' + (route.run + 1) : '') + '.'),
        h('p', null, h('a', { href: '#attempts' }, 'all attempts'))));
    }
    let d;
    try { d = detail(a); } catch (error) { d = { trajectory_note: 'this attempt\'s data cannot be read: ' + error.message }; }
    const previous = ATTEMPTS[a.index - 1], next = ATTEMPTS[a.index + 1];
    const facts = [
      h('span', { class: a.resolved ? 'pass' : 'fail' }, a.resolved ? '✔ resolved' : '✘ not resolved'),
      chip(a.category),
      h('span', null, plural(a.steps, 'step')),
      h('span', { title: int(a.input) + ' in · ' + int(a.output) + ' out' + (a.cached ? ' · ' + int(a.cached) + ' cached' : '') }, tokens(a.tokens) + ' tokens'),
      h('span', null, money(a.cost)),
      h('span', null, seconds(a.duration)),
      a.exit ? h('span', null, 'exit: ' + a.exit) : null,
      d.resolution ? h('span', null, d.resolution) : null
    ];
    const events = d.events || [];
    const header = d.header || {};
    const root = h('div', { 'data-view': 'trajectory', 'data-instance': a.id, 'data-attempt': a.n, 'data-run': a.run },
      h('nav', { class: 'pager' },
        h('a', { href: '#attempts' }, '↑ attempts'),
        previous ? h('a', { href: link(previous) }, '← ' + previous.id + ' #' + previous.n) : null,
        next ? h('a', { href: link(next) }, next.id + ' #' + next.n + ' →') : null),
      h('section', { class: 'card' },
        h('h2', null, a.id + ' · attempt ' + a.n),
        h('p', { class: 'model' }, runName(a.run) + ' · ' + a.model + (header.timestamp ? ' · started ' + header.timestamp : '')),
        h('div', { class: 'facts' }, facts),
        h('p', { class: 'evidence' }, a.evidence),
        d.detail && d.detail !== a.evidence ? h('p', { class: 'detail' }, d.detail) : null,
        d.trajectory_note ? h('p', { class: 'warning' }, d.trajectory_note) : null,
        d.unreadable_lines ? h('p', { class: 'warning' }, 'unreadable trajectory lines (cut off by a crash?): ' + d.unreadable_lines.join(', ')) : null),
      d.statement !== undefined && d.statement !== null
        ? h('section', { class: 'card' }, h('details', { class: 'statement', open: true }, h('summary', null, 'Task statement'), folded(d.statement, 'statement')))
        : null,
      events.length ? h('section', { class: 'card steps' }, h('h3', null, plural(events.filter(function (e) { return e.type === 'step'; }).length, 'step')),
        events.map(function (event) { return event.type === 'step' ? stepView(a, event) : markerView(event); })) : null,
      h('section', { class: 'card' }, h('h3', null, 'Final patch'), patchView(d.patch)),
      h('section', { class: 'card' }, h('h3', null, 'Hidden tests'),
        d.tests ? [verdictList('FAIL_TO_PASS', d.tests), verdictList('PASS_TO_PASS', d.tests)] : h('p', { class: 'empty' }, 'not graded')));
    if (route.step !== null) {
      const target = root.querySelector('#step-' + route.step);
      if (target) {
        target.classList.add('target');
        target.setAttribute('aria-current', 'step');
      }
    }
    return root;
  }

  // ---- Routing.
  function parseAttempt(raw) {
    const parts = raw.split('/');
    if (parts.length < 2) return null;
    let instance;
    try { instance = decodeURIComponent(parts[0]); } catch (error) { instance = parts[0]; }
    const attemptRun = parts[1].split('~');
    const attempt = parseInt(attemptRun[0], 10);
    const run = attemptRun.length > 1 ? parseInt(attemptRun[1], 10) - 1 : 0;
    const step = parts.length > 2 && parts[2] !== '' ? parseInt(parts[2], 10) : null;
    if (isNaN(attempt) || isNaN(run)) return null;
    return { instance: instance, attempt: attempt, run: run, step: isNaN(step) ? null : step };
  }

  function route() {
    const raw = location.hash.slice(1);
    let view;
    if (raw === '' || raw === 'overview') view = overview();
    else if (raw === 'attempts' || raw.indexOf('attempts?') === 0) view = attemptsView(new URLSearchParams(raw.slice('attempts?'.length)));
    else {
      const parsed = parseAttempt(raw);
      view = parsed ? trajectoryView(parsed)
        : h('div', { 'data-view': 'missing' }, h('section', { class: 'card' }, h('p', null, 'Nothing in this report is called “' + raw + '”.')));
    }
    app.replaceChildren(view);
    document.body.setAttribute('data-view', view.getAttribute('data-view'));
    document.querySelectorAll('header nav a').forEach(function (a) {
      a.classList.toggle('current', a.getAttribute('data-nav') === view.getAttribute('data-view'));
    });
    const target = view.querySelector('.step.target');
    if (target) target.scrollIntoView({ block: 'start' });
    else window.scrollTo(0, 0);
  }

  window.addEventListener('hashchange', route);
  route();
  document.body.setAttribute('data-render-ms', (performance.now()).toFixed(0));
  document.body.setAttribute('data-script-ms', (performance.now() - started).toFixed(0));
})();
"""#
}
