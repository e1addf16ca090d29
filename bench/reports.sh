#!/usr/bin/env bash
# Benchmark: the report actions (gantry/coverage, gantry/test-report, gantry/security-report) on
# large reports under `gantry exec`, side by side with peers that read the same files:
#   floor   `wc -l` of the file (one pass over its bytes)
#   LCOV    `lcov --summary` (Debian's lcov, Perl; skipped when not installed) and a Python
#           loop over DA lines
#   JUnit   Python's xml.etree.ElementTree counting passed/failed/skipped cases
#   SARIF   Python's json.load counting results by level
# Each gantry figure is one whole `gantry exec` of a one-step workflow (start-up, workspace, the
# parse, the summary and the step summary included). Goal: at most 1x the Python peer.
# Usage: bench/reports.sh [BUILD_DIR] [SCALE] [RUNS]   (SCALE 1 = 1,000,000 LCOV lines,
#        100,000 test cases, 20,000 SARIF results)
set -euo pipefail
BUILD=${1:-build}
SCALE=${2:-1}
RUNS=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
[[ -x $G ]] || { echo "reports: $G not built" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/ws"
files=$((2000 * SCALE)) cases=$((100000 * SCALE)) results=$((20000 * SCALE))

python3 - "$dir/ws" "$files" "$cases" "$results" <<'PY'
import json, sys
ws, files, cases, results = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with open(f"{ws}/lcov.info", "w") as f:
    for i in range(files):
        f.write(f"TN:\nSF:{ws}/src/pkg{i % 50}/file{i}.c\n")
        hit = 0
        for line in range(1, 501):
            n = 0 if (line * 7 + i) % 5 == 0 else line % 3 + 1
            hit += n > 0
            f.write(f"DA:{line},{n}\n")
        f.write(f"LF:500\nLH:{hit}\nend_of_record\n")
with open(f"{ws}/junit.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
    per = 1000
    for s in range(cases // per):
        f.write(f'<testsuite name="suite{s}" tests="{per}">\n')
        for c in range(per):
            k = s * per + c
            f.write(f'<testcase classname="pkg.Suite{s}" name="test_{c}" time="0.001"')
            if k % 97 == 0:
                f.write(f'><failure message="expected {k} == {k + 1}">trace line 1\ntrace line 2</failure></testcase>\n')
            elif k % 50 == 0:
                f.write('><skipped/></testcase>\n')
            else:
                f.write('/>\n')
        f.write('</testsuite>\n')
    f.write('</testsuites>\n')
levels = ["error", "warning", "note"]
sarif = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "bench", "rules": [
    {"id": f"R{r}", "properties": {"security-severity": str(r % 10 + 0.5)}} for r in range(100)]}},
    "results": [{"ruleId": f"R{k % 100}", "ruleIndex": k % 100, "level": levels[k % 3],
                 "message": {"text": f"finding {k}"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"src/f{k % 500}.c"},
                                                     "region": {"startLine": k % 400 + 1}}}]}
                for k in range(results)]}]}
with open(f"{ws}/results.sarif", "w") as f:
    json.dump(sarif, f)
PY
cat >"$dir/peer_lcov.py" <<'PY'
import sys
total = hit = 0
for line in open(sys.argv[1]):
    if line.startswith("DA:"):
        total += 1
        hit += line.rstrip().rsplit(",", 1)[1] != "0"
print(f"{100 * hit / total:.1f}%")
PY
cat >"$dir/peer_junit.py" <<'PY'
import sys, xml.etree.ElementTree as ET
p = f = s = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    if case.find("failure") is not None or case.find("error") is not None: f += 1
    elif case.find("skipped") is not None: s += 1
    else: p += 1
print(p, f, s)
PY
cat >"$dir/peer_sarif.py" <<'PY'
import collections, json, sys
counts = collections.Counter(r.get("level", "warning") for run in json.load(open(sys.argv[1]))["runs"] for r in run["results"])
print(dict(counts))
PY
workflow() {  # workflow NAME USES INPUT VALUE
  printf 'on: push\njobs:\n  report:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: %s\n        with:\n          %s: %s\n' \
    "$2" "$3" "$4" >"$dir/$1.yml"
}
workflow coverage gantry/coverage@v1 files lcov.info
workflow tests gantry/test-report@v1 "fail-on-failure: false
          files" junit.xml
workflow security gantry/security-report@v1 sarif_file results.sarif
printf 'on: push\njobs:\n  report:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n' >"$dir/empty.yml"
ex() { "$G" exec push -W "$dir/$1.yml" --workspace "$dir/ws"; }
for w in coverage tests security; do ex "$w" >/dev/null || { echo "reports: gantry exec $w failed" >&2; ex "$w" | tail -5; exit 1; }; done

size() { du -h "$1" | cut -f1; }
empty_s=$(time_median "gantry exec, one run: step" "$RUNS" "$G" exec push -W "$dir/empty.yml" --workspace "$dir/ws")
printf 'gantry exec of a one-step workflow (overhead in every figure below): %.3fs\n' "$empty_s"
report() {  # report LABEL FILE WORKFLOW PEER_LABEL PEER_CMD...
  local label=$1 file=$2 wf=$3 peer_label=$4
  shift 4
  local floor_s gantry_s peer_s
  floor_s=$(time_median "wc -l" "$RUNS" wc -l "$file")
  gantry_s=$(time_median "gantry $wf" "$RUNS" "$G" exec push -W "$dir/$wf.yml" --workspace "$dir/ws")
  peer_s=$(time_median "$peer_label" "$RUNS" "$@")
  printf '%-7s %6s: gantry exec %.3fs, %s %.3fs, wc -l %.3fs; ratio to the peer %sx (goal <= 1x: %s), to the floor %sx\n' \
    "$label" "$(size "$file")" "$gantry_s" "$peer_label" "$peer_s" "$floor_s" \
    "$(ratio "$gantry_s" "$peer_s")" "$(verdict "$(ratio "$gantry_s" "$peer_s")" 1)" \
    "$(ratio "$gantry_s" "$floor_s")"
}
report LCOV "$dir/ws/lcov.info" coverage "python DA loop" python3 "$dir/peer_lcov.py" "$dir/ws/lcov.info"
if command -v lcov >/dev/null; then
  report LCOV "$dir/ws/lcov.info" coverage "lcov --summary" lcov --summary "$dir/ws/lcov.info"
else
  echo "LCOV: lcov is not installed (apt-get install lcov): no lcov --summary figure"
fi
report JUnit "$dir/ws/junit.xml" tests "python ElementTree" python3 "$dir/peer_junit.py" "$dir/ws/junit.xml"
report SARIF "$dir/ws/results.sarif" security "python json" python3 "$dir/peer_sarif.py" "$dir/ws/results.sarif"
