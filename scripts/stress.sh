#!/usr/bin/env bash
# Runs each package's tests COUNT times (default 20) with the race detector,
# COPIES test binaries at once (default 2), to find tests that depend on
# timing or on a port being free. Run it on a loaded machine too (beside
# make run, say): that is where such tests fail. Failures are summed per test
# at the end; logs stay in .tmp/stress.
#
#   scripts/stress.sh [PACKAGE...]     (default: every package of every module
#                                       but docs, whose snippets take minutes)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${COUNT:-20}
copies=${COPIES:-2}
out="$root/.tmp/stress"
rm -rf "$out"
mkdir -p "$out"

# Each entry is "module-dir package [extra test flags]".
targets=()
if [ $# -gt 0 ]; then
  for p in "$@"; do targets+=(". $p"); done
else
  for mod in . conformance test/awssdk; do
    while IFS= read -r p; do targets+=("$mod $p"); done < <(cd "$mod" && go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./... | grep -v -e '^$' -e '/docs$')
  done
  targets+=(". github.com/lambdagrpc/lambdagrpc -servehttp")
fi

status=0
for t in "${targets[@]}"; do
  read -r mod pkg extra <<<"$t"
  name=$(echo "$pkg$extra" | tr '/ ' '__')
  bin="$out/$name.test"
  (cd "$mod" && go test -c -race -o "$bin" "$pkg")
  [ -f "$bin" ] || continue # a package whose tests are all in other files
  dir=$(cd "$mod" && go list -f '{{.Dir}}' "$pkg")
  args=(-test.count="$count" -test.timeout=30m)
  if [ -n "$extra" ]; then args+=("$extra" -test.skip=TestDirect); fi
  start=$(date +%s)
  pids=()
  for i in $(seq "$copies"); do
    (cd "$dir" && "$bin" "${args[@]}" >"$out/$name.$i.log" 2>&1) & pids+=($!)
  done
  fails=0
  for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
  echo "$pkg$extra: $((copies * count)) runs in $(( $(date +%s) - start ))s, $fails of $copies copies failed"
  if [ "$fails" -gt 0 ]; then
    status=1
    grep -h -- '--- FAIL' "$out/$name".*.log | sed 's/ (.*//' | sort | uniq -c | sed 's/^/  /'
  fi
done
exit $status
