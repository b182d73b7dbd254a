#!/usr/bin/env bash
# Runs BackendSmoke.java: Fluvia's own CUDA backend (java/fluvia-core/target/classes, built by `mvn compile`) on the emulator.
#   backend_smoke.sh <build dir>          exit 77 = skipped (no java, no compiled classes or no JCuda jars)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
root=$(cd "$here/../../.." && pwd)
java=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
m2=${M2_REPO:-$HOME/.m2/repository}
classes=$root/java/fluvia-core/target/classes
if [ ! -x "$java" ] || [ ! -d "$classes/dev/fluvia/backend/cuda" ] || [ ! -f "$m2/org/jcuda/jcuda/12.6.0/jcuda-12.6.0.jar" ]; then
  echo "skipped: needs $java, $classes (mvn compile) and the JCuda jars"; exit 77
fi
cp="$build/emu/module:$classes:$m2/org/jcuda/jcuda/12.6.0/jcuda-12.6.0.jar:$m2/org/jcuda/jcuda-natives/12.6.0/jcuda-natives-12.6.0-linux-x86_64.jar"
for j in "$m2"/com/fasterxml/jackson/core/*/*/*.jar "$m2"/info/picocli/picocli/*/*.jar; do cp="$cp:$j"; done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
LD_LIBRARY_PATH="$build/emu/lib" FLUVIA_EMU_COVERAGE_FILE=${FLUVIA_EMU_COVERAGE_FILE:-/dev/null} \
  "$java" --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir="$tmp" -cp "$cp" "$here/BackendSmoke.java"
