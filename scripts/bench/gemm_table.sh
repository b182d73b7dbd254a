#!/usr/bin/env bash
# Issue 13's table: the GEMM-bound benchmarks, Fluvia (BLAS provider and Java kernel) against plain PyTorch, interleaved.
#   scripts/bench/gemm_table.sh [threads...]        (default: 1 2)
# Rows (JMH class | torch_peer.py --bench):
#   GEMM 4096x256x256 NT/NN/TN           GemmBench (-p gemm=openblas,java)     | gemm
#   coupling step 4->256->256->8 b4096   CouplingStepBench                     | coupling
#   MAF D=8 5x512 b512 train step        MafStepBench (-p mode=STORE)          | maf (train line)
#   MAF sampling, 512 samples            MafSampleBench                        | maf (sample line)
#   logProb of 65,536 rows, RealNVP 2-D  LogProbBench                          | logprob
# For each thread count and row: the load average, Fluvia with -Dfluvia.blas=openblas, Fluvia with -Dfluvia.blas=java, then
# the PyTorch peer (Debian's python3-torch, OMP/OpenBLAS/MKL threads pinned) — so the three sides of a row run back to back.
# OPENBLAS_CORETYPE etc. pass through from the environment to both Fluvia and PyTorch.
# Output: target/bench/gemm-table/ (JMH JSON and logs, torch output, loads.txt, table.md). BENCH_NO_BUILD=1 skips the build.
# JMH options: JMH_OPTS (default -wi 3 -i 5 -w 2s -r 2s -f 1); the median and the best of the measurement iterations are
# reported (PyTorch: median and best of its timed steps); the ratio columns compare the faster Fluvia GEMM with PyTorch.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=../jdk.sh
. scripts/jdk.sh
THREADS=("$@"); [ ${#THREADS[@]} -eq 0 ] && THREADS=(1 2)
OUT=${BENCH_OUT:-$ROOT/target/bench}/gemm-table
JMH_OPTS=${JMH_OPTS:--wi 3 -i 5 -w 2s -r 2s -f 1}
PY=/usr/bin/python3
mkdir -p "$OUT"; rm -f "$OUT"/*.json "$OUT"/*.txt "$OUT"/*.log
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  echo "== building the benchmark jar" >&2
  mvn -B -q -ntp -pl java/bench -am package -DskipTests >&2
fi
JAR=java/bench/target/fluvia-bench.jar
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
  echo "java: $("$FLUVIA_JAVA" -version 2>&1 | head -n1); torch: $($PY -c 'import torch; print(torch.__version__)')"
  echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
} | tee "$OUT/machine.txt" >&2

jmh() { # name regex threads blas extra...
  local name=$1 regex=$2 t=$3 blas=$4; shift 4
  echo "== JMH $name threads=$t blas=$blas" >&2
  # shellcheck disable=SC2086
  "$FLUVIA_JAVA" $FLUVIA_JVM_FLAGS -jar "$JAR" "$regex" -t 1 -p threads="$t" "$@" $JMH_OPTS \
      -jvmArgsAppend "$FLUVIA_JVM_FLAGS -Dfluvia.blas=$blas" -rf json -rff "$OUT/jmh-$name-$blas-t$t.json" \
      >"$OUT/jmh-$name-$blas-t$t.log" 2>&1 || { tail -n 30 "$OUT/jmh-$name-$blas-t$t.log" >&2; exit 1; }
}
torch() { # group threads [torch_peer options]
  local g=$1 t=$2; shift 2
  echo "== PyTorch $g threads=$t" >&2
  OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t MKL_NUM_THREADS=$t $PY scripts/bench/torch_peer.py --threads "$t" --bench "$g" "$@" \
      | tee "$OUT/torch-$g-t$t.txt" >&2
}
load() { echo "$1 t$2: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/loads.txt"; }

for t in "${THREADS[@]}"; do
  load gemm "$t"
  jmh gemm 'GemmBench' "$t" openblas -p gemm=openblas
  jmh gemm 'GemmBench' "$t" java -p gemm=java
  torch gemm "$t"
  for row in coupling:CouplingStepBench mafstep:MafStepBench mafsample:MafSampleBench logprob:LogProbBench; do
    name=${row%%:*} cls=${row#*:}
    extra=(); [ "$name" = mafstep ] && extra=(-p mode=STORE)
    load "$name" "$t"
    for blas in openblas java; do jmh "$name" "$cls" "$t" "$blas" "${extra[@]}"; done
    case $name in
      coupling) torch coupling "$t" ;;
      mafstep) torch maf "$t" ;;        # prints the train step and the sampling line
      mafsample) ;;                     # (its torch line came with mafstep)
      logprob) torch logprob "$t" --warmup 2 --repeats 7 ;;   # one call takes seconds
    esac
  done
done

$PY - "$OUT" "${THREADS[@]}" <<'PYEOF' | tee "$OUT/table.md"
import json, glob, os, re, statistics, sys
out, threads = sys.argv[1], sys.argv[2:]
def jmh(name, blas, t):
    res = {}
    for r in json.load(open(f"{out}/jmh-{name}-{blas}-t{t}.json")):
        raw = [x for it in r["primaryMetric"]["rawData"] for x in it]
        res[r["params"].get("shape", name)] = (statistics.median(raw), min(raw))
    return res
def torch(group, t):
    res = {}
    for line in open(f"{out}/torch-{group}-t{t}.txt"):
        m = re.match(r"torch bench=(\S+) threads=\d+ ms=([\d.]+) best_ms=([\d.]+)", line)
        if m: res[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return res
rows = [("GEMM 4096×256×256 NT", "gemm", "4096x256x256:NT", "gemm", "gemm-4096x256x256-NT", 2*4096*256*256),
        ("GEMM 4096×256×256 NN", "gemm", "4096x256x256:NN", "gemm", "gemm-4096x256x256-NN", 2*4096*256*256),
        ("GEMM 4096×256×256 TN", "gemm", "256x256x4096:TN", "gemm", "gemm-256x256x4096-TN", 2*4096*256*256),
        ("coupling step 4→256→256→8, b4096, Adam", "coupling", "coupling", "coupling", "coupling-d8-256-b4096", None),
        ("MAF D=8 5×512 b512 train step", "mafstep", "mafstep", "maf", "maf8-5x512-b512", None),
        ("MAF sampling, 512 samples", "mafsample", "mafsample", "maf", "maf8-5x512-sample-b512", None),
        ("logProb of 65,536 rows, RealNVP 2-D", "logprob", "logprob", "logprob", "logprob-realnvp2d-65536", None)]
loads = dict(l.split(": ", 1) for l in open(f"{out}/loads.txt").read().splitlines())
print("| benchmark | T | Fluvia openblas ms (median / best) | Fluvia java ms | PyTorch ms | PyTorch / Fluvia: medians | bests | load avg before |")
print("|---|---|---|---|---|---|---|---|")
for t in threads:
    for label, name, key, group, tkey, flops in rows:
        ob, jv, tp = jmh(name, "openblas", t), jmh(name, "java", t), torch(group, t)
        o, j, p = ob[key], jv[key], tp[tkey]
        f, fb = min(o[0], j[0]), min(o[1], j[1])
        g = lambda v: f"{v[0]:.3f} / {v[1]:.3f}" + (f" ({flops / v[0] / 1e6:.0f} GFLOP/s)" if flops else "")
        print(f"| {label} | {t} | {g(o)} | {g(j)} | {g(p)} | {p[0] / f:.2f}× | {p[1] / fb:.2f}× | {loads.get(f'{name} t{t}', '?')} |")
PYEOF
