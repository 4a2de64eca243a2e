#!/usr/bin/env bash
# Reproduces the figures in docs/PERFORMANCE.md: benchmarks, regen timings, build times.
# Usage: scripts/perf.sh [--skip-builds]   (run on an otherwise idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== machine"; nproc; grep -m1 'model name' /proc/cpuinfo || true; rustc --version

echo "== criterion benchmarks"
cargo bench -p sourcing-tests --bench client 2>&1 | grep -E 'time:|percentiles|^[a-z_]+/' 

echo "== regen (xtask already built), 5 runs each"
cargo build -q -p xtask
for i in 1 2 3 4 5; do /usr/bin/time -f "regen %es" cargo xtask regen 2>&1 | tail -1; done
for i in 1 2 3 4 5; do /usr/bin/time -f "regen --check %es" cargo xtask regen --check 2>&1 | tail -1; done

if [ "${1:-}" != "--skip-builds" ]; then
  echo "== build times (separate target dir, dev profile)"
  T=$(mktemp -d)
  for crate in $(ls generated | grep -v '\.md$'); do
    rm -rf "$T"; /usr/bin/time -f "clean build of $crate (with deps) %es" cargo build -q -p "$crate" --target-dir "$T" 2>&1 | tail -1
    f=generated/$crate/src/client.rs; cp "$f" "$f.bak"; echo "// touch" >> "$f"
    /usr/bin/time -f "incremental build of $crate after a one-line change %es" cargo build -q -p "$crate" --target-dir "$T" 2>&1 | tail -1
    mv "$f.bak" "$f"
  done
  rm -rf "$T"; /usr/bin/time -f "clean build of the whole workspace (all targets) %es" cargo build -q --workspace --all-targets --target-dir "$T" 2>&1 | tail -1
  rm -rf "$T"
fi
