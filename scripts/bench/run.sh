#!/usr/bin/env bash
# Fluvia CPU benchmarks against plain PyTorch at equal thread counts.
#   scripts/bench/run.sh [threads...]        (default: 1 2)
# Builds the JMH jar (java/bench), runs GEMM / affine-coupling step / RealNVP step with JMH (-t 1: one JMH thread;
# the backend's worker count is the benchmark parameter `threads`), prints peak pooled memory per MemoryMode, runs
# scripts/bench/torch_peer.py at the same thread counts, and prints a Markdown table.
# Results (JMH JSON, torch output, the table) go to target/bench/ (override with BENCH_OUT=dir).
# JMH settings can be overridden with JMH_OPTS (default: -wi 4 -i 5 -w 3s -r 2s -f 1: the Vector API code needs
# ~10 s of warm-up before C2 has compiled it; the first iteration runs at a fraction of the final speed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# shellcheck source=../jdk.sh
. scripts/jdk.sh
THREADS=("$@")
[ ${#THREADS[@]} -eq 0 ] && THREADS=(1 2)
OUT=${BENCH_OUT:-$ROOT/target/bench}
JMH_OPTS=${JMH_OPTS:--wi 4 -i 5 -w 3s -r 2s -f 1}
PY=/usr/bin/python3   # Debian's interpreter: it has python3-torch
mkdir -p "$OUT"

echo "== building the benchmark jar (JAVA_HOME=$JAVA_HOME)" >&2
mvn -B -q -ntp -pl java/bench -am package -DskipTests >&2
JAR=java/bench/target/fluvia-bench.jar

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') MHz reported"
  echo "flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f)$' | tr '\n' ' ')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $("$FLUVIA_JAVA" -version 2>&1 | head -n1)"
  echo "torch: $($PY -c 'import torch; print(torch.__version__)')"
} | tee "$OUT/machine.txt" >&2

for t in "${THREADS[@]}"; do
  echo "== JMH, backend threads=$t" >&2
  # shellcheck disable=SC2086
  "$FLUVIA_JAVA" $FLUVIA_JVM_FLAGS -jar "$JAR" 'GemmBench|CouplingStepBench|RealNvpStepBench' \
      -t 1 -p threads="$t" $JMH_OPTS -jvmArgsAppend "$FLUVIA_JVM_FLAGS" \
      -rf json -rff "$OUT/jmh-t$t.json" >"$OUT/jmh-t$t.log" 2>&1 || { tail -n 30 "$OUT/jmh-t$t.log" >&2; exit 1; }
  echo "== PyTorch peer, threads=$t" >&2
  OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t MKL_NUM_THREADS=$t $PY scripts/bench/torch_peer.py --threads "$t" | tee "$OUT/torch-t$t.txt" >&2
done

echo "== peak pooled memory per MemoryMode" >&2
# shellcheck disable=SC2086
"$FLUVIA_JAVA" $FLUVIA_JVM_FLAGS -cp "$JAR" dev.fluvia.bench.PeakMemory 2>/dev/null | tee "$OUT/peak-memory.txt" >&2

$PY scripts/bench/table.py "$OUT" "${THREADS[@]}" | tee "$OUT/table.md"
