#!/usr/bin/env bash
# Debian packages the tests and benchmarks use beyond Node:
#   iproute2 (ip netns, veth), ethtool (tx checksum offload in the packet-link tests),
#   gcc/make (the native addon, bench/lib/*.c), util-linux (taskset for the benchmarks),
#   tmux (the interactive shell driven as a person would), mandoc (man page lint),
#   python3-scapy (an independent decoder for PIM Registers).
# Installs only what is missing; without root or apt it says so, and each test that needs
# a missing package reports why it cannot run.
set -u
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ethtool >/dev/null 2>&1 || need+=(ethtool)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v make >/dev/null 2>&1 || need+=(make)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v mandoc >/dev/null 2>&1 || need+=(mandoc)
/usr/bin/python3 -c 'import scapy.layers.inet' >/dev/null 2>&1 || need+=(python3-scapy)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ci-deps: cannot install ${need[*]} (needs root and apt-get); tests needing them will say why they cannot run" >&2
  exit 0
fi
echo "ci-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || echo "ci-deps: apt-get install ${need[*]} failed; tests needing them will say why" >&2
exit 0
