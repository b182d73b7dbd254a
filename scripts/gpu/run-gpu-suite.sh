#!/usr/bin/env bash
# Runs inside a bundle made by scripts/gpu/bundle.sh (no Java needed on the machine):
#   1. the whole `gpu`-tagged JUnit suite (CUDA vs CPU parity for every op; prints per-op max error),
#   2. the CUDA discovery tests (CudaAvailabilityTest),
#   3. the kernel benchmark (only when a GPU is usable),
# then a summary table. Without a GPU the parity suite skips with one line and the benchmark is not run.
# Extra args are passed to the benchmark (batch size). Exit status: non-zero when a test failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
java="$here/runtime/bin/java"
cp=$(find "$here/lib" -name '*.jar' ! -name 'junit-platform-console-standalone*' | sort | tr '\n' ':')
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m)
console=("$java" "${flags[@]}" -jar "$here"/lib/junit-platform-console-standalone-*.jar execute --class-path "$cp"
         --disable-banner --details=tree)
log="$here/gpu-suite.log"
: > "$log"
"${console[@]}" --select-package dev.fluvia --include-tag gpu 2>&1 | tee -a "$log"
gpu_rc=${PIPESTATUS[0]}
"${console[@]}" --select-class dev.fluvia.cuda.CudaAvailabilityTest 2>&1 | tee -a "$log"
avail_rc=${PIPESTATUS[0]}
bench_rc=skipped
if "$java" "${flags[@]}" -cp "$cp" dev.fluvia.backend.cuda.CudaProbeMain >/dev/null 2>&1; then
  "$java" "${flags[@]}" -cp "$cp" dev.fluvia.backend.cuda.KernelBenchmark "$@" 2>&1 | tee -a "$log"
  bench_rc=${PIPESTATUS[0]}
fi
echo
echo "================ Fluvia GPU suite summary ================"
"$java" "${flags[@]}" -cp "$cp" dev.fluvia.backend.cuda.CudaProbeMain 2>&1 | sed 's/^/  /'
printf '  %-28s %s\n' "gpu-tagged suite (exit)" "$gpu_rc" "CudaAvailabilityTest (exit)" "$avail_rc" "kernel benchmark (exit)" "$bench_rc"
grep -E 'tests (successful|failed|skipped|aborted)' "$log" | sed 's/^/  /'
echo "  full log: $log"
[ "$gpu_rc" = 0 ] && [ "$avail_rc" = 0 ] && { [ "$bench_rc" = 0 ] || [ "$bench_rc" = skipped ]; }
