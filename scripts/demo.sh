#!/usr/bin/env bash
# The main-job command (README, Quick start): installs what is missing, brings up Kafka, Redis and ClickHouse, and
# runs the pipeline on simulated B2B traffic until the summary (options go to scripts/demo.ts: --companies N,
# --seed S, --live-events N, --rate R, --follow).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/tools.sh
source scripts/lib/tools.sh
ensure_workspace
bash scripts/services.sh up
exec pnpm exec tsx scripts/demo.ts "$@"
