#!/usr/bin/env python3
# An endpoint that disagrees: it speaks native/mrsh_rsock_proto.h like mrsh daemon but
# answers every pipelined call with MRSH_F_MISMATCH and ENOENT, which mrsh itself never
# does for a faithful guess. It shows that the preload library reports what it was told.
# Usage: disagreeing_endpoint.py PATH   (prints "ready" once it listens)
import os, socket, struct, sys, select

MAGIC, VERSION = 0x4853524D, 1
F_ASYNC, F_MISMATCH = 1, 2
ENOENT = 2

path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
lsn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
lsn.bind(path)
lsn.listen(8)
print("ready", flush=True)
conns = []
while True:
    r, _, _ = select.select([lsn] + conns, [], [])
    for s in r:
        if s is lsn:
            c, _ = lsn.accept()
            c.recv(40)  # the hello: data or ctl, both get token 1
            c.send(struct.pack("<IHHII", MAGIC, VERSION, 0, 1, 0))
            conns.append(c)
            continue
        b = s.recv(70000)
        if not b:
            conns.remove(s)
            s.close()
            continue
        seq, op, flags, level, name, length, expect = struct.unpack_from("<IHHiiIi", b)
        if flags & F_ASYNC:
            s.send(struct.pack("<IHHiI", seq, op, F_MISMATCH, ENOENT, 0))
        else:
            val = struct.pack("<i", 0x305) if op == 2 else b""
            s.send(struct.pack("<IHHiI", seq, op, 0, 0, len(val)) + val)
