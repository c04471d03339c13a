/* mrsh_io: the packet I/O under the TUN and packet links, one file per role:
 *   mrsh_io.c        the module table             mrsh_napi.c      arguments, results, errors
 *   mrsh_netns.c     namespaces, interface info   mrsh_tun.c       TUN devices
 *   mrsh_packet.c    AF_PACKET sockets            mrsh_ring.c      PACKET_MMAP rings
 *   mrsh_frame.c     frame checks, checksums      mrsh_bpf.c       BPF assembler and programs
 *   mrsh_xsk.c       AF_XDP input                 mrsh_busypoll.c  the device's NAPI tuning
 *   mrsh_poll.c      readiness (uv_poll)        mrsh_fanout.c    packet fanout groups
 * JS owns all packet memory: C keeps no reference to it between calls and starts no threads. */
#ifndef MRSH_IO_H
#define MRSH_IO_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <net/if.h>
#include <linux/if_ether.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

#pragma GCC visibility push(hidden)

#define BATCH 64      /* messages per recvmmsg/sendmmsg call */
#define MAX_BUFS 64   /* distinct buffers one send call may name */
#define NETNS_MAX 256 /* a namespace name or path */

#define NAPI_OK(call)                                                    \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      napi_throw_error(env, NULL, "mrsh_io: N-API call failed: " #call); \
      return NULL;                                                       \
    }                                                                    \
  } while (0)

/* Declares argc/argv and fetches up to n arguments of the call. */
#define NAPI_ARGS(n)      \
  size_t argc = (n);      \
  napi_value argv[(n)];   \
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL))

/* ---- mrsh_napi.c: arguments, results, errors ---- */
napi_value throw_errno(napi_env env, const char *what, int err);
int get_i32(napi_env env, napi_value v, int32_t *out);
int get_str(napi_env env, napi_value v, char *buf, size_t cap);
int is_nullish(napi_env env, napi_value v);
int get_bytes(napi_env env, napi_value v, void **data, size_t *len);
/* "who: N-API call failed" (EIO) unless an exception is already pending; NULL. */
napi_value throw_napi_failed(napi_env env, const char *who);
napi_value int_value(napi_env env, int32_t v);
/* Property setters: 0, or -1 with an N-API error (pending, or not). s NULL sets null. */
int set_int(napi_env env, napi_value obj, const char *key, int32_t v);
int set_bool(napi_env env, napi_value obj, const char *key, int v);
int set_str(napi_env env, napi_value obj, const char *key, const char *s);

/* An open call's interface name (argv[0], into name[IFNAMSIZ + 1]) and netns (argv[ns_at],
 * optional, into ns[NETNS_MAX]): 0, or -1 with a TypeError thrown (usage for a bad name). */
int get_open_args(napi_env env, napi_value *argv, size_t argc, size_t ns_at, const char *usage, char *name, char *ns);

/* A receive call's stats (an Int32Array of RX_ST_N): RX_ST_READ is set to the frames the
 * call took; every other slot is added to and left for JS to read (and zero). A dropped
 * frame counts once in RX_ST_DROPPED and once under its reason. */
enum {
  RX_ST_DROPPED = 0,    /* frames dropped by the link, all reasons */
  RX_ST_CSUM = 1,       /* transport checksums completed */
  RX_ST_READ = 2,       /* frames the last call took off the socket */
  RX_ST_NOT_IP = 3,     /* not IPv4/IPv6 (ARP, LLDP...), or a version that is not its EtherType's */
  RX_ST_VLAN = 4,       /* 802.1Q / 802.1ad tagged */
  RX_ST_TRUNCATED = 5,  /* shorter than an IP header, or cut short by the slot or snap length */
  RX_ST_BAD_LENGTH = 6, /* IP total (payload) length below the header or beyond the frame */
  RX_ST_GSO = 7,        /* a GSO frame (offload state the router cannot take) */
  RX_ST_BAD_CSUM_OFFSET = 8, /* a partial checksum whose offsets lie outside the frame */
  RX_ST_N = 9
};

/* Marks a frame dropped for reason: -1, the iplen recv_deliver drops. */
static inline long rx_drop(int32_t *stats, int reason) {
  stats[reason]++;
  return -1;
}

/* (_, buf, slotSize, maxSlots, offsets, lengths[, stats]): slot i lands at i * slotSize;
 * delivered datagrams are compacted into offsets/lengths. */
typedef struct {
  uint8_t *buf;
  int32_t slot, max;
  int32_t *offs, *lens, *stats;
} recv_args;
int parse_recv(napi_env env, napi_value *argv, size_t argc, int32_t slot_above, int with_stats, recv_args *a);

/* The frame in slot slotno: delivered without its Ethernet header, or dropped (iplen < 0). */
static inline void recv_deliver(const recv_args *a, int *out, int slotno, long iplen) {
  if (iplen < 0) {
    a->stats[0]++;
    return;
  }
  a->offs[*out] = slotno * a->slot + ETH_HLEN;
  a->lens[*out] = (int32_t)iplen;
  (*out)++;
}

/* Datagrams as (bufIndex, offset, length) into a few distinct buffers, so the caller
 * records a send without allocating and each buffer is resolved once. */
typedef struct {
  uint8_t *data;
  size_t len;
} span;

typedef struct {
  int32_t fd, count;
  int32_t *bidx, *offs, *lens;
  span spans[MAX_BUFS];
  uint32_t nspans;
} send_args;
/* (fd, bufs, bufIdx, offsets, lengths, count, ...) */
int parse_send(napi_env env, napi_value *argv, size_t argc, send_args *a);
/* A Float64Array of at least one element. */
int get_result(napi_env env, napi_value v, double **out);

/* Datagram i of a send, or NULL if it points outside its buffer. */
static inline uint8_t *send_datagram(const send_args *a, int i) {
  int32_t bi = a->bidx[i], off = a->offs[i], len = a->lens[i];
  if (bi < 0 || (uint32_t)bi >= a->nspans || !a->spans[bi].data || off < 0 || len <= 0 ||
      (size_t)off + (size_t)len > a->spans[bi].len)
    return NULL;
  return a->spans[bi].data + off;
}

/* ---- mrsh_io.c: the module ---- */
/* fd, handed to JS by an open call, is closed with this thread's environment unless JS
 * closes it first (close()). */
void track_fd(napi_env env, int fd);

/* ---- mrsh_netns.c: network namespaces, interface information ---- */
typedef struct {
  int self_fd;
  int active;
} ns_guard;
/* Switch this thread to the namespace name (/run/netns/NAME, or a path; "" stays). 0 or -errno. */
int ns_enter(const char *name, ns_guard *g);
void ns_leave(ns_guard *g);
struct ifreq;
int if_ioctl(int sock, unsigned long req, const char *name, struct ifreq *ifr);
/* The device's MTU, or dflt if it cannot be read. */
int if_mtu(const char *name, int dflt);
/* {ifindex, mtu, mac, addrs4, addrs6} of a device in the current namespace, or NULL (thrown). */
napi_value make_ifinfo(napi_env env, const char *name);

/* ---- mrsh_frame.c: received frames, Ethernet headers, checksums ---- */
struct virtio_net_hdr;
/* A whole IPv4/IPv6 datagram behind f's Ethernet header: its IP length, a CHECKSUM_PARTIAL
 * completed (stats[RX_ST_CSUM]++); else -1 with its reason counted (rx_drop). */
long accept_frame(uint8_t *f, long flen, const struct virtio_net_hdr *vh, int32_t *stats);
/* The Ethernet header for datagram p (its multicast MAC, source mac): 0, or -1 if not IP. */
int eth_for(uint8_t *e, const uint8_t *p, int32_t len, const uint8_t *mac);
/* Complete a UDP checksum left holding the pseudo-header sum: 1 if completed. */
int udp_complete_partial(uint8_t *ip, long iplen);

/* ---- mrsh_ring.c: PACKET_MMAP TPACKET_V2 rings ---- */
typedef struct {
  uint8_t *base;
  uint32_t fsize, fnr, head;
} ring_half;

/* Owned by a JS object (napi_wrap), handed back to every recv/send call. */
typedef struct {
  int alive; /* 0 once unmapped */
  uint8_t *rxmap, *txmap;
  size_t rxlen, txlen;
  int txfd;         /* the transmit ring's own socket, -1 if none */
  ring_half rx, tx; /* base NULL: that direction uses recvmmsg / sendmmsg */
  int32_t mtu;      /* at open: longer datagrams are refused before they reach the TX ring */
} rx_ring;
int rx_ring_setup(int fd, unsigned ifindex, int mtu, int rx, int tx, int qdisc_bypass, rx_ring *r);
void rx_ring_unmap(rx_ring *r);
void rx_ring_finalize(napi_env env, void *data, void *hint);
int recv_ring(rx_ring *r, const recv_args *a, int *taken);
int send_ring(rx_ring *r, const send_args *a, const uint8_t *mac, double *bytes_out);

/* ---- mrsh_fanout.c: packet fanout groups ---- */
/* The namespace this thread is in, as (st_dev, st_ino) of its ns file. 0 or -errno. */
#include <sys/types.h>
int netns_ident(dev_t *dev, ino_t *ino);
/* Before bind: drop everything on fd until fanout_join put it in its group. 0 or -errno. */
int fanout_hold(int fd);
/* After bind: fd into this process's fanout group `group` (1..65535) of ifindex in this
 * thread's namespace; *kernel_id the kernel's id of it. 0, or -errno with *step. */
int fanout_join(int fd, unsigned ifindex, int group, int *kernel_id, const char **step);

/* ---- mrsh_bpf.c: the BPF programs ---- */
/* The tcx ingress host bypass on ifindex: the BPF link's fd, or -errno with *why. */
int host_bypass_attach(unsigned ifindex, const char **why);
/* The XDP program redirecting to map_fd: its fd, or -errno (the verifier's log in log). */
int xsk_prog_load(int map_fd, char *log, size_t logcap);
/* The classic BPF program of a fanout group (hash of the IP source and destination) into
 * out: its length, or -E2BIG. */
struct sock_filter;
int fanout_prog_build(struct sock_filter *out, int cap);
/* The steering program of a multi-queue TUN device (the same hash): its fd, or -errno. */
int tun_steer_prog_load(char *log, size_t logcap);
union bpf_attr;
int bpf_sys(int cmd, union bpf_attr *a);

/* ---- mrsh_busypoll.c: the device's NAPI settings for busy polling ---- */
typedef struct {
  char ifname[IFNAMSIZ]; /* "" when nothing is changed */
  char saved_defer[32], saved_timeout[32], saved_threaded[32]; /* "" = not changed */
  /* the true originals, if known better than the device's current values (a daemon that
   * died tuned left them changed): restored instead of what is read; "" = read them */
  char orig_defer[32], orig_timeout[32], orig_threaded[32];
  int napi_threads; /* kthreads moved to this process's CPUs */
} dev_tuning;
/* the socket options of a busy-polled socket (busy_poll_tune sets them, then the device) */
int busy_poll_sockopts(int fd);
/* Busy poll socket fd and tune device name for it, masked flush_ns after a poll
 * (gro_flush_timeout): 0, or -errno with err set (undo with busy_poll_untune). */
int busy_poll_tune(dev_tuning *t, int fd, const char *name, long flush_ns, char *err, size_t errcap);
void busy_poll_untune(dev_tuning *t);

/* ---- the calls in the module table (mrsh_io.c), by file ---- */
typedef napi_value mrsh_call(napi_env env, napi_callback_info info);
mrsh_call js_if_info;                                                           /* mrsh_netns.c */
mrsh_call js_open_tun, js_recv_tun, js_send_tun;                                /* mrsh_tun.c */
mrsh_call js_open_packet, js_recv_packet, js_send_packet, js_unmap_ring, js_packet_stats; /* mrsh_packet.c */
mrsh_call js_open_xsk, js_recv_xsk, js_close_xsk, js_xsk_stats;                 /* mrsh_xsk.c */
mrsh_call js_poll_start, js_poll_stop;                                          /* mrsh_poll.c */
mrsh_call js_open_raw;                                                          /* mrsh_raw.c */

#pragma GCC visibility pop
#endif
