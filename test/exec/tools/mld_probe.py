#!/usr/bin/env python3
# Like pim6sd: an ICMPv6 routing socket with IPV6_RECVPKTINFO, MRT6_INIT and one mif on
# the interface of ifindex $MLD_PIFI; prints "ready", then each MLD message read (recvmsg,
# as pim6sd reads) as one JSON line: its ICMPv6 type, the pktinfo's ifindex and address.
import json, os, socket, struct

s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, 49, 1)  # IPV6_RECVPKTINFO
s.setsockopt(socket.IPPROTO_IPV6, 200, struct.pack("i", 1))  # MRT6_INIT
s.setsockopt(socket.IPPROTO_IPV6, 202, struct.pack("<HBBHxxI", 0, 0, 1, int(os.environ["MLD_PIFI"]), 0))  # MRT6_ADD_MIF
print("ready", flush=True)
for _ in range(int(os.environ.get("MLD_COUNT", "1"))):
    data, anc, flags, addr = s.recvmsg(2000, socket.CMSG_SPACE(20))
    info = [(lvl, typ, d) for lvl, typ, d in anc if lvl == socket.IPPROTO_IPV6 and typ == 50]  # IPV6_PKTINFO
    m = {"type": data[0], "from": addr[0]}
    if info:
        m["ifindex"] = struct.unpack("I", info[0][2][16:20])[0]
        m["dst"] = socket.inet_ntop(socket.AF_INET6, info[0][2][:16])
    print(json.dumps(m), flush=True)
