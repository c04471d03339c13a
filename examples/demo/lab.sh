#!/usr/bin/env bash
# A namespace lab for newcomers (run as root):   bash examples/demo/lab.sh
#
#   ns src: a UDP sender ── veth ── r0 [ns rtr: mrsh daemon] r1 ── veth ── ns lan1: a receiver
#                                                              r2 ── veth ── ns lan2: a receiver
#
# The daemon starts on examples/demo/router.conf (AF_PACKET vifs on r0-r2, a policy rule that answers
# NOCACHE upcalls), the interactive shell attaches to the daemon, and once it has, the sender
# sends two groups at 20 packets/s: watch the upcalls arrive in the live pane and the counters
# move (`show mroute count`, `show vif`, `explain 192.0.2.2 239.99.1.1`). Ctrl-D leaves;
# everything the lab created (namespaces, the daemon's socket and log) is removed on exit.
# DEMO_SECONDS=N runs without a shell for N seconds and prints the counters instead (for
# scripts and CI).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces, packet sockets)" >&2; exit 1; }
P="mrsh-demo-$$"
# the daemon's socket and log, in a directory of the lab's own that goes with it
TMP=$(mktemp -d /tmp/mrsh-demo-XXXXXX)
SOCK="$TMP/mrsh.sock"
LOG="$TMP/daemon.log"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  # and whatever still runs inside the lab: a namespace outlives its name while a process is in it
  for n in src rtr lan1 lan2; do ip netns pids "$P-$n" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  wait 2>/dev/null || true
  for n in src rtr lan1 lan2; do ip netns del "$P-$n" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

for n in src rtr lan1 lan2; do ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
ip link add s0 netns "$P-src" type veth peer name r0 netns "$P-rtr"
ip link add o0 netns "$P-lan1" type veth peer name r1 netns "$P-rtr"
ip link add o0 netns "$P-lan2" type veth peer name r2 netns "$P-rtr"
ip -n "$P-src" addr add 192.0.2.2/24 dev s0 && ip -n "$P-src" link set s0 up
ip -n "$P-src" route add 239.0.0.0/8 dev s0
for i in 0 1 2; do ip -n "$P-rtr" link set "r$i" up; done
ip -n "$P-rtr" addr add 192.0.2.1/24 dev r0
# documentation addresses only: 192.0.2.0/24 for the source, one block per LAN
LAN=("" 198.51.100 203.0.113)
for i in 1 2; do
  ip -n "$P-rtr" addr add "${LAN[$i]}.1/24" dev "r$i"
  ip -n "$P-lan$i" addr add "${LAN[$i]}.2/24" dev o0 && ip -n "$P-lan$i" link set o0 up
done

MRSH=(node "$ROOT/bin/mrsh.js")
ip netns exec "$P-rtr" "${MRSH[@]}" daemon -f "$ROOT/examples/demo/router.conf" --socket "$SOCK" 2>"$LOG" &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "demo: the daemon did not start:" >&2; cat "$LOG" >&2; exit 1; }

# Receivers that joined the groups now; the sender (bounded to 10 minutes) later.
for i in 1 2; do
  ip netns exec "$P-lan$i" node -e "
    const s = require('dgram').createSocket({ type: 'udp4', reuseAddr: true });
    s.bind(5000, () => { s.addMembership('239.99.1.1', '${LAN[$i]}.2'); s.addMembership('239.99.1.2', '${LAN[$i]}.2'); });
    s.on('message', () => {}); setTimeout(() => process.exit(0), 600000);" &
  PIDS+=($!)
done
# exec: the PID a caller records is the sender's own, not a subshell's that kill would leave it behind
send() {
  exec ip netns exec "$P-src" node -e "
    const s = require('dgram').createSocket('udp4');
    s.bind(0, () => { s.setMulticastInterface('192.0.2.2'); s.setMulticastTTL(8);
      let n = 0; const t = setInterval(() => { for (const g of ['239.99.1.1', '239.99.1.2']) s.send('mrsh demo ' + n, 5000, g); if (++n >= 12000) { clearInterval(t); s.close(); } }, 50); });"
}

if [ -n "${DEMO_SECONDS:-}" ]; then
  send &
  PIDS+=($!)
  sleep "$DEMO_SECONDS"
  "${MRSH[@]}" --socket "$SOCK" show mroute count
  "${MRSH[@]}" --socket "$SOCK" show vif
  "${MRSH[@]}" --socket "$SOCK" show upcalls
else
  # the traffic starts once the shell is attached (a connection on the daemon's socket; its
  # accepted end is in the shell's namespace and names the path the daemon bound, in $TMP
  # before the rename), so the first upcalls arrive in its pane
  (
    for _ in $(seq 300); do
      ss -xH state connected 2>/dev/null | grep -qF "$TMP/" && break
      sleep 0.1
    done
    send
  ) &
  PIDS+=($!)
  MRSH_HINT="This is the lab's router; the sender starts now. Try: show mroute count, show vif, show policy, explain 192.0.2.2 239.99.1.1" \
    "${MRSH[@]}" --socket "$SOCK"
fi
