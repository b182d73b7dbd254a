#!/usr/bin/env bash
# Runs inside a bundle made by scripts/gpu/bundle.sh (no Java needed on the machine):
# the stages listed below (parity tests, discovery tests, kernel benchmark, Glow step vs PyTorch, GPU digits training),
# then a summary with each stage's exit status. Without a GPU the parity stage fails (its tests name the missing piece)
# and the other gpu stages skip with one line each; a JUnit stage that ran zero tests counts as failed.
# Extra args are passed to the kernel benchmark (batch size). Exit status: non-zero when a stage failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
java="$here/runtime/bin/java"
cp=$(find "$here/lib" -name '*.jar' ! -name 'junit-platform-console-standalone*' | sort | tr '\n' ':')
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m)
console=("$java" "${flags[@]}" -jar "$here"/lib/junit-platform-console-standalone-*.jar execute --class-path "$cp"
         --disable-banner --details=tree)
console_gpu=("$java" "${flags[@]}" -Dfluvia.requireGpu=true -jar "$here"/lib/junit-platform-console-standalone-*.jar execute
             --class-path "$cp" --disable-banner --details=tree)
log="$here/gpu-suite.log"
: > "$log"
# Stages (STAGES=parity,avail,kernels,glow,digits selects some; default all). One failing stage does not stop the others.
#   parity   every `gpu`-tagged test: op parity (CudaParityTest: every op family's entries) and whole training runs CUDA vs CPU
#            (GpuTrainingParityTest: RealNVP moons 200 steps, small image Glow logProb + 50 steps)
#   avail    CudaAvailabilityTest (library discovery, error messages)
#   kernels  KernelBenchmark (per-kernel time, GB/s, % of peak)
#   glow     one Glow step 12x16x16 width 512 batch 64: fluvia bench-glow --backend cuda vs scripts/bench/torch_glow.py
#            on the same GPU, eager and torch.compile
#   digits   the digits Glow trained on the GPU (held-out bits/dim and wall time), data from the bundle's digits.csv.gz
stages=",${STAGES:-parity,avail,kernels,glow,digits},"
want() { [[ "$stages" == *",$1,"* ]]; }
declare -A rc
header() { printf '\n================ %s ================\n' "$*" | tee -a "$log"; }
gpu_ok=0
"$java" "${flags[@]}" -cp "$cp" dev.fluvia.backend.cuda.CudaProbeMain >/dev/null 2>&1 && gpu_ok=1
py=$(command -v python3 || true)

# A JUnit stage: runs the console launcher, then reads its counts ("[ N tests successful ]", "[ N tests failed ]"); a stage
# that ran no test at all (everything skipped, aborted or not found) counts as failed: "ran 0 tests".
junit_stage() {
  local name=$1; shift
  local out; out=$(mktemp)
  "$@" 2>&1 | tee -a "$log" "$out"; local r=${PIPESTATUS[0]}
  local ok failed
  ok=$(sed -n 's/^\[ *\([0-9][0-9]*\) tests successful.*/\1/p' "$out" | tail -1)
  failed=$(sed -n 's/^\[ *\([0-9][0-9]*\) tests failed.*/\1/p' "$out" | tail -1)
  rm -f "$out"
  if [ $(( ${ok:-0} + ${failed:-0} )) -eq 0 ]; then
    echo "$name: ran 0 tests (successful ${ok:-?}, failed ${failed:-?}): counted as a failure" | tee -a "$log"
    rc[$name]="ran-0-tests"
  else
    rc[$name]=$r
  fi
}
if want parity; then
  header "parity: gpu-tagged JUnit tests"
  # the gpu group is asked for explicitly: without a usable GPU the tests fail (naming the missing piece) instead of skipping
  junit_stage parity "${console_gpu[@]}" --select-package dev.fluvia --include-tag gpu
fi
if want avail; then
  header "avail: CudaAvailabilityTest"
  junit_stage avail "${console[@]}" --select-class dev.fluvia.cuda.CudaAvailabilityTest
fi
if want kernels; then
  header "kernels: KernelBenchmark"
  if [ $gpu_ok = 1 ]; then
    "$java" "${flags[@]}" -cp "$cp" dev.fluvia.backend.cuda.KernelBenchmark "$@" 2>&1 | tee -a "$log"; rc[kernels]=${PIPESTATUS[0]}
  else echo "kernels: skipped, no usable GPU" | tee -a "$log"; rc[kernels]=skipped; fi
fi
if want glow; then
  header "glow: one Glow step, Fluvia CUDA vs PyTorch on the same GPU"
  if [ $gpu_ok = 1 ]; then
    glow_args=(--channels 12 --size 16 --width 512 --batch 64 --iters 10 --warmup 3)
    "$java" "${flags[@]}" -cp "$cp" dev.fluvia.cli.Main bench-glow --backend cuda "${glow_args[@]}" 2>&1 | tee -a "$log"; r1=${PIPESTATUS[0]}
    r2=skipped
    if [ -n "$py" ]; then "$py" "$here/torch_glow.py" --device cuda --compile "${glow_args[@]}" 2>&1 | tee -a "$log"; r2=${PIPESTATUS[0]}
    else echo "glow: no python3 for the PyTorch peer" | tee -a "$log"; fi
    rc[glow]="fluvia=$r1,torch=$r2"
  else echo "glow: skipped, no usable GPU" | tee -a "$log"; rc[glow]=skipped; fi
fi
if want digits; then
  header "digits: Glow L=2 K=4 width 64, 30 epochs, trained on the GPU"
  if [ $gpu_ok = 1 ] && [ -f "$here/data/digits.csv.gz" ]; then
    out=$(mktemp -d)
    FLUVIA_DATA_DIGITS="$here/data/digits.csv.gz" "$java" "${flags[@]}" -cp "$cp" dev.fluvia.cli.Main train --data digits --flow glow \
        --levels 2 --steps-per-level 4 --width 64 --epochs 30 --lr 3e-3 --backend cuda --no-plots --grid 0 --quiet --out "$out" 2>&1 | tee -a "$log"
    rc[digits]=${PIPESTATUS[0]}
    grep -E '^  "(test_bits_per_dim|wall_seconds|samples_per_second)"|"val_bits_per_dim"' "$out/metrics.json" 2>/dev/null | tail -4 | tee -a "$log"
  else echo "digits: skipped (no usable GPU, or no data/digits.csv.gz in the bundle)" | tee -a "$log"; rc[digits]=skipped; fi
fi

echo
echo "================ Fluvia GPU suite summary ================"
"$java" "${flags[@]}" -cp "$cp" dev.fluvia.backend.cuda.CudaProbeMain 2>&1 | sed 's/^/  /'
fail=0
for st in parity avail kernels glow digits; do
  want "$st" || continue
  printf '  %-10s exit %s\n' "$st" "${rc[$st]}"
  [[ "${rc[$st]}" =~ ^(0|skipped|fluvia=0,torch=(0|skipped))$ ]] || fail=1
done
grep -E 'tests (successful|failed|skipped|aborted)' "$log" | sed 's/^/  /'
echo "  full log: $log"
exit $fail
