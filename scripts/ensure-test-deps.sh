#!/usr/bin/env bash
# Makes sure the programs the integration/e2e tests run are installed (Debian/Ubuntu).
# Idempotent and quick when everything is present: it only checks commands.
#   - root with apt-get: installs what is missing (one `apt-get update`, then one install).
#   - otherwise: exits 1 and names the packages to install.
set -euo pipefail

# "command-or-path package" pairs. dockerd and the docker CLI are checked separately: the CLI may come from
# elsewhere (e.g. /usr/local/bin/docker) while the daemon is missing.
checks=(
  "/usr/sbin/sshd openssh-server"
  "ssh openssh-client"
  "ssh-keygen openssh-client"
  "tmux tmux"
  "dockerd docker.io"
  "docker docker.io"
  "busybox busybox-static"
  "git git"
  "pgrep procps"
  "ip iproute2"
  "iptables iptables"
  "fish fish"
  "tcsh tcsh"
  "zsh zsh"
  "faketime faketime"
)

have() {
  case "$1" in
    /*) [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] ;;
  esac
}

# busybox must be the static build: the worker image copies it into a rootfs with no libraries.
busybox_ok() {
  local bb
  bb=$(command -v busybox 2>/dev/null) || return 1
  if command -v file >/dev/null 2>&1; then
    file -L "$bb" | grep -q 'statically linked'
  elif command -v ldd >/dev/null 2>&1; then
    ! ldd "$bb" >/dev/null 2>&1
  else
    return 0
  fi
}

missing_cmds=()
missing_pkgs=()
add_pkg() {
  local p
  for p in "${missing_pkgs[@]}"; do [ "$p" = "$1" ] && return 0; done
  missing_pkgs+=("$1")
}
check_all() {
  missing_cmds=()
  missing_pkgs=()
  local entry cmd pkg
  for entry in "${checks[@]}"; do
    cmd=${entry% *}
    pkg=${entry#* }
    if [ "$cmd" = busybox ]; then
      busybox_ok && continue
    else
      have "$cmd" && continue
    fi
    missing_cmds+=("$cmd")
    add_pkg "$pkg"
  done
}

check_all
if [ ${#missing_pkgs[@]} -eq 0 ]; then
  echo "ensure-test-deps: all present"
  exit 0
fi

echo "ensure-test-deps: missing ${missing_cmds[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-deps: cannot install (need root and apt-get); install these packages:" >&2
  echo "  apt-get install -y --no-install-recommends ${missing_pkgs[*]}" >&2
  exit 1
fi

echo "ensure-test-deps: apt-get update"
apt-get update -qq >/dev/null
echo "ensure-test-deps: apt-get install ${missing_pkgs[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null

check_all
if [ ${#missing_pkgs[@]} -ne 0 ]; then
  echo "ensure-test-deps: still missing after install: ${missing_cmds[*]} (packages: ${missing_pkgs[*]})" >&2
  exit 1
fi
echo "ensure-test-deps: installed"
