#!/usr/bin/env bash
# Install the Debian packages listed in scripts/system-packages.txt that are missing.
# Usage: install-system-packages.sh [runtime]   ("runtime": only what `make run` needs)
# Does nothing when everything is present; says what to do when it cannot install (not root, no apt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:-all}
mapfile -t wanted < <(grep -v '^\s*#' "$here/system-packages.txt" | sed '/^\s*$/d')
if [ "$mode" = "runtime" ]; then
  mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | grep -E '^(libpango|libharfbuzz|fonts-)')
fi
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages (install them with your package manager): ${missing[*]}" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "Missing system packages and not root: apt-get install ${missing[*]}" >&2
    exit 0
  fi
fi
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
