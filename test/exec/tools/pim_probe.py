#!/usr/bin/env python3
# A stand-in for pimd's kernel calls, for test/exec/control-packets.test.ts: run under
# mrsh's preload library or on the kernel alike, one command a line on stdin, one JSON
# answer a line on stdout.
#   init ADDR          MRT_INIT, MRT_PIM 1, vif 0 on ADDR, vif 1 VIFF_REGISTER
#   send CASE          a malformed send (the cases in send_case); answers {"ret": bytes} or {"errno": NAME}
#   register CASE DST  a PIM Register (the cases in register_case) to DST, from a plain raw PIM socket
#   drain              what the routing socket has queued, not waiting: upcalls and IGMP
import errno, json, socket, struct, sys

MRT_INIT, MRT_ADD_VIF, MRT_PIM = 200, 202, 207
IP_HDRINCL, IP_MULTICAST_IF = 3, 32
VIFF_REGISTER = 0x4  # Linux (FreeBSD: 0x1 is VIFF_TUNNEL here)

igmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
pim = socket.socket(socket.AF_INET, socket.SOCK_RAW, 103)
local = None


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ttl=16):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp_datagram(src, dst):
    return ipv4(src, dst, 17, struct.pack("!HHHH", 4000, 4001, 12, 0) + b"mrsh")


def pim_register(inner, flags=0, good_sum=True):
    h = struct.pack("!BBHI", 0x21, 0, 0, flags)
    c = csum(h)
    if not good_sum:
        c ^= 0x5555
    return h[:2] + struct.pack("!H", c) + h[4:] + inner


def vifctl(vifi, flags, addr):
    return struct.pack("<HBBI4s4s", vifi, flags, 1, 0, socket.inet_aton(addr), b"\0" * 4)


def err(e):
    return {"errno": errno.errorcode.get(e.errno, str(e.errno))}


def send_case(name):
    # each as a daemon might get it wrong; the answer is the kernel's
    global local
    try:
        if name == "igmp-ihl-beyond":  # IP_HDRINCL, ihl 15 in a 20-byte packet: EINVAL
            igmp.setsockopt(socket.IPPROTO_IP, IP_HDRINCL, 1)
            try:
                return {"ret": igmp.sendto(b"\x4f" + b"\0" * 19, ("224.0.0.1", 0))}
            finally:
                igmp.setsockopt(socket.IPPROTO_IP, IP_HDRINCL, 0)
        if name == "igmp-truncated":  # 3 bytes of IGMP: sent as is
            return {"ret": igmp.sendto(b"\x11\x00\x00", ("224.0.0.1", 0))}
        if name == "igmp-empty":
            return {"ret": igmp.sendto(b"", ("224.0.0.1", 0))}
        if name == "pim-ihl-beyond":
            pim.setsockopt(socket.IPPROTO_IP, IP_HDRINCL, 1)
            try:
                return {"ret": pim.sendto(b"\x4f" + b"\0" * 19, ("224.0.0.13", 0))}
            finally:
                pim.setsockopt(socket.IPPROTO_IP, IP_HDRINCL, 0)
        if name == "pim-truncated":
            return {"ret": pim.sendto(b"\x20\x00", ("224.0.0.13", 0))}
        if name == "pim-oversize":  # beyond IP's 65535: EMSGSIZE
            return {"ret": pim.sendto(b"\0" * 70000, ("224.0.0.13", 0))}
    except OSError as e:
        return err(e)
    return {"error": "unknown case " + name}


def register_case(name, dst):
    good = udp_datagram("192.0.2.99", "239.1.2.3")
    body = {
        "good": pim_register(good),
        "null": pim_register(good, flags=0x40000000),
        "short": pim_register(good[:10]),
        "badsum": pim_register(good, good_sum=False),
        "unicast-inner": pim_register(udp_datagram("192.0.2.99", "198.51.100.9")),
        "overlong-inner": pim_register(good[:2] + struct.pack("!H", 400) + good[4:]),
    }.get(name)
    if body is None:
        return {"error": "unknown register " + name}
    try:
        return {"ret": pim.sendto(body, (dst, 0))}
    except OSError as e:
        return err(e)


def drain():
    out = []
    while True:
        try:
            b = igmp.recv(70000, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return out
        if len(b) < 20:
            out.append({"short": len(b)})
            continue
        # an upcall has ip_p 0 (igmpmsg); anything else is a packet with its IP header
        out.append({"proto": b[9], "type": b[8], "vif": b[10], "src": socket.inet_ntoa(b[12:16]), "dst": socket.inet_ntoa(b[16:20]), "len": len(b)})


for line in sys.stdin:
    a = line.split()
    try:
        if a[0] == "init":
            local = a[1]
            igmp.setsockopt(socket.IPPROTO_IP, MRT_INIT, struct.pack("i", 1))
            igmp.setsockopt(socket.IPPROTO_IP, MRT_PIM, struct.pack("i", 1))
            igmp.setsockopt(socket.IPPROTO_IP, MRT_ADD_VIF, vifctl(0, 0, local))
            igmp.setsockopt(socket.IPPROTO_IP, MRT_ADD_VIF, vifctl(1, VIFF_REGISTER, local))
            for s in (igmp, pim):
                s.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_IF, socket.inet_aton(local))
            r = {"ok": True}
        elif a[0] == "send":
            r = send_case(a[1])
        elif a[0] == "register":
            r = register_case(a[1], a[2])
        elif a[0] == "drain":
            r = drain()
        else:
            r = {"error": "unknown command " + a[0]}
    except OSError as e:
        r = err(e)
    print(json.dumps(r), flush=True)
