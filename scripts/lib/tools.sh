# Sourced by the project's commands: makes sure Node 20+ and the pinned pnpm are there, and installs the workspace.
# shellcheck shell=bash

tools_say() { printf '%s\n' "$*" >&2; }

ensure_node() {
  command -v node >/dev/null || { tools_say "Node.js 20 or newer is needed (not found on PATH)"; exit 1; }
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || { tools_say "Node.js 20 or newer is needed (found $(node --version))"; exit 1; }
}

ensure_pnpm() {
  local want; want=$(node -p "require('./package.json').packageManager.split('@')[1]")
  if [ "$(pnpm --version 2>/dev/null || true)" = "$want" ]; then return 0; fi
  tools_say "installing pnpm $want (pinned in package.json)"
  if ! npm install -g --no-fund --no-audit "pnpm@$want" >/dev/null 2>&1; then
    corepack enable && corepack prepare "pnpm@$want" --activate
  fi
  hash -r
  [ "$(pnpm --version 2>/dev/null || true)" = "$want" ] || { tools_say "could not install pnpm $want"; exit 1; }
}

ensure_workspace() {
  ensure_node
  ensure_pnpm
  # Quick when nothing changed; on a fresh machine this is where the packages (chdb's engine is ~550 MB) arrive.
  pnpm install --frozen-lockfile --prefer-offline --reporter=append-only 2>&1 | grep -v '^Progress' >&2 || {
    tools_say "pnpm install failed"; exit 1; }
}

# Headless Chromium for the browser tests (Debian's package; test tools may not download browsers here).
ensure_chromium() {
  command -v chromium >/dev/null && return 0
  say() { printf '%s\n' "test: $*" >&2; }
  die() { printf '%s\n' "test: ERROR: $*" >&2; exit 1; }
  # shellcheck source=scripts/lib/apt.sh
  source scripts/lib/apt.sh
  apt_install chromium
}
