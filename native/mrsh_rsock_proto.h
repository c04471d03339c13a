/*
 * The routing-socket wire protocol between a program under `mrsh exec` (the preload
 * library, native/mrsh_preload.c) and `mrsh daemon` (src/control/mroute-endpoint.ts,
 * which decodes the same layouts in src/control/mroute-proto.ts).
 *
 * One raw IGMP / ICMPv6 socket of the program is two SOCK_SEQPACKET connections to the
 * daemon's endpoint (MRSH_MROUTE_SOCKET, default "<control socket>.mroute"):
 *   data  the fd the program holds: upcalls (and, later, control packets) arrive on it,
 *         one datagram each, so select/poll/epoll/O_NONBLOCK work unmodified. Its close
 *         is the close of the socket: the daemon tears down what it owned.
 *   ctl   a hidden fd of the library: set/getsockopt and ioctl requests, in order.
 * Both start with a hello; the data hello's reply carries the token the ctl hello names.
 * All integers are in host byte order (both ends are on one machine); addresses in
 * network order as in the structs they come from. Errnos are Linux's numbers.
 */
#ifndef MRSH_RSOCK_PROTO_H
#define MRSH_RSOCK_PROTO_H
#include <stdint.h>

#define MRSH_RSOCK_MAGIC 0x4853524dU /* "MRSH" little-endian */
#define MRSH_RSOCK_VERSION 1

#define MRSH_HELLO_DATA 1
#define MRSH_HELLO_CTL 2

struct mrsh_hello {       /* 40 bytes, library -> daemon, first datagram on a connection */
  uint32_t magic;
  uint16_t version;
  uint16_t kind;          /* MRSH_HELLO_DATA | MRSH_HELLO_CTL */
  int32_t domain;         /* AF_INET (2) | AF_INET6 (10) */
  int32_t protocol;       /* IPPROTO_IGMP (2) | IPPROTO_ICMPV6 (58) */
  uint32_t token;         /* 0 on data; the token the data reply gave, on ctl */
  int32_t pid;            /* getpid() of the program */
  char comm[16];          /* its name, NUL-padded */
};

struct mrsh_hello_reply { /* 16 bytes, daemon -> library */
  uint32_t magic;
  uint16_t version;
  uint16_t err;           /* 0, or the errno socket() fails with */
  uint32_t token;         /* names this socket in the ctl hello */
  uint32_t reserved;
};

/* ctl requests: header then `len` bytes */
#define MRSH_OP_SETSOCKOPT 1 /* payload: optval as passed (len = optlen) */
#define MRSH_OP_GETSOCKOPT 2 /* payload: optval as passed in (len = *optlen capacity) */
#define MRSH_OP_IOCTL 3      /* name = request number; payload: the argument struct */

/* The library already returned `expect` to the program (a call whose result it could
 * decide from its own state, e.g. MRT_ADD_MFC on the owning socket). The daemon sends no
 * reply unless its own result differs; then it replies with MRSH_F_MISMATCH set. */
#define MRSH_F_ASYNC 1
#define MRSH_F_MISMATCH 2

struct mrsh_req {         /* 24 bytes */
  uint32_t seq;
  uint16_t op;
  uint16_t flags;
  int32_t level;
  int32_t name;
  uint32_t len;
  int32_t expect;         /* with MRSH_F_ASYNC: the errno already returned (0 = success) */
};

struct mrsh_reply {       /* 16 bytes, then `len` bytes: getsockopt value, ioctl struct,
                             or the bytes a setsockopt writes back */
  uint32_t seq;
  uint16_t op;
  uint16_t flags;
  int32_t err;            /* 0 or a positive Linux errno */
  uint32_t len;
};

/* data datagrams: header then the bytes read(2) on a kernel raw socket returns */
#define MRSH_DATA_UPCALL 1 /* igmpmsg / mrt6msg and what follows, Linux framing */
#define MRSH_DATA_PACKET 2 /* a control packet (IGMP, PIM, MLD) received on a vif's link */

struct mrsh_data_hdr {    /* 40 bytes */
  uint16_t hdrlen;        /* sizeof(struct mrsh_data_hdr): skip this many bytes */
  uint16_t kind;          /* MRSH_DATA_* */
  int32_t ifindex;        /* arrival interface (IP_PKTINFO / IPV6_PKTINFO), 0 if none */
  uint8_t src[16];        /* recvfrom()'s address: IPv4 in the first 4 bytes */
  uint8_t dst[16];        /* destination (ipi_addr / ipi6_addr) */
};

#endif
