#!/usr/bin/env bash
# Whole-process, whole-corpus comparison, both measured in the same run on this machine:
#   cfn-lint 1.58.0 (installed into a virtualenv from PyPI) on every template in one call,
#   `archlens analyze` (release build) on the same files in one call.
# Usage: bash bench/corpus-vs-cfn-lint.sh [RUNS]   (RUNS of archlens, default 10; cfn-lint runs once)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
CORPUS=tests/corpus/templates
files=("$CORPUS"/*.yaml "$CORPUS"/*.json)
VENV=${VENV:-target/bench-venv}
if [ ! -x "$VENV/bin/cfn-lint" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet cfn-lint==1.58.0
fi
cargo build --release --quiet -p archlens
now() { date +%s.%N; }
t0=$(now); "$VENV/bin/cfn-lint" --format parseable -- "${files[@]}" >/dev/null 2>&1 || true; t1=$(now)
cfn=$(echo "$t1 - $t0" | bc -l)
best=999999
for _ in $(seq "$RUNS"); do
  t0=$(now); target/release/archlens analyze "${files[@]}" --format json >/dev/null; t1=$(now)
  t=$(echo "$t1 - $t0" | bc -l)
  best=$(echo "if ($t < $best) $t else $best" | bc -l)
done
printf 'templates: %d\n' "${#files[@]}"
printf 'cfn-lint 1.58.0: %.2f s\n' "$cfn"
printf 'archlens (best of %d): %.4f s\n' "$RUNS" "$best"
printf 'ratio: archlens is %.0fx faster\n' "$(echo "$cfn / $best" | bc -l)"
