// PACKET_MMAP TPACKET_V2 rings, one per direction (docs/ARCHITECTURE.md, "The addon", says
// why V2 and why the transmit ring has a socket of its own). Frames are copied between the
// ring and the caller's slots, and each is given back to the kernel at once.
#include "mrsh_io.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#define RING_BYTES (2u << 20) /* per direction */
#define TX_RING_BATCH 256     /* frames queued before each send() */

void rx_ring_unmap(rx_ring *r) {
  if (!r || !r->alive) return;
  if (r->rxmap) munmap(r->rxmap, r->rxlen);
  if (r->txmap) munmap(r->txmap, r->txlen);
  if (r->txfd >= 0) close(r->txfd);
  r->rxmap = r->txmap = NULL;
  r->txfd = -1;
  r->rx.base = r->tx.base = NULL;
  r->alive = 0;
}

void rx_ring_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  rx_ring_unmap(data);
  free(data);
}

static void ring_req(int mtu, struct tpacket_req *req) {
  /* frame: tpacket2_hdr + sockaddr_ll (aligned), the vnet header, Ethernet + VLAN, the MTU */
  uint32_t need = TPACKET_ALIGN(TPACKET2_HDRLEN) + 16 + sizeof(struct virtio_net_hdr) + ETH_HLEN + 4 + (uint32_t)mtu;
  uint32_t fsize = 2048;
  while (fsize < need) fsize <<= 1;
  uint32_t bsize = fsize > 65536 ? fsize : 65536;
  uint32_t bnr = RING_BYTES / bsize;
  if (bnr < 4) bnr = 4;
  req->tp_block_size = bsize;
  req->tp_block_nr = bnr;
  req->tp_frame_size = fsize;
  req->tp_frame_nr = (bsize / fsize) * bnr;
}

/* Ask for one ring (PACKET_RX_RING or PACKET_TX_RING) on fd and map it into h. */
static int ring_map(int fd, int which, int mtu, uint8_t **map, size_t *maplen, ring_half *h) {
  int v = TPACKET_V2;
  struct tpacket_req q;
  ring_req(mtu, &q);
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 || setsockopt(fd, SOL_PACKET, which, &q, sizeof q) < 0)
    return -1;
  size_t len = (size_t)q.tp_block_size * q.tp_block_nr;
  void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (m == MAP_FAILED) return -1;
  *map = m;
  *maplen = len;
  *h = (ring_half){.base = m, .fsize = q.tp_frame_size, .fnr = q.tp_frame_nr, .head = 0};
  return 0;
}

/* Before fd is bound. The receive ring is on fd; the transmit ring on a send-only socket
 * of its own that nothing polls. 0, or -errno with r left clean. */
int rx_ring_setup(int fd, unsigned ifindex, int mtu, int rx, int tx, int qdisc_bypass, rx_ring *r) {
  int one = 1, e = 0;
  memset(r, 0, sizeof *r);
  r->txfd = -1;
  r->mtu = mtu;
  r->alive = 1;
  if (rx && ring_map(fd, PACKET_RX_RING, mtu, &r->rxmap, &r->rxlen, &r->rx) < 0) goto fail;
  if (tx) {
    int t = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t < 0) goto fail;
    r->txfd = t;
    int snd = 4 << 20;
    if (setsockopt(t, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) < 0)
      setsockopt(t, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
    /* PACKET_LOSS (before the ring exists): a malformed frame is skipped, not a stalled ring */
    if (setsockopt(t, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0 ||
        (qdisc_bypass && setsockopt(t, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) ||
        setsockopt(t, SOL_PACKET, PACKET_LOSS, &one, sizeof one) < 0 ||
        ring_map(t, PACKET_TX_RING, mtu, &r->txmap, &r->txlen, &r->tx) < 0)
      goto fail;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = 0; /* send only */
    sll.sll_ifindex = (int)ifindex;
    if (bind(t, (struct sockaddr *)&sll, sizeof sll) < 0) goto fail;
  }
  return 0;
fail:
  e = errno;
  rx_ring_unmap(r);
  return -e;
}

static inline struct tpacket2_hdr *ring_frame(const ring_half *h, uint32_t i) {
  return (struct tpacket2_hdr *)(h->base + (size_t)i * h->fsize);
}

/* Take up to a->max frames the kernel has handed over; *taken says how many were read. */
int recv_ring(rx_ring *r, const recv_args *a, int *taken) {
  int out = 0, n = 0;
  while (n < a->max) {
    struct tpacket2_hdr *h = ring_frame(&r->rx, r->rx.head);
    uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(st & TP_STATUS_USER)) break;
    uint8_t *f = (uint8_t *)h + h->tp_mac;
    uint32_t snap = h->tp_snaplen;
    long iplen;
    /* the stack takes a VLAN tag off into the skb before the taps: tagged frames are another
     * network's, never this interface's datagrams */
    if (st & TP_STATUS_VLAN_VALID)
      iplen = rx_drop(a->stats, RX_ST_VLAN);
    else if (!(st & TP_STATUS_COPY) && snap == h->tp_len && snap <= (uint32_t)a->slot &&
        h->tp_mac >= sizeof(struct virtio_net_hdr) + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll) &&
        (size_t)h->tp_mac + snap <= r->rx.fsize) {
      struct virtio_net_hdr vh;
      memcpy(&vh, f - sizeof vh, sizeof vh);
      uint8_t *dst = a->buf + (size_t)n * a->slot;
      memcpy(dst, f, snap);
      iplen = accept_frame(dst, (long)snap, &vh, a->stats);
    } else
      iplen = rx_drop(a->stats, RX_ST_TRUNCATED); /* cut to the ring's frame or the slot */
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    if (++r->rx.head == r->rx.fnr) r->rx.head = 0;
    recv_deliver(a, &out, n, iplen);
    n++;
  }
  *taken = n;
  return out;
}

/* Each datagram behind a zero vnet header and its Ethernet header into the next free TX
 * frame, then one send() for the batch. A frame still in flight means the ring is full:
 * the rest is dropped, as EAGAIN would. Frames a refusing device left requested are taken
 * back (dropped) and the head rewound to stay in step with the kernel's. */
int send_ring(rx_ring *r, const send_args *a, const uint8_t *mac, double *bytes_out) {
  ring_half *t = &r->tx;
  const uint32_t data_off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
  const uint32_t room = t->fsize - data_off - sizeof(struct virtio_net_hdr) - ETH_HLEN;
  int sent = 0, i = 0;
  int32_t qlen[TX_RING_BATCH];
  double bytes = 0;
  while (i < a->count) {
    int k = 0;
    uint32_t first = t->head;
    while (i < a->count && k < TX_RING_BATCH) {
      int32_t len = a->lens[i];
      uint8_t *p = send_datagram(a, i);
      i++;
      if (!p || (uint32_t)len > room || len > r->mtu) continue; /* as EMSGSIZE */
      struct tpacket2_hdr *h = ring_frame(t, t->head);
      if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) &
          (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT)) {
        i = a->count; /* ring full: drop the rest */
        break;
      }
      uint8_t *d = (uint8_t *)h + data_off;
      struct virtio_net_hdr *vh = (struct virtio_net_hdr *)d;
      uint8_t *e = d + sizeof *vh;
      if (eth_for(e, p, len, mac) < 0) continue;
      memset(vh, 0, sizeof *vh);
      vh->hdr_len = (uint16_t)(ETH_HLEN + len); /* all of it linear in the skb */
      memcpy(e + ETH_HLEN, p, len);
      h->tp_len = sizeof *vh + ETH_HLEN + len;
      __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
      qlen[k++] = len;
      if (++t->head == t->fnr) t->head = 0;
    }
    if (k == 0) continue;
    ssize_t r2;
    do r2 = send(r->txfd, NULL, 0, MSG_DONTWAIT);
    while (r2 < 0 && errno == EINTR);
    /* frames the kernel did not take are still SEND_REQUEST, from its head on */
    int done = k;
    if (r2 < 0) {
      for (int j = 0; j < k; j++) {
        uint32_t idx = (first + j) % t->fnr;
        if (__atomic_load_n(&ring_frame(t, idx)->tp_status, __ATOMIC_ACQUIRE) == TP_STATUS_SEND_REQUEST) {
          done = j;
          for (int m = j; m < k; m++)
            __atomic_store_n(&ring_frame(t, (first + m) % t->fnr)->tp_status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
          t->head = idx;
          break;
        }
      }
    }
    for (int j = 0; j < done; j++) bytes += qlen[j];
    sent += done;
    if (done < k) break; /* the device refused: drop the rest of the batch */
  }
  *bytes_out = bytes;
  return sent;
}
