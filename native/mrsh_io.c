// The addon's module table: every call JS sees (mrsh_io.h says which file has each).
#include "mrsh_io.h"
#include "mrsh_addon.h"
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* The link fds this thread's copy of the addon handed out and JS has not closed: a worker
 * thread that ends without closing its links must not leave them open (a packet socket
 * left in a fanout group would go on taking its share of the flows, unread). They are
 * closed when the thread's environment goes. */
typedef struct {
  int *fd;
  int n, cap;
} env_fds;

static void env_fds_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  env_fds *t = data;
  for (int i = 0; i < t->n; i++) close(t->fd[i]);
  free(t->fd);
  free(t);
}

void track_fd(napi_env env, int fd) {
  env_fds *t = NULL;
  if (fd < 0 || napi_get_instance_data(env, (void **)&t) != napi_ok || !t) return;
  if (t->n == t->cap) {
    int cap = t->cap ? t->cap * 2 : 16;
    int *p = realloc(t->fd, sizeof *p * (size_t)cap);
    if (!p) return; /* untracked: closed by JS only */
    t->fd = p;
    t->cap = cap;
  }
  t->fd[t->n++] = fd;
}

static void untrack_fd(napi_env env, int fd) {
  env_fds *t = NULL;
  if (napi_get_instance_data(env, (void **)&t) != napi_ok || !t) return;
  for (int i = 0; i < t->n; i++)
    if (t->fd[i] == fd) {
      t->fd[i] = t->fd[--t->n];
      return;
    }
}

/* close(fd): the links' fds, the host bypass's BPF link among them. 0 or -errno. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  NAPI_ARGS(1);
  int32_t fd;
  if (argc < 1 || get_i32(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "close(fd)");
    return NULL;
  }
  untrack_fd(env, fd);
  int r = close(fd);
  return int_value(env, r < 0 ? -errno : 0);
}

#define CALL(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      CALL("ifInfo", js_if_info),
      CALL("openTun", js_open_tun),
      CALL("openPacket", js_open_packet),
      CALL("recvTun", js_recv_tun),
      CALL("recvPacket", js_recv_packet),
      CALL("packetStats", js_packet_stats),
      CALL("sendTun", js_send_tun),
      CALL("sendPacket", js_send_packet),
      CALL("close", js_close),
      CALL("unmapRing", js_unmap_ring),
      CALL("pollStart", js_poll_start),
      CALL("pollStop", js_poll_stop),
      CALL("openXsk", js_open_xsk),
      CALL("recvXsk", js_recv_xsk),
      CALL("closeXsk", js_close_xsk),
      CALL("openRaw", js_open_raw),
      CALL("xskStats", js_xsk_stats),
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  env_fds *t = calloc(1, sizeof *t);
  if (!t || napi_set_instance_data(env, t, env_fds_finalize, NULL) != napi_ok) {
    free(t);
    return NULL;
  }
  if (mrsh_rsock_define(env, exports) != napi_ok || mrsh_execve_define(env, exports) != napi_ok ||
      mrsh_cred_define(env, exports) != napi_ok || mrsh_mem_define(env, exports) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
