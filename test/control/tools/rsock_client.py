#!/usr/bin/env python3
# A stand-in for the preload library's side of the routing-socket protocol
# (native/mrsh_rsock_proto.h), driven one JSON request a line on stdin, one JSON reply a
# line on stdout, so the endpoint is tested without the library.
import json, os, select, socket, struct, sys

path = sys.argv[1]
socks = {}
seq = 0

def hello(kind, domain, proto, token):
    comm = b"rsock-test".ljust(16, b"\0")
    return struct.pack("<IHHiiIi16s", 0x4853524D, 1, kind, domain, proto, token, os.getpid(), comm)

def open_sock(family):
    domain, proto = (2, 2) if family == 4 else (10, 58)
    data = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    data.connect(path)
    data.send(hello(1, domain, proto, 0))
    magic, ver, err, token, _ = struct.unpack("<IHHII", data.recv(64))
    if err:
        return {"err": err}
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ctl.connect(path)
    ctl.send(hello(2, domain, proto, token))
    magic, ver, err, token2, _ = struct.unpack("<IHHII", ctl.recv(64))
    sid = len(socks) + 1
    socks[sid] = (data, ctl)
    return {"sock": sid, "err": err, "token": token}

def request(sid, op, level, name, payload, flags=0, expect=0, wait=True):
    global seq
    seq += 1
    data, ctl = socks[sid]
    ctl.send(struct.pack("<IHHiiIi", seq, op, flags, level, name, len(payload), expect) + payload)
    if not wait:
        return {"sent": seq}
    while True:
        r = ctl.recv(70000)
        s, rop, rflags, err, n = struct.unpack("<IHHiI", r[:16])
        if rflags & 2:  # a mismatch report for an earlier pipelined call
            print(json.dumps({"mismatch": s, "err": err}), flush=True)
            continue
        return {"seq": s, "err": err, "hex": r[16:16 + n].hex()}

def recv(sid, timeout):
    data, _ = socks[sid]
    r, _, _ = select.select([data], [], [], timeout)
    if not r:
        return {"timeout": True}
    b = data.recv(70000)
    if not b:
        return {"eof": True}
    hdrlen, kind, ifindex = struct.unpack("<HHi", b[:8])
    return {"kind": kind, "ifindex": ifindex, "src": b[8:24].hex(), "hex": b[hdrlen:].hex()}

for line in sys.stdin:
    q = json.loads(line)
    try:
        op = q["op"]
        if op == "open":
            out = open_sock(q.get("family", 4))
        elif op in ("set", "get", "ioctl"):
            code = {"set": 1, "get": 2, "ioctl": 3}[op]
            out = request(q["sock"], code, q.get("level", 0), q["name"], bytes.fromhex(q.get("hex", "")), q.get("flags", 0), q.get("expect", 0), q.get("wait", True))
        elif op == "recv":
            out = recv(q["sock"], q.get("timeout", 5))
        elif op == "close":
            for s in socks.pop(q["sock"]):
                s.close()
            out = {"closed": True}
        elif op == "raw":  # arbitrary bytes on a fresh connection: what the endpoint answers
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(path)
            s.send(bytes.fromhex(q["hex"]))
            s.settimeout(5)
            try:
                b = s.recv(64)
                out = {"hex": b.hex(), "eof_after": s.recv(64) == b""}
            except socket.timeout:
                out = {"timeout": True}
            s.close()
        else:
            out = {"error": "unknown op " + op}
    except OSError as e:
        out = {"oserror": e.errno}
    print(json.dumps(out), flush=True)
