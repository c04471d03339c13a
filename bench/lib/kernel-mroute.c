// The Linux-kernel yardstick: make this namespace's kernel forward multicast the way mrsh
// is asked to. Run inside the router namespace:
//   kernel-mroute --source S --group-base G --groups N IIF OIF...
// vif 0 is IIF, vifs 1.. are the OIFs (by ifindex, VIFF_USE_IFINDEX); every group
// (S, G+i) arrives on vif 0 and leaves on every OIF (ttl threshold 1). MRT_INIT turns on
// net.ipv4.conf.*.mc_forwarding for the vifs. Prints "ready", then holds the mroute socket
// (closing it is MRT_DONE) until SIGTERM/SIGINT, and prints the per-vif counters.
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/mroute.h>

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static void die(const char *what) {
  fprintf(stderr, "kernel-mroute: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char **argv) {
  const char *source = NULL, *base = "239.1.0.0";
  int groups = 1, i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "--source") && i + 1 < argc) source = argv[++i];
    else if (!strcmp(argv[i], "--group-base") && i + 1 < argc) base = argv[++i];
    else if (!strcmp(argv[i], "--groups") && i + 1 < argc) groups = atoi(argv[++i]);
    else break;
  }
  int nif = argc - i;
  if (!source || nif < 2 || nif > MAXVIFS || groups < 1) {
    fprintf(stderr, "usage: kernel-mroute --source S [--group-base G] [--groups N] IIF OIF...\n");
    return 2;
  }
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_IGMP);
  if (s < 0) die("socket(IPPROTO_IGMP)");
  int one = 1;
  if (setsockopt(s, IPPROTO_IP, MRT_INIT, &one, sizeof one) < 0) die("MRT_INIT");
  for (int v = 0; v < nif; v++) {
    struct vifctl vc;
    memset(&vc, 0, sizeof vc);
    vc.vifc_vifi = v;
    vc.vifc_flags = VIFF_USE_IFINDEX;
    vc.vifc_threshold = 1;
    vc.vifc_lcl_ifindex = (int)if_nametoindex(argv[i + v]);
    if (!vc.vifc_lcl_ifindex) die(argv[i + v]);
    if (setsockopt(s, IPPROTO_IP, MRT_ADD_VIF, &vc, sizeof vc) < 0) die("MRT_ADD_VIF");
  }
  struct in_addr src, g0;
  if (!inet_aton(source, &src) || !inet_aton(base, &g0)) {
    fprintf(stderr, "kernel-mroute: bad address\n");
    return 2;
  }
  for (int g = 0; g < groups; g++) {
    struct mfcctl mc;
    memset(&mc, 0, sizeof mc);
    mc.mfcc_origin = src;
    mc.mfcc_mcastgrp.s_addr = htonl(ntohl(g0.s_addr) + (uint32_t)g);
    mc.mfcc_parent = 0;
    for (int v = 1; v < nif; v++) mc.mfcc_ttls[v] = 1;
    if (setsockopt(s, IPPROTO_IP, MRT_ADD_MFC, &mc, sizeof mc) < 0) die("MRT_ADD_MFC");
  }
  // sigaction without SA_RESTART (glibc's signal() sets it): recv() must return EINTR on
  // SIGTERM, or the harness waits for its SIGKILL fallback.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  printf("ready vifs=%d groups=%d\n", nif, groups);
  fflush(stdout);
  // The kernel sends upcalls (NOCACHE for anything unmatched) to this socket; drain them so
  // its queue never fills, and otherwise sleep.
  char buf[2048];
  while (!stop) {
    ssize_t r = recv(s, buf, sizeof buf, 0);
    if (r < 0 && errno != EINTR) break;
  }
  FILE *f = fopen("/proc/net/ip_mr_vif", "r");
  if (f) {
    while (fgets(buf, sizeof buf, f)) fputs(buf, stdout);
    fclose(f);
  }
  close(s); // MRT_DONE
  return 0;
}
