#!/usr/bin/env bash
# Builds .bundle/ : everything a GPU machine WITHOUT Java needs to run the CUDA proof:
#   runtime/   a jlinked Temurin 25 runtime (only the modules the jars need)
#   lib/       fluvia-core.jar (with the kernel fatbin inside), fluvia-cli.jar, fluvia-tests.jar, their dependencies,
#              junit-platform-console-standalone
#   fluvia_kernels.fatbin   (a copy, for inspection with cuobjdump)
#   run-gpu-suite.sh        runs the stages (gpu-tagged tests, kernel benchmark, Glow step vs PyTorch, GPU digits
#                           training; STAGES=... selects) and prints a summary
#   torch_glow.py, data/digits.csv.gz   the PyTorch peer and the digits data for those stages
# Then: tar/copy .bundle to the GPU machine and run ./run-gpu-suite.sh there. Target size < 64 MiB.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/jdk.sh"
cd "$root"
out="$root/.bundle"
JUNIT_CONSOLE_VERSION=1.11.4   # the JUnit Platform release matching junit-bom 5.11.4 in the root pom
rm -rf "$out"; mkdir -p "$out/lib"

scripts/gpu/build-kernels.sh | tail -1
[ -f build/fluvia_kernels.fatbin ] && cp build/fluvia_kernels.fatbin "$out/" || echo "bundle: WARNING: no fatbin (nvcc missing): the bundle can only run CPU-side checks"

mvn -B -q -ntp -pl tests -am package -DskipTests \
    dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$out/lib" \
    -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian,dev.fluvia
cp java/fluvia-core/target/fluvia-core-*.jar java/fluvia-cli/target/fluvia-cli-*.jar "$out/lib/" 2>/dev/null || true
rm -f "$out"/lib/fluvia-all*.jar "$out"/lib/original-*.jar
"$JAVA_HOME/bin/jar" --create --file "$out/lib/fluvia-tests.jar" -C tests/target/test-classes .
mvn -B -q -ntp dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT_CONSOLE_VERSION \
    -DoutputDirectory="$out/lib"
# JCuda's natives jar carries NVRTC/nvPTXCompiler bindings (24 MB) Fluvia never loads: keep only the driver's.
for nj in "$out"/lib/jcuda-natives-*.jar; do
  [ -f "$nj" ] || continue
  tmp=$(mktemp -d); (cd "$tmp" && "$JAVA_HOME/bin/jar" xf "$nj" && rm -f lib/libJNvPTXCompiler* lib/libJNvrtc* lib/libJCudaRuntime* \
    && "$JAVA_HOME/bin/jar" --create --file "$nj" .); rm -rf "$tmp"
done

# The GPU suite and the benchmark need no plotting/PDF (xchart → java.desktop) and no java.sql: keep the runtime minimal.
rm -f "$out"/lib/xchart-*.jar "$out"/lib/pdfbox*.jar "$out"/lib/fontbox-*.jar "$out"/lib/graphics2d-*.jar \
      "$out"/lib/VectorGraphics2D-*.jar "$out"/lib/animated-gif-lib-*.jar "$out"/lib/commons-logging-*.jar
mods="java.base,java.logging,jdk.unsupported,jdk.incubator.vector,jdk.zipfs"  # zipfs: JUnit scans jars
echo "bundle: jlink modules: $mods"
"$JAVA_HOME/bin/jlink" --add-modules "$mods" --compress=zip-9 --strip-debug --no-header-files --no-man-pages \
    --output "$out/runtime"
cp scripts/gpu/run-gpu-suite.sh scripts/bench/torch_glow.py "$out/"
# The 8x8 digits for the GPU training stage (from Debian python3-sklearn, installed by scripts/install-data.sh; 60 KB,
# carried in the bundle only, never committed).
digits=$(ls /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz 2>/dev/null || true)
if [ -n "$digits" ]; then mkdir -p "$out/data" && cp "$digits" "$out/data/"
else echo "bundle: WARNING: no sklearn digits.csv.gz (run scripts/install-data.sh): the GPU digits stage will skip"; fi
chmod +x "$out/run-gpu-suite.sh"
echo "bundle: $out ($(du -sh "$out" | cut -f1)); run: $out/run-gpu-suite.sh"
