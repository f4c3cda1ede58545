#!/usr/bin/env bash
# Makes sure the programs the tests drive for real are installed; installs the missing ones with apt when it can.
# Run by `mvn -B verify` (dist, before its tests) and by .ci/run. The one list of what the tests need:
#   openssl, sslscan, testssl.sh - TLS checks against a running node's HA and admin ports
#   haproxy                     - failover and active-active through a real load balancer
#   chromium, chromium-driver   - the web console in headless Chromium
#   faketime                    - clock skew of one node in the nemesis test
#   procps, iproute2, bsdutils  - ps/kill, ip, and `script` (a pseudo-terminal for the attach prompt)
#   nodejs                      - the console's JavaScript unit tests (skipped only when `node` is on PATH already)
set -euo pipefail
packages=(openssl sslscan testssl.sh haproxy chromium chromium-driver faketime procps iproute2 bsdutils)
command -v node >/dev/null 2>&1 || packages+=(nodejs)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

# Cannot install: with CI set that is a failure; otherwise the tests that need a missing program skip, each
# naming its package (skipped is not proven, so say so here once, loudly).
cannot() {
  echo "install-test-tools: missing ${missing[*]}: $1" >&2
  if [ -n "${CI:-}" ]; then exit 1; fi
  echo "install-test-tools: the tests that drive them will be SKIPPED (not proven); CI=true makes that a failure" >&2
  exit 0
}
command -v apt-get >/dev/null 2>&1 || cannot "no apt-get here: install them with your package manager"
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  cannot "run \`sudo apt-get install -y ${missing[*]}\` once (or run mvn as root), then mvn -B verify again"
fi
echo "install-test-tools: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
