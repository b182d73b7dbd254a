#!/usr/bin/env bash
# Reverse-KL benchmark of docs/BENCHMARKS.md ("Reverse KL: fit-target"): every flow family on U1–U4 (log Z reference:
# the grid integral of fit-target's metrics), then banana, mixture and gauss:D against their exact log Z. Prints one markdown row per run;
# each run's files go to $OUT/<target>-<flow>/. Usage: scripts/bench/fit-target.sh [OUT] (default runs/bench-fit-target).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-runs/bench-fit-target}
threads=${THREADS:-1}
run() {  # target flow steps [extra options...]
  local t=$1 f=$2 s=$3; shift 3
  local dir="$out/${t//:/}-$f"
  "$root/scripts/fluvia" fit-target --target "$t" --flow "$f" --steps "$s" --threads "$threads" --eval-samples 20000 \
      --out "$dir" --quiet "$@" >/dev/null
  python3 - "$dir/metrics.json" "$*" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
ref = m["exact_log_z"] if m["exact_log_z"] is not None else m["grid_log_z"]
kind = "exact" if m["exact_log_z"] is not None else "grid"
print(f"| {m['target']} | {m['flow']} {sys.argv[2]} | {m['parameters']} | {m['steps']} | {m['loss']:.4f} | {m['log_z_estimate']:.4f} | {ref:.4f} ({kind}) | {m['log_z_estimate'] - ref:+.4f} | {m['kl_q_p']:.4f} | {100 * m['ess_fraction']:.1f}% | {m['wall_seconds']:.0f} |")
PY
}
echo "| target | flow | params | steps | loss (−ELBO) | log Z estimate | reference log Z | error | KL(q‖p) | ESS | fit s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for t in u1 u2 u3 u4; do
  run "$t" planar 2000
  run "$t" radial 2000
  run "$t" sylvester 1000
  run "$t" realnvp 1000 --layers 4 --hidden 32
  run "$t" iaf 1000 --layers 4 --hidden 32
  run "$t" maf 1000 --layers 4 --hidden 32
done
run banana planar 2000
run banana sylvester 1000
run mixture planar 2000
run mixture realnvp 1000 --layers 4 --hidden 32
run gauss:2 iaf 1000 --layers 4 --hidden 32
run gauss:2 sylvester 1000
run gauss:8 iaf 1000 --layers 4 --hidden 32
