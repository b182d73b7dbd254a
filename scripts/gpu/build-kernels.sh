#!/usr/bin/env bash
# Builds kernels/*.cu into build/fluvia_kernels.fatbin with CMake + nvcc (prints ptxas register/spill reports).
# Maven picks the fatbin up from build/ (java/fluvia-core/pom.xml adds it as a resource dev/fluvia/cuda/fluvia_kernels.fatbin).
# Without nvcc this succeeds and says the build is CPU-only.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build --parallel "$(nproc)" -- VERBOSE=${VERBOSE:-0}
if [ -f build/fluvia_kernels.fatbin ]; then
  echo "fatbin: build/fluvia_kernels.fatbin ($(stat -c %s build/fluvia_kernels.fatbin) bytes); rebuild the jar (mvn package) to embed it"
else
  echo "no fatbin built (nvcc not found): CPU-only"
fi
