# Installing Debian packages the project needs (sourced by services.sh and test.sh). Needs say() and die().
# shellcheck shell=bash

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi; }

apt_install() { # packages…
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} from Debian's packages"
  # One `apt-get update` per machine: its lists are what the install resolves against.
  if [ ! -f /var/lib/apt/periodic/leadscore-updated ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
    as_root mkdir -p /var/lib/apt/periodic && as_root touch /var/lib/apt/periodic/leadscore-updated
  fi
  # The packages try to start their own services through invoke-rc.d; there is no init system to do that here.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

