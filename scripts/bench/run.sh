#!/usr/bin/env bash
# Fluvia CPU benchmarks against plain PyTorch at equal thread counts.
#   scripts/bench/run.sh [--only GROUP[,GROUP...]] [threads...]        (default: all groups, threads 1 2)
# Groups (JMH class / torch_peer.py --bench):
#   gemm      GemmBench          the three GEMMs of a 256-wide layer at batch 4096
#   coupling  CouplingStepBench  one affine-coupling training step, D = 8, 4→256→256→8, batch 4096
#   realnvp   RealNvpStepBench   RealNVP 2-D training step, 8 couplings 1→64→64→2, batch 512, STORE and RECOMPUTE
#   maf       MafStepBench       MAF D = 8 training step, 5 layers, MADE 8→512→512→16, batch 512, STORE and RECOMPUTE
#             MafSampleBench     sampling from that MAF (Flow.sample, sequential mafInverse per layer), batch 512
# Builds the JMH jar (java/bench), runs the selected benchmarks with JMH (-t 1: one JMH thread; the backend's worker
# count is the benchmark parameter `threads`), prints peak pooled memory per MemoryMode, runs scripts/bench/torch_peer.py
# at the same thread counts, and prints a Markdown table.
# Results (JMH JSON, torch output, the table) go to target/bench/ (override with BENCH_OUT=dir).
# JMH settings can be overridden with JMH_OPTS (default: -wi 4 -i 5 -w 3s -r 2s -f 1: the Vector API code needs
# ~10 s of warm-up before C2 has compiled it; the first iteration runs at a fraction of the final speed) and, for the
# maf group, MAF_JMH_OPTS (default: -wi 3 -i 5 -w 5s -r 3s -f 1: a MAF sampling op or RECOMPUTE step takes seconds, so
# each of its iterations is one or two ops; the median over iterations is what docs/BENCHMARKS.md quotes).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
ALL_GROUPS=(gemm coupling realnvp maf)
GROUPS_SEL=("${ALL_GROUPS[@]}")
if [ "${1:-}" = "--only" ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 [--only GROUP[,GROUP...]] [threads...]   (groups: ${ALL_GROUPS[*]})" >&2; exit 2; }
  IFS=, read -r -a GROUPS_SEL <<<"$2"
  shift 2
fi
jmh_regex() {
  case "$1" in
    gemm) echo 'GemmBench' ;;
    coupling) echo 'CouplingStepBench' ;;
    realnvp) echo 'RealNvpStepBench' ;;
    maf) echo 'MafStepBench|MafSampleBench' ;;
    *) echo "unknown benchmark group '$1' (known: ${ALL_GROUPS[*]})" >&2; return 1 ;;
  esac
}
peak_model() {  # the PeakMemory model name prefix of a group (none for gemm)
  case "$1" in coupling) echo coupling ;; realnvp) echo realnvp ;; maf) echo maf ;; *) echo "" ;; esac
}
for g in "${GROUPS_SEL[@]}"; do jmh_regex "$g" >/dev/null; done
# shellcheck source=../jdk.sh
. scripts/jdk.sh
THREADS=("$@")
[ ${#THREADS[@]} -eq 0 ] && THREADS=(1 2)
OUT=${BENCH_OUT:-$ROOT/target/bench}
JMH_OPTS=${JMH_OPTS:--wi 4 -i 5 -w 3s -r 2s -f 1}
MAF_JMH_OPTS=${MAF_JMH_OPTS:--wi 3 -i 5 -w 5s -r 3s -f 1}
PY=/usr/bin/python3   # Debian's interpreter: it has python3-torch
mkdir -p "$OUT"
rm -f "$OUT"/jmh-*.json "$OUT"/torch-*.txt

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
  echo "groups: ${GROUPS_SEL[*]}; threads: ${THREADS[*]}"
} | tee "$OUT/machine.txt" >&2

for t in "${THREADS[@]}"; do
  for g in "${GROUPS_SEL[@]}"; do
    opts=$JMH_OPTS
    [ "$g" = maf ] && opts=$MAF_JMH_OPTS
    echo "== JMH $g, backend threads=$t ($opts)" >&2
    # shellcheck disable=SC2086
    "$FLUVIA_JAVA" $FLUVIA_JVM_FLAGS -jar "$JAR" "$(jmh_regex "$g")" \
        -t 1 -p threads="$t" $opts -jvmArgsAppend "$FLUVIA_JVM_FLAGS" \
        -rf json -rff "$OUT/jmh-$g-t$t.json" >"$OUT/jmh-$g-t$t.log" 2>&1 || { tail -n 30 "$OUT/jmh-$g-t$t.log" >&2; exit 1; }
    echo "== PyTorch peer $g, threads=$t" >&2
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t MKL_NUM_THREADS=$t $PY scripts/bench/torch_peer.py --threads "$t" --bench "$g" \
        | tee "$OUT/torch-$g-t$t.txt" >&2
  done
done

models=()
for g in "${GROUPS_SEL[@]}"; do m=$(peak_model "$g"); [ -n "$m" ] && models+=("$m"); done
if [ ${#models[@]} -gt 0 ]; then
  echo "== peak pooled memory per MemoryMode (${models[*]})" >&2
  # shellcheck disable=SC2086
  "$FLUVIA_JAVA" $FLUVIA_JVM_FLAGS -cp "$JAR" dev.fluvia.bench.PeakMemory "${models[@]}" 2>/dev/null | tee "$OUT/peak-memory.txt" >&2
fi

$PY scripts/bench/table.py "$OUT" "${THREADS[@]}" | tee "$OUT/table.md"
