#!/usr/bin/env bash
# Mutation testing, one area at a time (see stryker.config.mjs and docs/contributing.md).
# Usage: npm run mutate [-- <area> ...] [-- --mutate <glob>]; no area: every area in turn.
set -euo pipefail
areas=()
while [[ $# -gt 0 && $1 != -* ]]; do areas+=("$1"); shift; done
if [[ ${#areas[@]} -eq 0 ]]; then
  areas=(rescue response redact execution async-codec async-jobs validation service events globalid module-options)
fi
for area in "${areas[@]}"; do
  echo "== mutation testing: $area"
  start=$(date +%s)
  STRYKER_AREA="$area" npx stryker run stryker.config.mjs "$@"
  echo "== $area: $(($(date +%s) - start)) s"
done
