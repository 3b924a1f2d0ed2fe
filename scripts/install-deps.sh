#!/usr/bin/env bash
# Installs what building and testing creditscope needs and is missing: Debian packages, then the
# npm tooling in tools/ (anvil, Safe artifacts, solc, ajv); with --bench also the benchmark's peers in
# bench/peers (Ponder, viem). Safe to run repeatedly; quiet when everything is present.
# Usage: scripts/install-deps.sh [--bench]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake make pkg-config curl ca-certificates
          libboost1.81-all-dev libcrypto++-dev libtomlplusplus-dev libssl-dev libgtest-dev libbenchmark-dev libsqlite3-dev
          postgresql libpq-dev zlib1g-dev python3
          clang libclang-rt-14-dev prometheus chromium)
# A Node.js installed outside apt serves as well as Debian's.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
if [[ "${1:-}" == "--bench" ]]; then packages+=(wrk jq python3 util-linux gnuplot-nox procps); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  # prometheus is installed for its promtool (the /metrics lint in e2e), postgresql for the
  # throw-away clusters tests start; policy-rc.d keeps their daemons, and any other package's, from
  # starting during the install.
  rc_guard=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    rc_guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$rc_guard" >/dev/null && $SUDO chmod +x "$rc_guard"
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  [[ -z "$rc_guard" ]] || $SUDO rm -f "$rc_guard"
fi

npm_ci() {  # dir: npm ci there unless its lock file is older than the last install
  if [[ ! -f $1/node_modules/.installed || $1/package-lock.json -nt $1/node_modules/.installed ]]; then
    echo "installing npm packages into $1/node_modules"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$1/node_modules/.installed"
  fi
}
npm_ci tools
if [[ "${1:-}" == "--bench" ]]; then npm_ci bench/peers; fi
