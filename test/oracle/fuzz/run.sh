#!/usr/bin/env bash
# Random differential runs against Go: generated templates (expressions; structure with
# mutations that make parse errors) rendered by the Go oracle and by TemplateSet.
# Usage: test/oracle/fuzz/run.sh [SEED...]   (default seeds 1 2 3; 3000 cases each)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/../build.sh" "$work/oracle"
(cd "$root" && npx esbuild "$here/runner.ts" --bundle --platform=node --format=esm --log-level=error \
  --outfile="$work/runner.mjs" \
  "--banner:js=import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);")
for seed in "${@:-1 2 3}"; do
  for gen in gen_expr.py "gen_struct.py"; do
    if [ "$gen" = gen_struct.py ]; then python3 "$here/$gen" "$seed" 3000 0.5 >"$work/c.json"; else python3 "$here/$gen" "$seed" 3000 >"$work/c.json"; fi
    "$work/oracle" "$work/c.json" >"$work/go.jsonl"
    node "$work/runner.mjs" "$work/c.json" >"$work/ts.jsonl"
    echo "seed $seed $gen: $(python3 "$here/compare.py" "$work" 10 | tail -1)"
  done
done
