# Capture IPv4/IPv6 UDP datagrams to a port on one interface (AF_PACKET), for the
# end-to-end tests: prints "ready", then one JSON line per datagram with the TTL / hop
# limit and whether the IPv4 header and UDP checksums verify. Exits after `seconds`.
import socket, struct, sys, json, time

ifname, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((ifname, 0))
s.settimeout(0.2)
print("ready", flush=True)

def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return t

end = time.time() + seconds
while time.time() < end:
    try:
        frame, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    # TUN devices deliver bare IP; Ethernet interfaces a 14-byte header first
    p = frame[14:] if addr[3] == 1 else frame  # ARPHRD_ETHER vs TUN's ARPHRD_NONE
    v = p[0] >> 4
    if v == 4:
        hl = (p[0] & 15) * 4
        if p[9] != 17: continue
        udp = p[hl:struct.unpack("!H", p[2:4])[0]]
        if struct.unpack("!H", udp[2:4])[0] != port: continue
        pseudo = p[12:20] + struct.pack("!BBH", 0, 17, len(udp))
        print(json.dumps({"v": 4, "ttl": p[8], "src": socket.inet_ntop(socket.AF_INET, p[12:16]),
                          "hdr_ok": csum(p[:hl]) == 0xffff, "udp_ok": csum(pseudo + udp) == 0xffff,
                          "payload": udp[8:].decode(errors="replace")}), flush=True)
    elif v == 6:
        if p[6] != 17: continue
        plen = struct.unpack("!H", p[4:6])[0]
        udp = p[40:40 + plen]
        if struct.unpack("!H", udp[2:4])[0] != port: continue
        pseudo = p[8:40] + struct.pack("!IxxxB", len(udp), 17)
        print(json.dumps({"v": 6, "ttl": p[7], "src": socket.inet_ntop(socket.AF_INET6, p[8:24]),
                          "hdr_ok": True, "udp_ok": csum(pseudo + udp) == 0xffff,
                          "payload": udp[8:].decode(errors="replace")}), flush=True)
