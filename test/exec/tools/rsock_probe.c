/*
 * A stand-in routing daemon for the preload library's tests: it calls the socket API the
 * way smcrouted and pimd do, one command per stdin line, one answer per stdout line
 * ("ok ..." or "err ENAME"). It knows nothing of mrsh: run under LD_PRELOAD it talks to
 * the daemon, run without it, to the kernel, and the answers should read the same.
 *
 *   open4|open6 [nonblock]           -> ok INDEX       (socket(AF_INET[6], SOCK_RAW, IGMP|ICMPV6))
 *   setint I LEVEL NAME VAL | getint I LEVEL NAME
 *   init I | done I                  MRT_INIT(1) / MRT_DONE on the socket's family
 *   addvif I VIFI IFINDEX            vifctl with VIFF_USE_IFINDEX (mif6ctl for IPv6)
 *   addmfc I SRC GRP PARENT [OIF..]  | delmfc I SRC GRP | mfclen I LEN (a bad optlen)
 *   pipeline I N                     N adds (S = 198.51.100.x / 2001:db8::x), timed
 *   calls I OP...                    several calls in a row, answers on one line
 *   threads I T K                    T threads of K adds each, a getsockopt every 100
 *   read I LEN | recvfrom I LEN | recvmsg I LEN [peek] [trunc] | nonblock I (fcntl)
 *   wait I poll|select|epoll MS      -> ok readable | ok timeout
 *   recvmmsg I N LEN                 -> ok COUNT LEN[t]...  (t: MSG_TRUNC)
 *   sgcnt I SRC GRP | mtu I IFNAME | sotype I | fionread I | dup I | dup2 I FD | close I
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MRT_INIT 200
#define MRT_DONE 201
#define MRT_ADD_VIF 202
#define MRT_ADD_MFC 204
#define MRT_DEL_MFC 205
#define VIFF_USE_IFINDEX 0x8
#define SIOCGETSGCNT 0x89E1
#define SIOCGETSGCNT_IN6 0x89E1

static int fds[64], fam[64], nsock;

static const char *en(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

static int sock(const char *a) {
  int i = atoi(a);
  return i >= 0 && i < nsock ? i : 0;
}

static int level(int i) { return fam[i] == AF_INET ? IPPROTO_IP : IPPROTO_IPV6; }

static void put_addr(int f, const char *s, uint8_t *at) { inet_pton(f, s, at); }

/* Linux's 60-byte mfcctl, or 92-byte mf6cctl */
static size_t mfc(int i, const char *src, const char *grp, int parent, char **oifs, int noifs, uint8_t *b) {
  memset(b, 0, 92);
  if (fam[i] == AF_INET) {
    put_addr(AF_INET, src, b), put_addr(AF_INET, grp, b + 4);
    uint16_t p = parent;
    memcpy(b + 8, &p, 2);
    for (int k = 0; k < noifs; k++) b[10 + atoi(oifs[k])] = 1;
    return 60;
  }
  b[0] = b[28] = AF_INET6;
  put_addr(AF_INET6, src, b + 8), put_addr(AF_INET6, grp, b + 36);
  uint16_t p = parent;
  memcpy(b + 56, &p, 2);
  for (int k = 0; k < noifs; k++) b[60 + atoi(oifs[k]) / 8] |= 1 << (atoi(oifs[k]) % 8);
  return 92;
}

static int setmfc(int i, int name, const char *src, const char *grp, int parent, char **oifs, int n) {
  uint8_t b[92];
  size_t len = mfc(i, src, grp, parent, oifs, n, b);
  return setsockopt(fds[i], level(i), name, b, len) ? errno : 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void *thread_adds(void *arg) {
  struct job {
    int sock, t, k, fails;
  } *j = arg;
  char src[64], grp[64];
  for (int k = 0; k < j->k; k++) {
    snprintf(src, sizeof src, "198.51.100.%d", j->t + 1);
    snprintf(grp, sizeof grp, "239.9.%d.%d", k >> 8, k & 255);
    j->fails += setmfc(j->sock, MRT_ADD_MFC, src, grp, 0, NULL, 0) != 0;
    if (k % 100 == 99) {
      int v = 0;
      socklen_t len = sizeof v;
      j->fails += getsockopt(fds[j->sock], level(j->sock), 206, &v, &len) != 0 || v != 0x305 || len != 4;
    }
  }
  return NULL;
}

static void show_datagram(int i, ssize_t n, const uint8_t *buf, size_t len, struct msghdr *m, const void *from) {
  char a[64] = "-", d[64] = "-";
  int ifindex = 0;
  if (fam[i] == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, a, sizeof a);
  else inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, a, sizeof a);
  for (struct cmsghdr *c = m ? CMSG_FIRSTHDR(m) : NULL; c; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo *p = (void *)CMSG_DATA(c);
      ifindex = p->ipi_ifindex;
      inet_ntop(AF_INET, &p->ipi_addr, d, sizeof d);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo *p = (void *)CMSG_DATA(c);
      ifindex = p->ipi6_ifindex;
      inet_ntop(AF_INET6, &p->ipi6_addr, d, sizeof d);
    }
  }
  /* igmpmsg: im_msgtype at 8, im_mbz 9, im_vif 10; mrt6msg: im6_mbz 0, im6_msgtype 1, im6_mif 2 */
  int type = -1, vif = -1;
  size_t got = (size_t)n < len ? (size_t)n : len;
  if (fam[i] == AF_INET && got >= 11) type = buf[8], vif = buf[10];
  if (fam[i] == AF_INET6 && got >= 4) type = buf[1], vif = buf[2] | buf[3] << 8;
  printf("ok n=%zd trunc=%d ctrunc=%d from=%s ifindex=%d dst=%s type=%d vif=%d\n", n, m && (m->msg_flags & MSG_TRUNC) ? 1 : 0,
         m && (m->msg_flags & MSG_CTRUNC) ? 1 : 0, a, ifindex, d, type, vif);
}

static void command(char **w, int n) {
  const char *c = w[0];
  int i = n > 1 ? sock(w[1]) : 0;
  if (!strcmp(c, "open4") || !strcmp(c, "open6")) {
    int f = c[4] == '4' ? AF_INET : AF_INET6;
    int type = SOCK_RAW | (n > 1 && !strcmp(w[1], "nonblock") ? SOCK_NONBLOCK : 0);
    int fd = socket(f, type, f == AF_INET ? IPPROTO_IGMP : IPPROTO_ICMPV6);
    if (fd < 0) return (void)printf("err %s\n", en(errno));
    fds[nsock] = fd, fam[nsock] = f;
    printf("ok %d fd=%d\n", nsock++, fd);
  } else if (!strcmp(c, "setint") && n >= 5) {
    int v = atoi(w[4]);
    if (setsockopt(fds[i], atoi(w[2]), atoi(w[3]), &v, sizeof v)) printf("err %s\n", en(errno));
    else printf("ok\n");
  } else if (!strcmp(c, "getint") && n >= 4) {
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fds[i], atoi(w[2]), atoi(w[3]), &v, &len)) printf("err %s\n", en(errno));
    else printf("ok %d len=%u\n", v, len);
  } else if (!strcmp(c, "init") || !strcmp(c, "done")) {
    int one = 1;
    int r = c[0] == 'i' ? setsockopt(fds[i], level(i), MRT_INIT, &one, sizeof one) : setsockopt(fds[i], level(i), MRT_DONE, NULL, 0);
    if (r) printf("err %s\n", en(errno));
    else printf("ok\n");
  } else if (!strcmp(c, "addvif") && n >= 4) {
    uint8_t b[16] = {0};
    size_t len;
    uint16_t vifi = atoi(w[2]);
    int ifindex = atoi(w[3]);
    memcpy(b, &vifi, 2);
    if (fam[i] == AF_INET) {
      b[2] = VIFF_USE_IFINDEX, b[3] = 1;
      memcpy(b + 8, &ifindex, 4);
      len = 16;
    } else {
      uint16_t pifi = ifindex;
      b[3] = 1;
      memcpy(b + 4, &pifi, 2);
      len = 12;
    }
    if (setsockopt(fds[i], level(i), MRT_ADD_VIF, b, len)) printf("err %s\n", en(errno));
    else printf("ok\n");
  } else if (!strcmp(c, "addmfc") && n >= 5) {
    int e = setmfc(i, MRT_ADD_MFC, w[2], w[3], atoi(w[4]), w + 5, n - 5);
    e ? printf("err %s\n", en(e)) : printf("ok\n");
  } else if (!strcmp(c, "delmfc") && n >= 4) {
    int e = setmfc(i, MRT_DEL_MFC, w[2], w[3], 0, NULL, 0);
    e ? printf("err %s\n", en(e)) : printf("ok\n");
  } else if (!strcmp(c, "mfclen") && n >= 3) {
    uint8_t b[128] = {0};
    b[4] = 239; /* a valid group, so only the length is wrong */
    if (setsockopt(fds[i], level(i), MRT_ADD_MFC, b, atoi(w[2]))) printf("err %s\n", en(errno));
    else printf("ok\n");
  } else if (!strcmp(c, "pipeline") && n >= 3) {
    int count = atoi(w[2]), fails = 0;
    char src[64], grp[64];
    double t0 = now();
    for (int k = 0; k < count; k++) {
      if (fam[i] == AF_INET) {
        snprintf(src, sizeof src, "198.51.100.%d", k & 255);
        snprintf(grp, sizeof grp, "239.%d.%d.1", 1 + ((k >> 16) & 127), (k >> 8) & 255);
      } else {
        snprintf(src, sizeof src, "2001:db8::%x", k & 255);
        snprintf(grp, sizeof grp, "ff0e::%x:1", k >> 8);
      }
      fails += setmfc(i, MRT_ADD_MFC, src, grp, 0, NULL, 0) != 0;
    }
    double t1 = now();
    int v;
    socklen_t len = sizeof v;
    getsockopt(fds[i], level(i), 206 /* MRT_VERSION: waits for all before it */, &v, &len);
    double t2 = now();
    printf("ok fails=%d calls_per_s=%.0f done_per_s=%.0f\n", fails, count / (t1 - t0), count / (t2 - t0));
  } else if (!strcmp(c, "threads") && n >= 4) {
    /* T threads, each K adds of its own (S,G) and a getsockopt after every 100: the
     * library's one lock must keep each reply with its caller */
    enum { MAXT = 16 };
    static struct job { int sock, t, k, fails; } jobs[MAXT];
    int nt = atoi(w[2]) < MAXT ? atoi(w[2]) : MAXT, fails = 0;
    pthread_t th[MAXT];
    for (int t = 0; t < nt; t++) jobs[t] = (struct job){i, t, atoi(w[3]), 0}, pthread_create(&th[t], NULL, thread_adds, &jobs[t]);
    for (int t = 0; t < nt; t++) pthread_join(th[t], NULL), fails += jobs[t].fails;
    printf("ok fails=%d\n", fails);
  } else if (!strcmp(c, "calls")) {
    /* "calls I add S G P | del S G | ..." with ';' between calls */
    char out[4096] = "ok";
    for (int k = 2; k < n;) {
      int e = 0;
      if (!strcmp(w[k], "add") && k + 3 < n) e = setmfc(i, MRT_ADD_MFC, w[k + 1], w[k + 2], atoi(w[k + 3]), NULL, 0), k += 4;
      else if (!strcmp(w[k], "del") && k + 2 < n) e = setmfc(i, MRT_DEL_MFC, w[k + 1], w[k + 2], 0, NULL, 0), k += 3;
      else {
        int v;
        socklen_t len = sizeof v;
        e = getsockopt(fds[i], level(i), 206, &v, &len) ? errno : 0, k += 1;
      }
      snprintf(out + strlen(out), sizeof out - strlen(out), " %s", e ? en(e) : "0");
    }
    puts(out);
  } else if ((!strcmp(c, "read") || !strcmp(c, "recvmsg")) && n >= 3) {
    size_t len = atoi(w[2]);
    uint8_t *buf = malloc(len + 1);
    int flags = 0;
    for (int k = 3; k < n; k++) flags |= !strcmp(w[k], "peek") ? MSG_PEEK : !strcmp(w[k], "trunc") ? MSG_TRUNC : 0;
    if (c[0] == 'r' && c[1] == 'e' && c[2] == 'a') {
      /* a buffer of known size: with _FORTIFY_SOURCE this is glibc's __read_chk */
      char stack[2048];
      size_t l = len;
      __asm__("" : "+r"(l)); /* a length the compiler cannot bound: checked at run time */
      ssize_t r = len <= sizeof stack ? read(fds[i], stack, l) : read(fds[i], buf, len);
      if (r < 0) printf("err %s\n", en(errno));
      else printf("ok n=%zd\n", r);
    } else {
      struct sockaddr_in6 from;
      memset(&from, 0, sizeof from);
      char ctl[256];
      struct iovec v = {buf, len};
      struct msghdr m = {&from, sizeof from, &v, 1, ctl, sizeof ctl, 0};
      ssize_t r = recvmsg(fds[i], &m, flags);
      if (r < 0) printf("err %s\n", en(errno));
      else show_datagram(i, r, buf, len, &m, &from);
    }
    free(buf);
  } else if (!strcmp(c, "recvfrom") && n >= 3) {
    char stack[2048]; /* __recvfrom_chk under _FORTIFY_SOURCE */
    struct sockaddr_in6 from;
    socklen_t fromlen = sizeof from;
    size_t len = atoi(w[2]) < (int)sizeof stack ? atoi(w[2]) : sizeof stack, l = len;
    __asm__("" : "+r"(l));
    ssize_t r = recvfrom(fds[i], stack, l, 0, (struct sockaddr *)&from, &fromlen);
    if (r < 0) printf("err %s\n", en(errno));
    else {
      char a[64];
      inet_ntop(fam[i], fam[i] == AF_INET ? (void *)&((struct sockaddr_in *)&from)->sin_addr : (void *)&from.sin6_addr, a, sizeof a);
      printf("ok n=%zd from=%s fromlen=%u\n", r, a, fromlen);
    }
  } else if (!strcmp(c, "recvmmsg") && n >= 4) {
    /* up to N datagrams of LEN bytes, waiting for the first only (MSG_WAITFORONE) */
    enum { MAX = 16 };
    int want = atoi(w[2]) < MAX ? atoi(w[2]) : MAX;
    size_t len = atoi(w[3]);
    static uint8_t bufs[MAX][2048];
    struct iovec v[MAX];
    struct mmsghdr m[MAX];
    memset(m, 0, sizeof m);
    for (int k = 0; k < want; k++) v[k] = (struct iovec){bufs[k], len < 2048 ? len : 2048}, m[k].msg_hdr.msg_iov = &v[k], m[k].msg_hdr.msg_iovlen = 1;
    int r = recvmmsg(fds[i], m, want, MSG_WAITFORONE, NULL);
    if (r < 0) return (void)printf("err %s\n", en(errno));
    printf("ok %d", r);
    for (int k = 0; k < r; k++) printf(" %u%s", m[k].msg_len, m[k].msg_hdr.msg_flags & MSG_TRUNC ? "t" : "");
    printf("\n");
  } else if (!strcmp(c, "dup2") && n >= 3) {
    int fd = dup2(fds[i], atoi(w[2]));
    if (fd < 0) return (void)printf("err %s\n", en(errno));
    fds[nsock] = fd, fam[nsock] = fam[i];
    printf("ok %d fd=%d\n", nsock++, fd);
  } else if (!strcmp(c, "nonblock")) {
    int fl = fcntl(fds[i], F_GETFL);
    fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) ? printf("err %s\n", en(errno)) : printf("ok\n");
  } else if (!strcmp(c, "wait") && n >= 4) {
    int ms = atoi(w[3]), ready = 0;
    if (!strcmp(w[2], "poll")) {
      struct pollfd p = {fds[i], POLLIN, 0};
      ready = poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
    } else if (!strcmp(w[2], "select")) {
      fd_set r;
      FD_ZERO(&r);
      FD_SET(fds[i], &r);
      struct timeval tv = {ms / 1000, ms % 1000 * 1000};
      ready = select(fds[i] + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(fds[i], &r);
    } else {
      int ep = epoll_create1(0);
      struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]}, out;
      epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
      ready = epoll_wait(ep, &out, 1, ms) == 1 && out.data.fd == fds[i];
      close(ep);
    }
    printf("ok %s\n", ready ? "readable" : "timeout");
  } else if (!strcmp(c, "sgcnt") && n >= 4) {
    uint8_t b[80] = {0};
    int r;
    if (fam[i] == AF_INET) put_addr(AF_INET, w[2], b), put_addr(AF_INET, w[3], b + 4), r = ioctl(fds[i], SIOCGETSGCNT, b);
    else b[0] = b[28] = AF_INET6, put_addr(AF_INET6, w[2], b + 8), put_addr(AF_INET6, w[3], b + 36), r = ioctl(fds[i], SIOCGETSGCNT_IN6, b);
    unsigned long *cnt = (unsigned long *)(b + (fam[i] == AF_INET ? 8 : 56));
    if (r) printf("err %s\n", en(errno));
    else printf("ok pkts=%lu bytes=%lu wrong_if=%lu\n", cnt[0], cnt[1], cnt[2]);
  } else if (!strcmp(c, "mtu") && n >= 3) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", w[2]);
    if (ioctl(fds[i], SIOCGIFMTU, &ifr)) printf("err %s\n", en(errno));
    else printf("ok %d\n", ifr.ifr_mtu);
  } else if (!strcmp(c, "sotype")) {
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &v, &len)) printf("err %s\n", en(errno));
    else printf("ok %s\n", v == SOCK_RAW ? "SOCK_RAW" : v == SOCK_SEQPACKET ? "SOCK_SEQPACKET" : "other");
  } else if (!strcmp(c, "fionread")) {
    int v = -1;
    if (ioctl(fds[i], FIONREAD, &v)) printf("err %s\n", en(errno));
    else printf("ok %d\n", v);
  } else if (!strcmp(c, "dup")) {
    int fd = dup(fds[i]);
    if (fd < 0) return (void)printf("err %s\n", en(errno));
    fds[nsock] = fd, fam[nsock] = fam[i];
    printf("ok %d fd=%d\n", nsock++, fd);
  } else if (!strcmp(c, "close")) {
    close(fds[i]) ? printf("err %s\n", en(errno)) : printf("ok\n");
  } else printf("err usage\n");
}

int main(void) {
  char line[4096];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    char *w[512];
    int n = 0;
    for (char *t = strtok(line, " \t\n;"); t && n < 512; t = strtok(NULL, " \t\n;")) w[n++] = t;
    if (n) command(w, n);
  }
  return 0;
}
