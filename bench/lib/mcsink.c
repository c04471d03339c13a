// UDP multicast receiver: joins groups G..G+N-1 on an interface and counts datagrams.
//   mcsink [--group-base G] [--groups N] [--port P] [--if ADDR] [--duration S]
// Prints one line per second "t=.. pps=.." and a final "received N packets in S s (R pps)".
// Only datagrams the kernel accepted (valid UDP checksum, joined group) are counted.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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
  const char *base = "239.1.0.0", *ifaddr = "0.0.0.0";
  int groups = 1, port = 5000;
  double duration = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--group-base")) base = argv[i + 1];
    else if (!strcmp(argv[i], "--groups")) groups = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--if")) ifaddr = argv[i + 1];
    else if (!strcmp(argv[i], "--duration")) duration = atof(argv[i + 1]);
    else {
      fprintf(stderr, "usage: mcsink [--group-base G] [--groups N] [--port P] [--if ADDR] [--duration S]\n");
      return 2;
    }
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1, rcv = 8 << 20;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) return perror("bind"), 1;
  struct in_addr g0, ifa;
  inet_aton(base, &g0);
  inet_aton(ifaddr, &ifa);
  for (int g = 0; g < groups; g++) {
    struct ip_mreq m = {.imr_interface = ifa};
    m.imr_multiaddr.s_addr = htonl(ntohl(g0.s_addr) + (uint32_t)g);
    // needs net.ipv4.igmp_max_memberships >= groups in this namespace
    if (setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0) return perror("IP_ADD_MEMBERSHIP"), 1;
  }
  struct timeval tv = {0, 200000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  printf("ready\n");
  fflush(stdout);
  enum { B = 64 };
  static char bufs[B][2048];
  struct iovec iov[B];
  struct mmsghdr msgs[B];
  for (int k = 0; k < B; k++) {
    iov[k].iov_base = bufs[k];
    iov[k].iov_len = sizeof bufs[k];
    memset(&msgs[k], 0, sizeof msgs[k]);
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  long long total = 0, last = 0;
  double t0 = now(), tick = t0 + 1, end = t0 + duration;
  while (now() < end) {
    int r = recvmmsg(s, msgs, B, 0, NULL);
    if (r > 0) total += r;
    double t = now();
    if (t >= tick) {
      printf("t=%.0f pps=%lld\n", t - t0, total - last);
      fflush(stdout);
      last = total;
      tick += 1;
    }
  }
  double el = now() - t0;
  printf("received %lld packets in %.3f s (%.0f pps)\n", total, el, total / el);
  return 0;
}
