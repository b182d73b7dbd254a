#!/usr/bin/env bash
# Load test of the scoring server (java/fluvia-server) with wrk on loopback, bounded in time.
#   scripts/bench/wrk-server.sh [MODEL] [DURATION_S] [CONNECTIONS...]
#   default: runs/moons/model.safetensors, 10 s per point, connections 1 4 16 64
# Starts `scripts/fluvia serve` on 127.0.0.1:$PORT (default 18080), waits for /health, then for each body
#   json-1    POST /v1/logprob  {"rows": [[x, y]]}             (one row: goes through the BatchingScorer)
#   bin-1     POST /v1/logprob  8 bytes of float32 (one row)    (idem)
#   json-256  POST /v1/logprob  256 rows as JSON                (one direct FlowModel.logProb call)
#   bin-256   POST /v1/logprob  256 rows of little-endian float32
# and each connection count runs `wrk -t2 -cC -dD --latency` (after a 3 s warm-up per body) and prints a Markdown row:
# requests/s, rows/s, p50, p99, non-2xx count. Output (raw wrk text + the table) in target/bench/wrk/ (BENCH_OUT=dir).
# wrk and the server share the machine's cores: on a small machine the load generator takes CPU from the server.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
MODEL=${1:-runs/moons/model.safetensors}
DUR=${2:-10}
shift $(( $# > 2 ? 2 : $# )) || true
CONNS=("$@"); [ ${#CONNS[@]} -gt 0 ] || CONNS=(1 4 16 64)
PORT=${PORT:-18080}
OUT=${BENCH_OUT:-$ROOT/target/bench/wrk}
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
[ -f "$MODEL" ] || { echo "no model $MODEL (scripts/fluvia demo writes runs/moons/model.safetensors)" >&2; exit 1; }

scripts/fluvia serve --model "$MODEL" --port "$PORT" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -sf "127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.5
done
DIM=$(curl -sf "127.0.0.1:$PORT/model" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["dimension"])')

# bodies: standard-normal rows (seeded), JSON and little-endian float32
/usr/bin/python3 - "$OUT" "$DIM" <<'PY'
import json, random, struct, sys
out, d = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1)
for n in (1, 256):
    rows = [[round(rnd.gauss(0, 1), 6) for _ in range(d)] for _ in range(n)]
    open(f"{out}/json-{n}.body", "w").write(json.dumps({"rows": rows}))
    open(f"{out}/bin-{n}.body", "wb").write(b"".join(struct.pack("<%df" % d, *r) for r in rows))
PY

echo "load before: $(uptime)" | tee "$OUT/load.txt"
TABLE="$OUT/table.md"
{
  echo "| body | connections | requests/s | rows/s | p50 | p99 | non-2xx |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
} > "$TABLE"
for body in json-1 bin-1 json-256 bin-256; do
  case $body in json-*) type=application/json ;; *) type=application/octet-stream ;; esac
  rows=${body#*-}
  export WRK_BODY="$OUT/$body.body" WRK_TYPE=$type
  wrk -t2 -c4 -d3s -s scripts/bench/wrk/body.lua "http://127.0.0.1:$PORT/v1/logprob" > /dev/null   # warm-up
  for c in "${CONNS[@]}"; do
    t=$(( c < 2 ? 1 : 2 ))
    raw="$OUT/$body-c$c.txt"
    wrk -t$t -c$c -d${DUR}s --timeout 10s --latency -s scripts/bench/wrk/body.lua "http://127.0.0.1:$PORT/v1/logprob" > "$raw"
    rps=$(awk '/^Requests\/sec/ {print $2}' "$raw")
    p50=$(awk '$1=="50%" {print $2}' "$raw")
    p99=$(awk '$1=="99%" {print $2}' "$raw")
    bad=$(awk '/Non-2xx/ {print $NF}' "$raw"); bad=${bad:-0}
    rps_rows=$(/usr/bin/python3 -c "print(f'{float(\"$rps\") * $rows:,.0f}')")
    echo "| $body | $c | $rps | $rps_rows | $p50 | $p99 | $bad |" | tee -a "$TABLE"
  done
done
echo "load after: $(uptime)" | tee -a "$OUT/load.txt"
echo "table: $TABLE"
