# Decode PIM Register packets with scapy, independently of mrsh's own code.
# stdin: one hex-encoded IPv4 packet per line; stdout: one JSON object per line.
import sys, json
from scapy.layers.inet import IP
from scapy.utils import checksum

for line in sys.stdin:
    raw = bytes.fromhex(line.strip())
    outer = IP(raw)
    hdr_ok = IP(raw[:20]).chksum == checksum(raw[:10] + b"\0\0" + raw[12:20])
    pim = raw[20:28]
    inner_raw = raw[28:]
    inner = IP(inner_raw)
    inner_hl = (inner_raw[0] & 15) * 4
    inner_ok = inner.chksum == checksum(inner_raw[:10] + b"\0\0" + inner_raw[12:inner_hl])
    print(json.dumps({
        "version": outer.version, "ihl": outer.ihl, "tos": outer.tos, "len": outer.len,
        "flags": int(outer.flags), "ttl": outer.ttl, "proto": outer.proto,
        "src": outer.src, "dst": outer.dst, "hdr_checksum_ok": hdr_ok,
        "pim_version": pim[0] >> 4, "pim_type": pim[0] & 15,
        "pim_checksum_ok": checksum(pim) == 0,
        "border": bool(pim[4] & 0x80), "null_register": bool(pim[4] & 0x40),
        "inner_src": inner.src, "inner_dst": inner.dst, "inner_ttl": inner.ttl,
        "inner_len": inner.len, "inner_frag": inner.frag, "inner_mf": bool(int(inner.flags) & 1),
        "inner_checksum_ok": inner_ok,
    }))
