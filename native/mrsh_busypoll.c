// The device settings busy polling an AF_XDP socket needs (docs/ARCHITECTURE.md, "The
// addon", has the values' measurements): threaded NAPI with its kthread on our CPUs, and
// the device's interrupt deferred between polls. Each setting changed is saved and restored.
#include "mrsh_io.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define DEFER_IRQS 2 /* re-poll flush_ns after the router stops polling, twice, then the device re-arms */

/* Move the interface's NAPI kthreads ("napi/IFNAME-ID", comm cut to 15 characters) onto
 * the CPUs this process may run on, as a NIC's IRQ affinity would. How many moved. */
static int pin_napi_threads(const char *ifname) {
  cpu_set_t mine;
  if (sched_getaffinity(0, sizeof mine, &mine) < 0) return -errno;
  char full[IFNAMSIZ + 8];
  snprintf(full, sizeof full, "napi/%s-", ifname);
  size_t fl = strlen(full);
  int moved = 0;
  DIR *d = opendir("/proc");
  if (!d) return -errno;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) continue;
    ssize_t n = read(f, comm, sizeof comm - 1);
    close(f);
    if (n <= 0) continue;
    comm[n] = 0;
    comm[strcspn(comm, "\n")] = 0;
    size_t len = strlen(comm);
    if (!(len >= fl && strncmp(comm, full, fl) == 0) && !(len == 15 && fl > 15 && strncmp(comm, full, 15) == 0)) continue;
    if (sched_setaffinity((pid_t)atoi(e->d_name), sizeof mine, &mine) == 0) moved++;
  }
  closedir(d);
  return moved;
}

/* Write /sys/class/net/IF/attr, its old value first into old (if given). 0 or -errno. */
static int sysfs_rw(const char *ifname, const char *attr, char *old, size_t oldcap, const char *val) {
  char path[128];
  snprintf(path, sizeof path, "/sys/class/net/%s/%s", ifname, attr);
  if (old) {
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) return -errno;
    ssize_t n = read(f, old, oldcap - 1);
    close(f);
    if (n <= 0) return -EIO;
    old[n] = 0;
    char *nl = strchr(old, '\n');
    if (nl) *nl = 0;
  }
  int f = open(path, O_WRONLY | O_CLOEXEC);
  if (f < 0) return -errno;
  ssize_t w = write(f, val, strlen(val));
  int e = w < 0 ? errno : 0;
  close(f);
  return -e;
}

/* Set one attribute, its old value kept in saved (left empty unless changed). */
static int tune_attr(const char *ifname, const char *attr, const char *val, const char *orig, char *saved, size_t cap) {
  char old[32];
  int r = sysfs_rw(ifname, attr, old, sizeof old, val);
  if (r == 0) snprintf(saved, cap, "%s", orig[0] ? orig : old);
  return r;
}

void busy_poll_untune(dev_tuning *t) {
  if (!t->ifname[0]) return;
  if (t->saved_threaded[0]) sysfs_rw(t->ifname, "threaded", NULL, 0, t->saved_threaded);
  if (t->saved_defer[0]) sysfs_rw(t->ifname, "napi_defer_hard_irqs", NULL, 0, t->saved_defer);
  if (t->saved_timeout[0]) sysfs_rw(t->ifname, "gro_flush_timeout", NULL, 0, t->saved_timeout);
  t->saved_threaded[0] = t->saved_defer[0] = t->saved_timeout[0] = 0;
  t->ifname[0] = 0;
}

int busy_poll_sockopts(int fd) {
  int one = 1, usecs = 20, budget = BATCH;
  if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof one) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof usecs) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof budget) < 0)
    return -errno;
  return 0;
}

int busy_poll_tune(dev_tuning *t, int fd, const char *name, long flush_ns, char *err, size_t errcap) {
  const char *step = "SO_PREFER_BUSY_POLL/SO_BUSY_POLL";
  char v[32];
  snprintf(t->ifname, sizeof t->ifname, "%s", name);
  int r = busy_poll_sockopts(fd);
  if (r == 0) {
    step = "napi_defer_hard_irqs";
    snprintf(v, sizeof v, "%d", DEFER_IRQS);
    r = tune_attr(name, "napi_defer_hard_irqs", v, t->orig_defer, t->saved_defer, sizeof t->saved_defer);
  }
  if (r == 0) {
    step = "gro_flush_timeout";
    snprintf(v, sizeof v, "%ld", flush_ns);
    r = tune_attr(name, "gro_flush_timeout", v, t->orig_timeout, t->saved_timeout, sizeof t->saved_timeout);
  }
  if (r == 0) {
    step = "threaded NAPI";
    r = tune_attr(name, "threaded", "1", t->orig_threaded, t->saved_threaded, sizeof t->saved_threaded);
  }
  if (r == 0) {
    step = "NAPI kthread affinity";
    int m = pin_napi_threads(name);
    r = m < 0 ? m : m == 0 ? -ESRCH : 0;
    t->napi_threads = m;
  }
  if (r < 0) snprintf(err, errcap, "%s: %s", step, strerror(-r));
  return r;
}
