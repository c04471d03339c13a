// Frames: what a received frame must be to reach the engine, the Ethernet header a sent
// datagram gets, and the checksums offload leaves unfinished.
#include "mrsh_io.h"
#include <string.h>
#include <netinet/in.h>
#include <linux/virtio_net.h>

/* Fold a ones-complement accumulator to 16 bits. */
static inline uint16_t csum_fold32(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

static uint64_t csum_add(const uint8_t *p, size_t len, uint64_t sum) {
  while (len >= 2) {
    sum += (uint32_t)p[0] << 8 | p[1];
    p += 2;
    len -= 2;
  }
  if (len) sum += (uint32_t)p[0] << 8;
  return sum;
}

/* As skb_checksum_help: the field holds the pseudo-header sum, so sum from csum_start on. */
static int complete_csum(uint8_t *frame, size_t len, const struct virtio_net_hdr *vh) {
  size_t start = vh->csum_start, off = start + vh->csum_offset;
  if (start >= len || off + 2 > len) return -1;
  uint16_t c = (uint16_t)~csum_fold32(csum_add(frame + start, len - start, 0));
  if (c == 0) c = 0xffff; /* UDP's "no checksum" is 0; the ones-complement equivalent is 0xffff */
  frame[off] = c >> 8;
  frame[off + 1] = c & 0xff;
  return 0;
}

long accept_frame(uint8_t *f, long flen, const struct virtio_net_hdr *vh, int32_t *stats) {
  if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) return rx_drop(stats, RX_ST_GSO);
  if (flen < ETH_HLEN) return rx_drop(stats, RX_ST_TRUNCATED);
  uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
  if (et == ETH_P_8021Q || et == ETH_P_8021AD) return rx_drop(stats, RX_ST_VLAN);
  if (et != ETH_P_IP && et != ETH_P_IPV6) return rx_drop(stats, RX_ST_NOT_IP);
  uint8_t *ip = f + ETH_HLEN;
  long avail = flen - ETH_HLEN;
  long iplen;
  if (avail < (et == ETH_P_IP ? 20 : 40)) return rx_drop(stats, RX_ST_TRUNCATED);
  if ((ip[0] >> 4) != (et == ETH_P_IP ? 4 : 6)) return rx_drop(stats, RX_ST_NOT_IP);
  if (et == ETH_P_IP) {
    iplen = ip[2] << 8 | ip[3];
    if (iplen < 20) return rx_drop(stats, RX_ST_BAD_LENGTH); /* a header length beyond it: the engine's to count */
  } else {
    iplen = 40 + (ip[4] << 8 | ip[5]);
  }
  if (iplen > avail) return rx_drop(stats, RX_ST_BAD_LENGTH);
  if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
    /* over the IP datagram only, not the Ethernet padding */
    if (complete_csum(f, ETH_HLEN + iplen, vh) < 0) return rx_drop(stats, RX_ST_BAD_CSUM_OFFSET);
    stats[RX_ST_CSUM]++;
  }
  return iplen;
}

int eth_for(uint8_t *e, const uint8_t *p, int32_t len, const uint8_t *mac) {
  uint8_t v = p[0] >> 4;
  if (v == 4 && len >= 20) {
    e[0] = 0x01, e[1] = 0x00, e[2] = 0x5e;
    e[3] = p[17] & 0x7f, e[4] = p[18], e[5] = p[19];
    e[12] = 0x08, e[13] = 0x00;
  } else if (v == 6 && len >= 40) {
    e[0] = 0x33, e[1] = 0x33;
    memcpy(e + 2, p + 36, 4);
    e[12] = 0x86, e[13] = 0xdd;
  } else {
    return -1;
  }
  memcpy(e + 6, mac, 6);
  return 0;
}

/* The 16-bit ones-complement sum of len bytes, in host order (RFC 1071: 32-bit words into
 * a 64-bit accumulator, folded at the end, one swap). */
static uint32_t csum_words(const uint8_t *p, size_t len) {
  uint64_t s = 0;
  while (len >= 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    s += w;
    p += 4;
    len -= 4;
  }
  uint32_t t = 0;
  memcpy(&t, p, len); /* the tail, zero padded */
  s += t;
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return (uint32_t)__builtin_bswap16((uint16_t)s);
}

/* A frame reaching XDP has no offload state, so a UDP datagram from a host with tx checksum
 * offload (veth) holds only the pseudo-header sum. Only that exact case is completed: a
 * router does not judge L4, so anything else passes as it came. */
int udp_complete_partial(uint8_t *ip, long iplen) {
  uint32_t ps;
  long l4off, l4len;
  if ((ip[0] >> 4) == 4) {
    l4off = (ip[0] & 15) * 4;
    if (ip[9] != IPPROTO_UDP || (ip[6] & 0x3f) || ip[7]) return 0; /* not UDP, or a fragment */
    l4len = iplen - l4off;
    ps = csum_words(ip + 12, 8) + IPPROTO_UDP + (uint32_t)l4len;
  } else {
    l4off = 40;
    if (ip[6] != IPPROTO_UDP) return 0;
    l4len = iplen - 40;
    ps = csum_words(ip + 8, 32) + IPPROTO_UDP + (uint32_t)l4len;
  }
  if (l4len < 8) return 0;
  uint8_t *u = ip + l4off;
  uint16_t field = (uint16_t)(u[6] << 8 | u[7]);
  if (field == 0 && (ip[0] >> 4) == 4) return 0; /* IPv4 "no checksum" */
  if (field != csum_fold32(ps)) return 0;          /* not a partial one: no pass over the data */
  uint32_t data = csum_words(u, (size_t)l4len);
  if (csum_fold32((uint64_t)ps + data) == 0xffff) return 0; /* verifies all the same */
  uint16_t c = (uint16_t)~csum_fold32(data);
  if (c == 0) c = 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return 1;
}
