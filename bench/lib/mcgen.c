// UDP multicast generator: sendmmsg batches, groups round-robin.
//   mcgen [--group-base G] [--groups N] [--port P] [--size BYTES] [--rate PPS|0]
//         [--duration S] [--ttl T] [--if ADDR | --ifname DEV] [--batch B]
// --size is the IP datagram length (20 IP + 8 UDP + payload); --rate 0 saturates.
// Prints "sent N packets in S s (R pps)" when done.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  const char *base = "239.1.0.0", *ifaddr = NULL, *ifname = NULL;
  int groups = 1, port = 5000, size = 64, ttl = 16, batch = 64;
  double rate = 0, duration = 3;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) goto usage;
    if (!strcmp(a, "--group-base")) base = v;
    else if (!strcmp(a, "--groups")) groups = atoi(v);
    else if (!strcmp(a, "--port")) port = atoi(v);
    else if (!strcmp(a, "--size")) size = atoi(v);
    else if (!strcmp(a, "--rate")) rate = atof(v);
    else if (!strcmp(a, "--duration")) duration = atof(v);
    else if (!strcmp(a, "--ttl")) ttl = atoi(v);
    else if (!strcmp(a, "--if")) ifaddr = v;
    else if (!strcmp(a, "--ifname")) ifname = v;
    else if (!strcmp(a, "--batch")) batch = atoi(v);
    else goto usage;
    i++;
  }
  if (size < 28 || size > 65507 || groups < 1 || batch < 1 || batch > 1024) goto usage;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) return perror("socket"), 1;
  struct ip_mreqn mr;
  memset(&mr, 0, sizeof mr);
  if (ifaddr) inet_aton(ifaddr, &mr.imr_address);
  if (ifname) mr.imr_ifindex = (int)if_nametoindex(ifname);
  if ((ifaddr || ifname) && setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr) < 0)
    return perror("IP_MULTICAST_IF"), 1;
  unsigned char t = (unsigned char)ttl, loop = 0;
  setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof t);
  setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
  int sndbuf = 4 << 20;
  setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);

  struct in_addr g0;
  if (!inet_aton(base, &g0)) goto usage;
  struct sockaddr_in *dst = calloc(groups, sizeof *dst);
  for (int g = 0; g < groups; g++) {
    dst[g].sin_family = AF_INET;
    dst[g].sin_port = htons(port);
    dst[g].sin_addr.s_addr = htonl(ntohl(g0.s_addr) + (uint32_t)g);
  }
  int payload = size - 28;
  char *data = calloc(1, payload + 1);
  memset(data, 'm', payload);
  struct mmsghdr *msgs = calloc(batch, sizeof *msgs);
  struct iovec *iov = calloc(batch, sizeof *iov);
  for (int k = 0; k < batch; k++) {
    iov[k].iov_base = data;
    iov[k].iov_len = payload;
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
    msgs[k].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
  }
  long long sent = 0, errors = 0;
  unsigned long next_group = 0;
  double t0 = now(), end = t0 + duration;
  for (;;) {
    double t = now();
    if (t >= end) break;
    int want = batch;
    if (rate > 0) {
      // Paced: never ahead of rate * elapsed.
      double allowed = rate * (t - t0) - (double)sent;
      if (allowed < 1) {
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
        continue;
      }
      if (allowed < want) want = (int)allowed;
    }
    for (int k = 0; k < want; k++) msgs[k].msg_hdr.msg_name = &dst[next_group++ % groups];
    int r = sendmmsg(s, msgs, want, 0);
    if (r < 0) {
      if (errno == ENOBUFS || errno == EAGAIN) {
        errors++;
        continue;
      }
      perror("sendmmsg");
      return 1;
    }
    sent += r;
    // groups advance only by what was sent, so round-robin stays exact
    next_group -= (unsigned long)(want - r);
  }
  double el = now() - t0;
  printf("sent %lld packets in %.3f s (%.0f pps), %lld send errors\n", sent, el, sent / el, errors);
  return 0;
usage:
  fprintf(stderr, "usage: mcgen [--group-base G] [--groups N] [--port P] [--size BYTES] [--rate PPS] "
                  "[--duration S] [--ttl T] [--if ADDR | --ifname DEV] [--batch B]\n");
  return 2;
}
