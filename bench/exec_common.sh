# Shared helpers of the exec benchmarks (sourced, not run).
# time_median LABEL RUNS CMD...: runs CMD RUNS times (after one warm-up) and prints the median
# wall time in seconds on stdout. Uses hyperfine when installed, else a shell loop.
time_median() {
  local label=$1 runs=$2
  shift 2
  if command -v hyperfine >/dev/null; then
    local json
    json=$(mktemp)
    hyperfine --warmup 1 --runs "$runs" --style none --export-json "$json" \
      -n "$label" "$(printf '%q ' "$@")" >/dev/null 2>&1 || { rm -f "$json"; return 1; }
    awk -F: '/"median"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$json"
    rm -f "$json"
    return 0
  fi
  "$@" >/dev/null 2>&1 || return 1
  local times=() i start end
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || return 1
    end=$(date +%s%N)
    times+=("$(((end - start) / 1000))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.6f\n", a[int((NR + 1) / 2)] / 1e6 }'
}

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# verdict RATIO GOAL: "ok" when RATIO <= GOAL, else "MISSED".
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g ? "ok" : "MISSED") }'; }
