#!/usr/bin/env bash
# check-tasks.sh - verify the bundled benchmark tasks under Tasks/.
#
# For every task (or only the instance ids / directories given as arguments):
#   0. task.json has the required fields, repo/ has no .git, the patches end in
#      a newline, gold.patch touches no test files and test.patch only test files;
#   c. `git apply --check` of gold.patch (and test.patch) on the base passes;
#   a. base + test.patch: every FAIL_TO_PASS id fails or is absent, every
#      PASS_TO_PASS id passes;
#   b. base + gold.patch + test.patch: every FAIL_TO_PASS and PASS_TO_PASS id passes.
# Test commands run like the harness runs them: `/bin/sh -c "$test_cmd"` from the
# repo root inside bubblewrap (read-only /, writable repo, private /tmp,
# HOME=/tmp, no network), killed after the task's "timeout" seconds.
#
# When the base run is killed by the timeout (an infinite-loop task), pytest
# prints no results at all; for pytest tasks the PASS_TO_PASS ids are then
# checked by a second base run that deselects the FAIL_TO_PASS ids.
#
# Usage: scripts/check-tasks.sh [-k|--keep] [-v|--verbose] [TASK_ID_OR_DIR...]
#   -k  keep the temporary work directories (their paths are printed)
#   -v  print the test logs of failing checks
# Environment: CHECK_TASKS_NO_BWRAP=1 runs the tests without bubblewrap.
# Needs: bash, git, python3, bwrap, and per task pytest / swift / cc+make.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TASKS_DIR="$ROOT/Tasks"
KEEP=0
VERBOSE=0
SELECTED=()
for arg in "$@"; do
    case "$arg" in
        -k|--keep) KEEP=1 ;;
        -v|--verbose) VERBOSE=1 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) SELECTED+=("$arg") ;;
    esac
done

for tool in git python3 timeout; do
    command -v "$tool" >/dev/null || { echo "check-tasks: $tool not found" >&2; exit 2; }
done
USE_BWRAP=1
if [ "${CHECK_TASKS_NO_BWRAP:-0}" = 1 ]; then
    USE_BWRAP=0
elif ! command -v bwrap >/dev/null; then
    echo "check-tasks: bwrap not found (set CHECK_TASKS_NO_BWRAP=1 to run unsandboxed)" >&2
    exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/check-tasks.XXXXXX")"
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
HELPER="$WORK/helper.py"

cat > "$HELPER" <<'PY'
import json, re, shlex, sys

REQUIRED = {
    "instance_id": str, "repo": str, "problem_statement": str, "hints_text": str,
    "created_at": str, "version": str, "FAIL_TO_PASS": list, "PASS_TO_PASS": list,
    "test_cmd": str, "log_parser": str, "language": str, "timeout": (int, float),
}
TEST_PATH = re.compile(r"(^|/)(tests?|Tests)/|(^|/)test_[^/]*$|Tests?\.swift$")


def load(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def parse(log, parser):
    """Map test id -> PASSED / FAILED / ERROR / SKIPPED as the harness would."""
    res = {}
    for line in log.splitlines():
        line = line.rstrip("\r")
        if parser == "pytest":
            m = re.match(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (.+)$", line)
            if m:
                status, rest = m.groups()
                tid = rest if status == "PASSED" else rest.split(" - ")[0]
                res[tid.strip()] = "PASSED" if status in ("PASSED", "XPASS") else status
        elif parser == "swift":
            # Linux: Test Case 'FooTests.testBar' passed (0.001 seconds)
            # macOS: Test Case '-[FooTests testBar]' passed (0.001 seconds)
            m = re.match(r"^Test Case '([^']+)' (passed|failed|skipped)", line)
            if m:
                tid = m.group(1)
                if tid.startswith("-[") and tid.endswith("]"):
                    tid = tid[2:-1].replace(" ", ".")
                res[tid] = m.group(2).upper()
        elif parser == "tap":
            m = re.match(r"^(ok|not ok)\b(?:\s+\d+)?(?:\s*-\s*)?(.*?)\s*(#\s*(.*))?$", line)
            if m:
                status = "PASSED" if m.group(1) == "ok" else "FAILED"
                directive = (m.group(4) or "").upper()
                if directive.startswith("SKIP"):
                    status = "SKIPPED"
                elif directive.startswith("TODO"):
                    status = "FAILED"
                res[m.group(2)] = status
        else:
            raise SystemExit(f"unknown log_parser {parser!r}")
    return res


def cmd_field(task_json, key):
    print(load(task_json)[key])


def patch_files(path):
    with open(path, encoding="utf-8") as fh:
        return re.findall(r"^diff --git a/(\S+) b/", fh.read(), re.M)


def cmd_static(task_dir):
    """Static checks on a task directory; prints problems, exits 1 if any."""
    import os
    problems = []
    try:
        t = load(os.path.join(task_dir, "task.json"))
    except Exception as e:  # noqa: BLE001
        print(f"task.json unreadable: {e}")
        sys.exit(1)
    for key, typ in REQUIRED.items():
        if key not in t:
            problems.append(f"task.json: missing field {key}")
        elif not isinstance(t[key], typ):
            problems.append(f"task.json: {key} has type {type(t[key]).__name__}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    name = os.path.basename(os.path.normpath(task_dir))
    if t["instance_id"] != name:
        problems.append(f"instance_id {t['instance_id']!r} != directory name {name!r}")
    if not re.fullmatch(r"patchloop__[a-z0-9_]+-\d+", t["instance_id"]):
        problems.append(f"instance_id {t['instance_id']!r} is not patchloop__<short>-<n>")
    short = t["instance_id"].split("__", 1)[1].rsplit("-", 1)[0]
    if t["repo"] != f"patchloop/{short}":
        problems.append(f"repo {t['repo']!r} != patchloop/{short}")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t["created_at"]):
        problems.append(f"created_at {t['created_at']!r} is not ISO-8601 UTC")
    if not t["FAIL_TO_PASS"]:
        problems.append("FAIL_TO_PASS is empty")
    if not t["PASS_TO_PASS"]:
        problems.append("PASS_TO_PASS is empty")
    overlap = set(t["FAIL_TO_PASS"]) & set(t["PASS_TO_PASS"])
    if overlap:
        problems.append(f"ids in both FAIL_TO_PASS and PASS_TO_PASS: {sorted(overlap)}")
    for tid in t["FAIL_TO_PASS"] + t["PASS_TO_PASS"]:
        if not isinstance(tid, str) or re.search(r"\s", tid):
            problems.append(f"bad test id {tid!r} (must be a string without whitespace)")
    expected = {"python": ("python3 -m pytest -rA", "pytest"), "swift": ("swift test", "swift"), "c": ("make test", "tap")}
    if t["language"] not in expected:
        problems.append(f"unknown language {t['language']!r}")
    elif (t["test_cmd"], t["log_parser"]) != expected[t["language"]]:
        problems.append(f"test_cmd/log_parser {t['test_cmd']!r}/{t['log_parser']!r} unexpected for {t['language']}")
    if t["timeout"] <= 0:
        problems.append("timeout must be positive")
    repo = os.path.join(task_dir, "repo")
    if not os.path.isdir(repo):
        problems.append("repo/ missing")
    else:
        for bad in (".git", ".build", "Package.resolved", ".pytest_cache", ".benchmarks"):
            if os.path.exists(os.path.join(repo, bad)):
                problems.append(f"repo/ contains {bad}")
        for dirpath, dirnames, _ in os.walk(repo):
            if "__pycache__" in dirnames:
                problems.append(f"repo/ contains {os.path.relpath(os.path.join(dirpath, '__pycache__'), repo)}")
    for patch in ("gold.patch", "test.patch"):
        p = os.path.join(task_dir, patch)
        if not os.path.isfile(p) or os.path.getsize(p) == 0:
            problems.append(f"{patch} missing or empty")
            continue
        data = open(p, "rb").read()
        if not data.endswith(b"\n"):
            problems.append(f"{patch} does not end with a newline")
        files = patch_files(p)
        if not files:
            problems.append(f"{patch} has no 'diff --git a/... b/...' headers")
        for f in files:
            is_test = bool(TEST_PATH.search(f))
            if patch == "gold.patch" and is_test:
                problems.append(f"gold.patch touches test file {f}")
            if patch == "test.patch" and not is_test:
                problems.append(f"test.patch touches non-test file {f}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)


def cmd_verify(mode, task_json, log_path, *extra_logs):
    """mode 'base': F2P failing/absent, P2P passing; mode 'gold': all passing."""
    t = load(task_json)
    parser = t["log_parser"]
    res = parse(open(log_path, encoding="utf-8", errors="replace").read(), parser)
    for extra in extra_logs:  # e.g. a rerun with the hanging tests deselected
        for k, v in parse(open(extra, encoding="utf-8", errors="replace").read(), parser).items():
            res.setdefault(k, v)
    problems = []
    if mode == "base":
        for tid in t["FAIL_TO_PASS"]:
            if res.get(tid) == "PASSED":
                problems.append(f"FAIL_TO_PASS passes on base: {tid}")
        for tid in t["PASS_TO_PASS"]:
            if res.get(tid) != "PASSED":
                problems.append(f"PASS_TO_PASS {res.get(tid, 'missing').lower()} on base: {tid}")
    else:
        for tid in t["FAIL_TO_PASS"] + t["PASS_TO_PASS"]:
            if res.get(tid) != "PASSED":
                problems.append(f"{res.get(tid, 'missing').lower()} with gold: {tid}")
    counts = {s: sum(1 for v in res.values() if v == s) for s in ("PASSED", "FAILED", "ERROR", "SKIPPED")}
    print(f"parsed {len(res)} results ({', '.join(f'{k.lower()} {v}' for k, v in counts.items() if v)})")
    for p in problems:
        print("  " + p)
    sys.exit(1 if problems else 0)


def cmd_deselect(task_json):
    """PYTEST_ADDOPTS value that deselects the FAIL_TO_PASS ids."""
    t = load(task_json)
    opts = ["-p", "no:cacheprovider"]
    for tid in t["FAIL_TO_PASS"]:
        opts += ["--deselect", tid]
    print(shlex.join(opts))


if __name__ == "__main__":
    cmd = sys.argv[1]
    {"field": cmd_field, "static": cmd_static, "verify": cmd_verify, "deselect": cmd_deselect}[cmd](*sys.argv[2:])
PY

field() { python3 "$HELPER" field "$1" "$2"; }

# run_tests DIR CMD TIMEOUT LOG [PYTEST_ADDOPTS]  -> exit status of the run (124 = timed out)
run_tests() {
    local dir="$1" cmd="$2" limit="$3" log="$4" addopts="${5:--p no:cacheprovider}"
    if [ "$USE_BWRAP" = 1 ]; then
        timeout -k 5 "$limit" bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp \
            --bind "$dir" "$dir" --unshare-all --die-with-parent --new-session --chdir "$dir" \
            --setenv HOME /tmp --setenv PYTHONDONTWRITEBYTECODE 1 --setenv PYTEST_ADDOPTS "$addopts" \
            -- /bin/sh -c "$cmd" >"$log" 2>&1 </dev/null
    else
        (cd "$dir" && HOME="$WORK/home" PYTHONDONTWRITEBYTECODE=1 PYTEST_ADDOPTS="$addopts" \
            timeout -k 5 "$limit" /bin/sh -c "$cmd" >"$log" 2>&1 </dev/null)
    fi
}

# fresh_repo TASK_DIR DEST -> DEST/repo is a git repo with the base commit
fresh_repo() {
    local src="$1" dest="$2"
    mkdir -p "$dest"
    cp -a "$src/repo" "$dest/repo"
    git -C "$dest/repo" init -q
    git -C "$dest/repo" add -A
    git -C "$dest/repo" -c user.name=check-tasks -c user.email=check-tasks@localhost \
        -c commit.gpgsign=false commit -qm base
}

mkdir -p "$WORK/home"
if [ "${#SELECTED[@]}" -eq 0 ]; then
    for d in "$TASKS_DIR"/*/; do [ -f "$d/task.json" ] && SELECTED+=("$d"); done
fi
if [ "${#SELECTED[@]}" -eq 0 ]; then
    echo "check-tasks: no tasks found under $TASKS_DIR" >&2
    exit 2
fi

FAILED_TASKS=()
for sel in "${SELECTED[@]}"; do
    if [ -d "$sel" ]; then task_dir="$(cd "$sel" && pwd)"; else task_dir="$TASKS_DIR/$sel"; fi
    id="$(basename "$task_dir")"
    tw="$WORK/$id"
    mkdir -p "$tw"
    ok=1
    start=$SECONDS
    echo "== $id"
    fail() { echo "  FAIL: $*"; ok=0; }

    if ! out="$(python3 "$HELPER" static "$task_dir" 2>&1)"; then
        echo "$out" | sed 's/^/  /'
        fail "static checks"
        FAILED_TASKS+=("$id")
        continue
    fi
    tj="$task_dir/task.json"
    cmd="$(field "$tj" test_cmd)"
    limit="$(field "$tj" timeout)"
    limit="${limit%.*}"

    # (c) the patches apply cleanly to the base
    fresh_repo "$task_dir" "$tw/check"
    git -C "$tw/check/repo" apply --check "$task_dir/gold.patch" || fail "gold.patch does not apply to the base"
    git -C "$tw/check/repo" apply --check "$task_dir/test.patch" || fail "test.patch does not apply to the base"
    if [ "$ok" = 0 ]; then FAILED_TASKS+=("$id"); continue; fi

    # (a) base + test.patch
    fresh_repo "$task_dir" "$tw/base"
    git -C "$tw/base/repo" apply "$task_dir/test.patch"
    run_tests "$tw/base/repo" "$cmd" "$limit" "$tw/base.log"
    rc=$?
    extra=()
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "  base run killed after ${limit}s (expected for infinite-loop tasks)"
        if [ "$(field "$tj" log_parser)" = pytest ]; then
            rm -rf "$tw/base2"
            fresh_repo "$task_dir" "$tw/base2"
            git -C "$tw/base2/repo" apply "$task_dir/test.patch"
            run_tests "$tw/base2/repo" "$cmd" "$limit" "$tw/base-deselected.log" \
                "$(python3 "$HELPER" deselect "$tj")"
            rc2=$?
            [ "$rc2" = 124 ] && fail "base run with FAIL_TO_PASS deselected also timed out"
            extra=("$tw/base-deselected.log")
        fi
    fi
    if out="$(python3 "$HELPER" verify base "$tj" "$tw/base.log" "${extra[@]}")"; then
        echo "  base+test: ok, $out"
    else
        echo "  base+test: $out"
        fail "base + test.patch (rc=$rc)"
        [ "$VERBOSE" = 1 ] && tail -n 60 "$tw/base.log" | sed 's/^/    | /'
    fi

    # (b) base + gold.patch + test.patch
    fresh_repo "$task_dir" "$tw/gold"
    git -C "$tw/gold/repo" apply "$task_dir/gold.patch" && git -C "$tw/gold/repo" apply "$task_dir/test.patch"
    run_tests "$tw/gold/repo" "$cmd" "$limit" "$tw/gold.log"
    rc=$?
    if out="$(python3 "$HELPER" verify gold "$tj" "$tw/gold.log")"; then
        echo "  gold+test: ok, $out"
    else
        echo "  gold+test: $out"
        fail "base + gold.patch + test.patch (rc=$rc)"
        [ "$VERBOSE" = 1 ] && tail -n 60 "$tw/gold.log" | sed 's/^/    | /'
    fi

    if [ "$ok" = 1 ]; then
        echo "  PASS ($((SECONDS - start))s)"
        [ "$KEEP" = 1 ] || rm -rf "$tw"
    else
        FAILED_TASKS+=("$id")
        echo "  logs: $tw (kept)"
        KEEP=1
    fi
done

echo
total=${#SELECTED[@]}
if [ "${#FAILED_TASKS[@]}" -eq 0 ]; then
    echo "all $total task(s) OK"
    exit 0
fi
echo "${#FAILED_TASKS[@]} of $total task(s) FAILED: ${FAILED_TASKS[*]}"
exit 1
