#!/usr/bin/env bash
# The test command (README, Quick start): installs what is missing, brings up Kafka, Redis and ClickHouse, checks
# types, and runs every test. Extra arguments go to vitest (e.g. `--project unit`, a file name, `--reporter=json`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/tools.sh
source scripts/lib/tools.sh

started=$SECONDS
step() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - started))" >&2; }

step "dependencies"
ensure_workspace
step "chromium (browser tests)"
ensure_chromium
step "services"
bash scripts/services.sh up
step "typecheck"
pnpm exec tsc -p tsconfig.json
step "tests"
pnpm exec vitest run "$@"
