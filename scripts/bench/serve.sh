#!/usr/bin/env bash
# Serving benchmarks: Fluvia's FlowModel vs ONNX Runtime Java (same JMH harness) vs plain PyTorch, same weights.
#   scripts/bench/serve.sh [ROUNDS] [THREADS...]          (default: 2 rounds, threads 1 2)
# Models (ServeModels): RealNVP 2-D, 8 couplings, hidden 64; MAF D = 8, 5 layers, hidden 512.
#  1. builds java/bench (JMH + ONNX Runtime Java) and writes the models and check data (ServeModels);
#  2. serve_peer.py --export rebuilds each model in PyTorch from the checkpoint, checks log p against Fluvia's, and exports
#     ONNX; ServeBench's setup checks ORT's log p the same way;
#  3. per round, per thread count T: JMH ServeBench (Fluvia and ORT, threads=T), then serve_peer.py --threads T: the sides
#     alternate through the run, so a change in machine load hits all of them;
#     Then, per round, the same calls timed in CPU time of the calling thread at 1 thread (ServeCpuTime for Fluvia and ORT,
#     serve_peer.py --cpu for PyTorch): the per-core cost of a call whatever else the machine runs;
#  4. serve_table.py prints the tables. Output in target/bench/serve/ (BENCH_OUT=dir); JMH_OPTS overrides the JMH settings.
# JMH refuses to start while another JMH run holds /tmp/jmh.lock (another benchmark on the machine); that wall-time
# point is then skipped with a message (the CPU-time measurements do not use JMH).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. scripts/jdk.sh
ROUNDS=${1:-2}
shift || true
THREADS=("$@"); [ ${#THREADS[@]} -gt 0 ] || THREADS=(1 2)
OUT=${BENCH_OUT:-$ROOT/target/bench/serve}
JMH_OPTS=${JMH_OPTS:--f 1 -wi 4 -w 2s -i 5 -r 1s}
mkdir -p "$OUT"
(mvn -B -q -ntp -pl java/bench -am -DskipTests package >&2)
JAR=java/bench/target/fluvia-bench.jar
"$FLUVIA_JAVA" $FLUVIA_JVM_FLAGS -cp "$JAR" dev.fluvia.bench.ServeModels "$OUT"
/usr/bin/python3 scripts/bench/serve_peer.py "$OUT" --threads 1 --export --single-calls 100 --batch-repeats 1 > "$OUT/export.txt"
cat "$OUT/export.txt"
echo "load before: $(uptime)" | tee "$OUT/load.txt"
for r in $(seq 1 "$ROUNDS"); do
  for t in "${THREADS[@]}"; do
    if "$FLUVIA_JAVA" $FLUVIA_JVM_FLAGS -Dfluvia.serve.dir="$OUT" -jar "$JAR" 'dev.fluvia.bench.ServeBench' $JMH_OPTS \
        -jvmArgsAppend "$FLUVIA_JVM_FLAGS -Dfluvia.serve.dir=$OUT" -p threads="$t" -rf json -rff "$OUT/jmh-serve-r$r-t$t.json" \
        > "$OUT/jmh-serve-r$r-t$t.txt" 2>&1; then
      echo "round $r threads $t: JMH done ($(uptime))" | tee -a "$OUT/load.txt"
    else
      echo "round $r threads $t: JMH failed, skipped: $(grep -m1 ERROR "$OUT/jmh-serve-r$r-t$t.txt")" | tee -a "$OUT/load.txt"
      rm -f "$OUT/jmh-serve-r$r-t$t.json"
    fi
    /usr/bin/python3 scripts/bench/serve_peer.py "$OUT" --threads "$t" > "$OUT/torch-serve-r$r-t$t.txt"
    cat "$OUT/torch-serve-r$r-t$t.txt"
  done
  "$FLUVIA_JAVA" $FLUVIA_JVM_FLAGS -cp "$JAR" dev.fluvia.bench.ServeCpuTime "$OUT" 1 | sed "s/round=1/round=$r/" | tee "$OUT/cpu-java-r$r.txt"
  /usr/bin/python3 scripts/bench/serve_peer.py "$OUT" --threads 1 --cpu | tee "$OUT/cpu-torch-r$r.txt"
  echo "round $r: CPU-time runs done ($(uptime))" | tee -a "$OUT/load.txt"
done
echo "load after: $(uptime)" | tee -a "$OUT/load.txt"
/usr/bin/python3 scripts/bench/serve_table.py "$OUT" | tee "$OUT/table.md"
