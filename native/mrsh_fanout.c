// Packet fanout groups: the packet sockets of several links on one interface (one per
// worker thread) share the interface's input, each (S,G) to one of them (the program is
// mrsh_bpf.c's fanout_prog). A link names a group by a number of its own (1..65535); the
// kernel's group id is another one, unique in the namespace (PACKET_FANOUT_FLAG_UNIQUEID),
// so another process's group of the same number on the same interface (another mrsh, a
// capture tool) is never joined. This process-wide table, shared by every thread's copy of
// the addon (one shared object), maps (namespace, ifindex, group) to the kernel's id.
#include "mrsh_io.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/filter.h>
#include <linux/if_packet.h>

#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000 /* Linux >= 6.2 */
#endif

/* The group's own frames out of this interface (the host's, or ours without qdisc bypass)
 * are not input: the per-socket PACKET_IGNORE_OUTGOING no longer applies once the socket
 * is a member (the group's hook receives instead), so the group needs the flag too. */
#define FANOUT_TYPE (PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_IGNORE_OUTGOING)

typedef struct fanout_group {
  dev_t ns_dev;
  ino_t ns_ino;
  unsigned ifindex;
  uint16_t group, id;
  struct fanout_group *next;
} fanout_group;

static pthread_mutex_t groups_mu = PTHREAD_MUTEX_INITIALIZER;
static fanout_group *groups;

int netns_ident(dev_t *dev, ino_t *ino) {
  struct stat st;
  if (stat("/proc/thread-self/ns/net", &st) < 0) return -errno;
  *dev = st.st_dev;
  *ino = st.st_ino;
  return 0;
}

int fanout_hold(int fd) {
  /* until the socket is in its group: bound, it would also take frames the group gets */
  struct sock_filter drop = {.code = BPF_RET | BPF_K, .k = 0};
  struct sock_fprog p = {.len = 1, .filter = &drop};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof p) < 0 ? -errno : 0;
}

static int join_unique(int fd, uint16_t *id) {
  int v = (PACKET_FANOUT_FLAG_UNIQUEID | FANOUT_TYPE) << 16;
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, sizeof v) < 0) return -errno;
  socklen_t l = sizeof v;
  if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, &l) < 0) return -errno;
  *id = (uint16_t)(v & 0xffff);
  return 0;
}

int fanout_join(int fd, unsigned ifindex, int group, int *kernel_id, const char **step) {
  dev_t nd = 0;
  ino_t ni = 0;
  *step = "/proc/thread-self/ns/net";
  int r = netns_ident(&nd, &ni);
  if (r < 0) return r;
  struct sock_filter prog[64];
  int n = fanout_prog_build(prog, 64);
  *step = "fanout program";
  if (n < 0) return n;
  pthread_mutex_lock(&groups_mu);
  fanout_group *g = groups;
  while (g && !(g->ns_dev == nd && g->ns_ino == ni && g->ifindex == ifindex && g->group == group)) g = g->next;
  *step = "PACKET_FANOUT";
  if (g) {
    int v = g->id | FANOUT_TYPE << 16;
    r = setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, sizeof v) < 0 ? -errno : 0;
    /* our group ended (all its members closed) and its id went to a group of another
     * kind: start ours again under a new id */
    if (r == -EINVAL) r = join_unique(fd, &g->id);
  } else {
    uint16_t id = 0;
    r = join_unique(fd, &id);
    if (r == 0) {
      g = calloc(1, sizeof *g);
      if (g) {
        *g = (fanout_group){.ns_dev = nd, .ns_ino = ni, .ifindex = ifindex, .group = (uint16_t)group, .id = id, .next = groups};
        groups = g;
      } else
        r = -ENOMEM;
    }
  }
  if (r == 0) *kernel_id = g->id;
  pthread_mutex_unlock(&groups_mu);
  if (r < 0) return r;
  *step = "SO_DETACH_FILTER";
  int zero = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero) < 0) return -errno;
  /* every member sets the program: the same one, so a running group's choice of member
   * does not change, and a group just started (member 0 until then: us) gets it */
  struct sock_fprog p = {.len = (unsigned short)n, .filter = prog};
  *step = "PACKET_FANOUT_DATA";
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &p, sizeof p) < 0) return -errno;
  return 0;
}
