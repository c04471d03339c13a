// MRT_ADD_MFC throughput of whatever serves this process's raw IGMP socket: Linux ipmr,
// or `mrsh daemon` when run under `mrsh exec` (the preload library turns the socket into
// a routing socket of the daemon). The same binary, unmodified, for both:
//   mfc-adds [--adds N] [--vif-ifindex IFINDEX] [--source-base S] [--group-base G]
// socket(AF_INET, SOCK_RAW, IPPROTO_IGMP), MRT_INIT, optionally vif 0 on IFINDEX
// (VIFF_USE_IFINDEX), then N MRT_ADD_MFC of distinct (S,G) with parent 0 and no outgoing
// vif, then one getsockopt(MRT_VERSION): synchronous, so every add before it has been
// applied (under mrsh exec an add may return before the daemon has done it). Only the
// adds and that getsockopt are timed. Prints one JSON line:
//   {"adds":N,"secs":S,"adds_per_s":R,"version":V}
// and exits non-zero, saying why, if any call fails.
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
#include <linux/mroute.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, long i) {
  if (i >= 0) fprintf(stderr, "mfc-adds: %s (add %ld): %s\n", what, i, strerror(errno));
  else fprintf(stderr, "mfc-adds: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char **argv) {
  long adds = 100000;
  int vif_ifindex = 0;
  const char *sbase = "10.0.0.0", *gbase = "232.0.0.0";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) goto usage;
    if (!strcmp(a, "--adds")) adds = atol(v);
    else if (!strcmp(a, "--vif-ifindex")) vif_ifindex = atoi(v);
    else if (!strcmp(a, "--source-base")) sbase = v;
    else if (!strcmp(a, "--group-base")) gbase = v;
    else goto usage;
    i++;
  }
  if (adds < 1) goto usage;
  struct in_addr s0, g0;
  if (inet_pton(AF_INET, sbase, &s0) != 1 || inet_pton(AF_INET, gbase, &g0) != 1) goto usage;

  int sd = socket(AF_INET, SOCK_RAW, IPPROTO_IGMP);
  if (sd < 0) die("socket(AF_INET, SOCK_RAW, IPPROTO_IGMP)", -1);
  int one = 1;
  if (setsockopt(sd, IPPROTO_IP, MRT_INIT, &one, sizeof one) < 0) die("MRT_INIT", -1);
  if (vif_ifindex > 0) {
    struct vifctl vc;
    memset(&vc, 0, sizeof vc);
    vc.vifc_vifi = 0;
    vc.vifc_flags = VIFF_USE_IFINDEX;
    vc.vifc_threshold = 1;
    vc.vifc_lcl_ifindex = vif_ifindex;
    if (setsockopt(sd, IPPROTO_IP, MRT_ADD_VIF, &vc, sizeof vc) < 0) die("MRT_ADD_VIF", -1);
  }

  // distinct (S,G): 256 groups per source, sources counting up from the base
  struct mfcctl mc;
  memset(&mc, 0, sizeof mc);
  mc.mfcc_parent = 0;
  uint32_t sb = ntohl(s0.s_addr), gb = ntohl(g0.s_addr);
  double t0 = now();
  for (long i = 0; i < adds; i++) {
    mc.mfcc_origin.s_addr = htonl(sb + (uint32_t)(i >> 8));
    mc.mfcc_mcastgrp.s_addr = htonl(gb + (uint32_t)(i & 255));
    if (setsockopt(sd, IPPROTO_IP, MRT_ADD_MFC, &mc, sizeof mc) < 0) die("MRT_ADD_MFC", i);
  }
  int version = 0;
  socklen_t vl = sizeof version;
  if (getsockopt(sd, IPPROTO_IP, MRT_VERSION, &version, &vl) < 0) die("getsockopt(MRT_VERSION)", -1);
  double secs = now() - t0;
  printf("{\"adds\":%ld,\"secs\":%.6f,\"adds_per_s\":%.0f,\"version\":%d}\n", adds, secs, adds / secs, version);
  fflush(stdout);
  close(sd);
  return 0;
usage:
  fprintf(stderr, "usage: mfc-adds [--adds N] [--vif-ifindex IFINDEX] [--source-base S] [--group-base G]\n");
  return 2;
}
