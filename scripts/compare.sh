#!/usr/bin/env bash
# compare.sh REV: measure the working tree against revision REV in one run,
# as a refactor must be measured. For each tree it runs the invocation
# benchmarks (every payload size and the streams), the cold start and the
# greeter's binary size, alternating the trees so that load on the machine
# weighs on both alike, and prints lambdagrpc's ratio to the best peer
# (time and bytes) for each benchmark, side by side.
#
#   scripts/compare.sh main      (or: make compare BASE=main)
set -euo pipefail
base=${1:?usage: scripts/compare.sh REV}
root=$(git rev-parse --show-toplevel)
out=$root/.tmp/compare
rm -rf "$out" && mkdir -p "$out"
wt=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || true' EXIT
git -C "$root" worktree add --detach "$wt" "$base" >/dev/null

run() { # run TREE NAME
  local tree=$1 name=$2
  (cd "$tree/bench" && go test -run '^$' -bench '^BenchmarkInvoke' -benchmem -benchtime 500ms -count 1 . >>"$out/$name-invoke.txt")
  (cd "$tree/bench" && go test -run '^$' -bench 'ColdStart' -benchtime 1x . >>"$out/$name-process.txt")
}
for round in 1 2 3; do
  echo "round $round of 3" >&2
  run "$wt" before
  run "$root" after
done
for t in before:"$wt" after:"$root"; do
  name=${t%%:*} tree=${t#*:}
  (cd "$tree" && go build -trimpath -ldflags='-s -w' -o "$out/$name-greeter" ./examples/greeter)
done

# ratios FILE: lambdagrpc's mean over the best peer's, per benchmark group.
ratios() {
  awk '
    /^Benchmark(Invoke|InvokeStream)\// {
      split($1, p, "/path="); group = p[1]; path = p[2]; sub(/-[0-9]+$/, "", path)
      for (i = 2; i <= NF; i++) { if ($(i+1) == "ns/op") ns[group, path] += $i; if ($(i+1) == "B/op") by[group, path] += $i }
      n[group, path]++; groups[group] = 1; paths[path] = 1
    }
    END {
      for (g in groups) {
        bt = 0; bb = 0
        for (q in paths) if (q != "lambdagrpc" && q != "floor" && n[g, q] > 0) {
          t = ns[g, q] / n[g, q]; b = by[g, q] / n[g, q]
          if (bt == 0 || t < bt) bt = t
          if (bb == 0 || b < bb) bb = b
        }
        if (n[g, "lambdagrpc"] == 0 || bt == 0) continue
        printf "%s\t%.2f\t%.2f\n", g, ns[g, "lambdagrpc"] / n[g, "lambdagrpc"] / bt, by[g, "lambdagrpc"] / n[g, "lambdagrpc"] / bb
      }
    }' "$1" | sort
}
cold() { # median next-p50-ms of lambdagrpc over grpcbare across rounds
  awk '/ColdStart\/fn=(lambdagrpc|grpcbare)-/ { for (i = 2; i <= NF; i++) if ($(i+1) == "next-p50-ms") { if ($1 ~ /lambdagrpc/) l += $i; else g += $i } }
       END { if (g > 0) printf "%.2f", l / g }' "$1"
}
echo "benchmark	before time/peer	before bytes/peer	after time/peer	after bytes/peer"
join -t $'\t' <(ratios "$out/before-invoke.txt") <(ratios "$out/after-invoke.txt")
echo "cold start, lambdagrpc / bare grpc-go: before $(cold "$out/before-process.txt")x, after $(cold "$out/after-process.txt")x"
echo "greeter binary: before $(stat -c %s "$out/before-greeter") B, after $(stat -c %s "$out/after-greeter") B"
