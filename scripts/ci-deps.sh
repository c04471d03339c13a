#!/usr/bin/env bash
# Debian packages the test suite uses: tmux (the interactive shell driven as a person
# would), mandoc (man page lint), ethtool (checksum-offload setup in the link tests),
# iproute2 (network namespaces). Installs only what is missing; without root or apt it
# says so and the tests that need a package report why they cannot run.
set -u
need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v mandoc >/dev/null 2>&1 || need+=(mandoc)
command -v ethtool >/dev/null 2>&1 || need+=(ethtool)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ci-deps: cannot install ${need[*]} (need root and apt-get); tests needing them will say so"
  exit 0
fi
echo "ci-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || echo "ci-deps: apt-get install ${need[*]} failed; tests needing them will say so"
exit 0
