#!/usr/bin/env bash
# Debian packages the tests and benchmarks use beyond Node:
#   iproute2 (ip netns, veth), ethtool (tx checksum offload in the packet-link tests),
#   gcc/make (the native addon, bench/lib/*.c), util-linux (taskset for the benchmarks),
#   tmux (the interactive shell driven as a person would), mandoc (man page lint),
#   python3-scapy (an independent decoder for PIM Registers),
#   smcroute (smcrouted and smcroutectl, unmodified, on the kernel and under `mrsh exec`:
#   test/e2e/smcroute.test.ts, bench/daemon.ts), tshark (the smcroute/pimd test suites'
#   packet collector; installed without the setuid dumpcap question).
# pimd conflicts with smcroute as a package, so it is not installed: its .deb is fetched
# with `apt-get download` and unpacked with `dpkg -x` into $MRSH_DEPS_DIR/pimd (default
# /var/cache/mrsh-deps/pimd); tests take the binary from $MRSH_DEPS_DIR/pimd/usr/sbin/pimd.
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
# smcroute's binaries live in /usr/sbin, which a non-root PATH may lack
{ command -v smcrouted || [ -x /usr/sbin/smcrouted ]; } >/dev/null 2>&1 || need+=(smcroute)
command -v tshark >/dev/null 2>&1 || need+=(tshark)

deps=${MRSH_DEPS_DIR:-/var/cache/mrsh-deps}
pimd_dir="$deps/pimd"
want_pimd=0
[ -x "$pimd_dir/usr/sbin/pimd" ] || want_pimd=1

if [ ${#need[@]} -eq 0 ] && [ $want_pimd -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  [ ${#need[@]} -gt 0 ] && echo "ci-deps: cannot install ${need[*]} (needs root and apt-get); tests needing them will say why they cannot run" >&2
  [ $want_pimd -eq 1 ] && echo "ci-deps: cannot unpack pimd into $pimd_dir (needs root and apt-get); tests needing it will say why they cannot run" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
if [ ${#need[@]} -gt 0 ]; then
  echo "ci-deps: installing ${need[*]}"
  # tshark's wireshark-common would otherwise ask whether non-root users may capture
  if command -v debconf-set-selections >/dev/null 2>&1; then
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || echo "ci-deps: apt-get install ${need[*]} failed; tests needing them will say why" >&2
fi
if [ $want_pimd -eq 1 ]; then
  # unpacked, not installed: the package conflicts with smcroute
  tmp=$(mktemp -d) || exit 0
  if (cd "$tmp" && apt-get download -qq pimd >/dev/null 2>&1) && deb=$(ls "$tmp"/pimd_*.deb 2>/dev/null | head -n1) && [ -n "$deb" ]; then
    rm -rf "$pimd_dir.new" && mkdir -p "$pimd_dir.new" &&
      dpkg -x "$deb" "$pimd_dir.new" && [ -x "$pimd_dir.new/usr/sbin/pimd" ] &&
      rm -rf "$pimd_dir" && mv "$pimd_dir.new" "$pimd_dir" &&
      echo "ci-deps: pimd unpacked (not installed; it conflicts with smcroute) in $pimd_dir: $pimd_dir/usr/sbin/pimd" ||
      echo "ci-deps: unpacking $deb into $pimd_dir failed; tests needing pimd will say why" >&2
  else
    echo "ci-deps: apt-get download pimd failed; tests needing pimd will say why" >&2
  fi
  rm -rf "$tmp"
fi
exit 0
