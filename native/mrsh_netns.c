// Network namespaces and interface information.
// A socket or TUN device belongs to the namespace it was created in, so an open call
// switches only this thread, and only for its own duration: no JS runs in the other one.
#include "mrsh_io.h"
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int ns_enter(const char *name, ns_guard *g) {
  g->active = 0;
  g->self_fd = -1;
  if (!name || !*name) return 0;
  char path[300];
  if (strchr(name, '/')) snprintf(path, sizeof path, "%s", name);
  else snprintf(path, sizeof path, "/run/netns/%s", name);
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) return -errno;
  g->self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (g->self_fd < 0) {
    int e = errno;
    close(target);
    return -e;
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int e = errno;
    close(target);
    close(g->self_fd);
    return -e;
  }
  close(target);
  g->active = 1;
  return 0;
}

void ns_leave(ns_guard *g) {
  if (g->active) {
    if (setns(g->self_fd, CLONE_NEWNET) < 0) {
      /* Staying in the wrong namespace would silently misroute everything after. */
      fprintf(stderr, "mrsh_io: cannot return to the original network namespace: %s\n", strerror(errno));
      abort();
    }
    g->active = 0;
  }
  if (g->self_fd >= 0) close(g->self_fd);
  g->self_fd = -1;
}

int if_ioctl(int sock, unsigned long req, const char *name, struct ifreq *ifr) {
  memset(ifr, 0, sizeof *ifr);
  snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
  return ioctl(sock, req, ifr);
}

int if_mtu(const char *name, int dflt) {
  struct ifreq ifr;
  int mtu = dflt, s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    if (if_ioctl(s, SIOCGIFMTU, name, &ifr) == 0) mtu = ifr.ifr_mtu;
    close(s);
  }
  return mtu;
}

/* The device's IPv4 and IPv6 addresses, in getifaddrs order. */
static int add_addrs(napi_env env, const char *name, napi_value a4, napi_value a6) {
  struct ifaddrs *list = NULL;
  uint32_t n4 = 0, n6 = 0;
  int r = 0;
  if (getifaddrs(&list) != 0) return 0;
  for (struct ifaddrs *ifa = list; ifa && r == 0; ifa = ifa->ifa_next) {
    if (!ifa->ifa_addr || strcmp(ifa->ifa_name, name) != 0) continue;
    int family = ifa->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    char text[INET6_ADDRSTRLEN];
    const void *a = family == AF_INET ? (const void *)&((struct sockaddr_in *)ifa->ifa_addr)->sin_addr
                                      : (const void *)&((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
    inet_ntop(family, a, text, sizeof text);
    napi_value v;
    if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v) != napi_ok ||
        napi_set_element(env, family == AF_INET ? a4 : a6, family == AF_INET ? n4++ : n6++, v) != napi_ok)
      r = -1;
  }
  freeifaddrs(list);
  return r;
}

napi_value make_ifinfo(napi_env env, const char *name) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return throw_errno(env, "socket", errno);
  struct ifreq ifr;
  if (if_ioctl(s, SIOCGIFINDEX, name, &ifr) < 0) {
    int e = errno;
    close(s);
    char what[64];
    snprintf(what, sizeof what, "interface %s", name);
    return throw_errno(env, what, e);
  }
  int ifindex = ifr.ifr_ifindex;
  int mtu = if_ioctl(s, SIOCGIFMTU, name, &ifr) == 0 ? ifr.ifr_mtu : 1500;
  unsigned char mac[6] = {0};
  if (if_ioctl(s, SIOCGIFHWADDR, name, &ifr) == 0) memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  close(s);

  napi_value obj, macv, a4, a6;
  void *macp;
  if (napi_create_object(env, &obj) != napi_ok || set_int(env, obj, "ifindex", ifindex) || set_int(env, obj, "mtu", mtu) ||
      napi_create_buffer_copy(env, 6, mac, &macp, &macv) != napi_ok || napi_set_named_property(env, obj, "mac", macv) != napi_ok ||
      napi_create_array(env, &a4) != napi_ok || napi_create_array(env, &a6) != napi_ok || add_addrs(env, name, a4, a6) ||
      napi_set_named_property(env, obj, "addrs4", a4) != napi_ok || napi_set_named_property(env, obj, "addrs6", a6) != napi_ok)
    return throw_napi_failed(env, "ifInfo");
  return obj;
}

/* ifInfo(name, netns|null) */
napi_value js_if_info(napi_env env, napi_callback_info info) {
  NAPI_ARGS(2);
  char name[IFNAMSIZ + 1], ns[NETNS_MAX];
  if (get_open_args(env, argv, argc, 1, "ifInfo(name, netns?)", name, ns) < 0) return NULL;
  ns_guard g;
  int r = ns_enter(ns, &g);
  if (r < 0) return throw_errno(env, "enter netns", -r);
  napi_value out = make_ifinfo(env, name);
  ns_leave(&g);
  return out;
}
