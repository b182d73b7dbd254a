#!/usr/bin/env bash
# Runs JCudaSmoke.java with JCuda's own native library loading the emulator's libcuda.so.1.
#   jcuda_smoke.sh <dir with libcuda.so.1> [more library dirs...]      exit 77 = skipped (no java or no JCuda jars)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
libdirs=$(IFS=:; echo "$*")
java=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
[ -x "$java" ] || java=$(command -v java || true)
m2=${M2_REPO:-$HOME/.m2/repository}/org/jcuda
jars="$m2/jcuda/12.6.0/jcuda-12.6.0.jar:$m2/jcuda-natives/12.6.0/jcuda-natives-12.6.0-linux-x86_64.jar"
if [ -z "$java" ] || [ ! -f "$m2/jcuda/12.6.0/jcuda-12.6.0.jar" ]; then echo "skipped: no java or no JCuda 12.6.0 jars"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# JCuda extracts its native library to java.io.tmpdir; a private one keeps parallel runs apart.
LD_LIBRARY_PATH="$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" FLUVIA_EMU_COVERAGE_FILE=/dev/null \
  "$java" --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir="$tmp" -cp "$jars" "$here/JCudaSmoke.java"
