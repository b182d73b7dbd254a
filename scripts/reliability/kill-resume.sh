#!/usr/bin/env bash
# kill -9 during training, then --resume, again and again: the finished model must score every point exactly as an
# uninterrupted run's model does (log p compared byte for byte), and no kill may leave a checkpoint that cannot resume.
#   scripts/reliability/kill-resume.sh [kills=10] [steps=1500]
# Result: docs/RELIABILITY.md ("kill -9 during training").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kills=${1:-10}
steps=${2:-1500}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flv() { "$root/scripts/fluvia" "$@"; }
common=(train --data moons --flow realnvp --steps "$steps" --checkpoint-every 25 --seed 7 --threads 1 --quiet)

echo "reference: uninterrupted run of $steps steps"
flv "${common[@]}" --out "$work/ref" >/dev/null
start=$(date +%s)
flv "${common[@]}" --out "$work/probe" >/dev/null   # a second uninterrupted run: how long a run takes here
took=$(( $(date +%s) - start + 1 ))
score() { flv logprob -m "$1/model.safetensors" -i "$root/scripts/reliability/points.csv" -o "$1/logp.csv" >/dev/null 2>&1; sha256sum < "$1/logp.csv"; }
[ "$(score "$work/ref")" = "$(score "$work/probe")" ] \
  || { echo "two uninterrupted runs differ: the comparison below would mean nothing"; exit 1; }

run="$work/run"
done_kills=0
resumes=0
RANDOM=20261201
flv "${common[@]}" --out "$run" >/dev/null 2>&1 &
pid=$!
while :; do
  # kill at a random moment within the first ~60 % of a run's time (the JVM start is included)
  sleep "$(awk -v r=$RANDOM -v t="$took" 'BEGIN { printf "%.2f", 1 + (r / 32767) * t * 0.6 }')"
  if kill -0 "$pid" 2>/dev/null && [ "$done_kills" -lt "$kills" ]; then
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    done_kills=$((done_kills + 1))
    if [ -f "$run/checkpoint.safetensors" ]; then
      resumes=$((resumes + 1))
      flv "${common[@]}" --out "$run" --resume "$run/checkpoint.safetensors" >/dev/null 2>&1 &
    else
      flv "${common[@]}" --out "$run" >/dev/null 2>&1 &   # killed before the first checkpoint: start again
    fi
    pid=$!
  else
    wait "$pid"
    break
  fi
done
echo "kills: $done_kills, resumes from a checkpoint: $resumes"
a=$(score "$work/ref")
b=$(score "$run")
if [ "$a" = "$b" ]; then
  echo "PASS: after $done_kills kill -9s the model's log p equals the uninterrupted run's on every point (sha256 ${a%% *})"
else
  echo "FAIL: the resumed model differs from the uninterrupted one"
  exit 1
fi
