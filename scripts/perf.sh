#!/usr/bin/env bash
# Reproduces the figures in docs/PERFORMANCE.md: benchmarks, regen timings, build times.
# Usage: scripts/perf.sh [--skip-builds | --builds-only]   (run on an otherwise idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== machine"; nproc; grep -m1 'model name' /proc/cpuinfo || true; rustc --version

if [ "${1:-}" != "--builds-only" ]; then
echo "== criterion benchmarks"
cargo bench -p sourcing-tests --bench client 2>&1 | grep -E 'time:|percentiles|^[a-z_]+/' 

echo "== regen (xtask already built), 5 runs each"
cargo build -q -p xtask
for i in 1 2 3 4 5; do /usr/bin/time -f "regen %es" cargo xtask regen 2>&1 | tail -1; done
for i in 1 2 3 4 5; do /usr/bin/time -f "regen --check %es" cargo xtask regen --check 2>&1 | tail -1; done

echo "== sandbox load"
cargo bench -p sourcing-tests --bench sandbox_load 2>&1 | grep sandbox_load
fi

if [ "${1:-}" != "--skip-builds" ]; then
  echo "== build times (separate target dir, dev profile)"
  T=$(mktemp -d)
  for crate in $(ls generated | grep -v '\.md$'); do
    rm -rf "$T"
    /usr/bin/time -f "clean build of $crate (with deps) %es" cargo build -q -p "$crate" --target-dir "$T" 2>&1 | tail -1
    # One spec field changed (info.version, which the client embeds), regenerated, rebuilt.
    spec=specs/$crate.yaml; cp "$spec" "$spec.bak"
    trap 'mv "$spec.bak" "$spec"; cargo xtask regen >/dev/null 2>&1' EXIT
    sed -i 's/^  version: "\(.*\)"$/  version: "\1-changed"/' "$spec"
    cargo xtask regen
    /usr/bin/time -f "incremental build of $crate after one spec field changed %es" cargo build -q -p "$crate" --target-dir "$T" 2>&1 | tail -1
    mv "$spec.bak" "$spec"; trap - EXIT; cargo xtask regen >/dev/null 2>&1
  done
  rm -rf "$T"; /usr/bin/time -f "clean build of the whole workspace (all targets) %es" cargo build -q --workspace --all-targets --target-dir "$T" 2>&1 | tail -1
  rm -rf "$T"
fi
