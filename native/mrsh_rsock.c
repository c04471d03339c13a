/*
 * The daemon's routing-socket endpoint: a SOCK_SEQPACKET unix socket (Node's net module
 * speaks only SOCK_STREAM), so every upcall stays one datagram end to end and a short
 * read() in the program truncates it as a raw socket would. Readiness comes from
 * pollStart in mrsh_io.c; these calls never block.
 */
#define _GNU_SOURCE
#include "mrsh_addon.h"
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CHECK(call)                   \
  do {                                \
    if ((call) != napi_ok) return NULL; \
  } while (0)

static napi_value int_value(napi_env env, int32_t v) {
  napi_value r;
  if (napi_create_int32(env, v, &r) != napi_ok) return NULL;
  return r;
}

static int arg_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) != napi_ok;
}

static int arg_str(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t n;
  return napi_get_value_string_utf8(env, v, buf, cap, &n) != napi_ok || n >= cap - 1;
}

/* seqpacketListen(path, mode, gid) -> fd | -errno. The mode comes from the umask at bind
 * time, so the socket never exists with wider permissions; the group is set with lchown,
 * which changes a swapped-in symlink rather than what it points to. */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  int32_t mode = 0600, gid = -1;
  if (argc < 3 || arg_str(env, argv[0], path, sizeof path) || arg_i32(env, argv[1], &mode) || arg_i32(env, argv[2], &gid)) {
    napi_throw_type_error(env, NULL, "seqpacketListen(path, mode, gid): path too long or bad arguments");
    return NULL;
  }
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return int_value(env, -errno);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  strcpy(sa.sun_path, path);
  mode_t old = umask(0777 & ~mode);
  int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
  int e = errno;
  umask(old);
  if (r < 0 || listen(fd, 128) < 0) {
    if (r == 0) e = errno, unlink(path);
    close(fd);
    return int_value(env, -e);
  }
  if (gid >= 0 && lchown(path, (uid_t)-1, (gid_t)gid) < 0) {
    e = errno;
    unlink(path);
    close(fd);
    return int_value(env, -e);
  }
  return int_value(env, fd);
}

/* seqpacketAccept(fd) -> {fd, pid, uid, gid} | null (nothing waiting) | -errno */
static napi_value js_accept(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t lfd;
  if (argc < 1 || arg_i32(env, argv[0], &lfd)) {
    napi_throw_type_error(env, NULL, "seqpacketAccept(fd)");
    return NULL;
  }
  int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR) {
      napi_value n;
      CHECK(napi_get_null(env, &n));
      return n;
    }
    return int_value(env, -errno);
  }
  struct ucred cred = {0, (uid_t)-1, (gid_t)-1};
  socklen_t cl = sizeof cred;
  getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
  napi_value obj;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_set_named_property(env, obj, "fd", int_value(env, fd)));
  CHECK(napi_set_named_property(env, obj, "pid", int_value(env, cred.pid)));
  CHECK(napi_set_named_property(env, obj, "uid", int_value(env, (int32_t)cred.uid)));
  CHECK(napi_set_named_property(env, obj, "gid", int_value(env, (int32_t)cred.gid)));
  return obj;
}

/* seqpacketRecv(fd, buf, slotSize, maxMsgs, lengths: Int32Array) -> count | -errno.
 * Message i is at buf[i * slotSize], lengths[i] bytes. A length of -1 marks the peer's
 * close (after any messages before it); -2 a message longer than a slot (dropped). */
static napi_value js_recv(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, slot, max;
  uint8_t *buf;
  size_t buflen;
  napi_typedarray_type t;
  size_t nlen;
  void *ldata;
  if (argc < 5 || arg_i32(env, argv[0], &fd) || napi_get_buffer_info(env, argv[1], (void **)&buf, &buflen) != napi_ok ||
      arg_i32(env, argv[2], &slot) || arg_i32(env, argv[3], &max) ||
      napi_get_typedarray_info(env, argv[4], &t, &nlen, &ldata, NULL, NULL) != napi_ok || t != napi_int32_array || slot <= 0) {
    napi_throw_type_error(env, NULL, "seqpacketRecv(fd, buf, slotSize, maxMsgs, lengths)");
    return NULL;
  }
  int32_t *lengths = ldata;
  if (max > 64) max = 64;
  struct mmsghdr mm[64];
  struct iovec iov[64];
  memset(mm, 0, sizeof mm[0] * (size_t)max);
  for (int i = 0; i < max; i++) {
    iov[i] = (struct iovec){buf + (size_t)i * slot, (size_t)slot};
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  /* one syscall for a batch: a pipelining daemon sends one small request per call */
  int r;
  do r = recvmmsg(fd, mm, (unsigned)max, MSG_DONTWAIT, NULL);
  while (r < 0 && errno == EINTR);
  if (r < 0) return int_value(env, errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno);
  int n = 0;
  for (; n < r; n++) {
    /* peers never send empty messages: an empty one is the orderly close */
    if (mm[n].msg_len == 0) {
      lengths[n++] = -1;
      break;
    }
    lengths[n] = (mm[n].msg_hdr.msg_flags & MSG_TRUNC) ? -2 : (int32_t)mm[n].msg_len;
  }
  return int_value(env, n);
}

/* seqpacketSend(fd, buf[, off, len]) -> bytes | -errno (EAGAIN: the peer's queue is full) */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, off = 0, len = -1;
  uint8_t *buf;
  size_t buflen;
  if (argc < 2 || arg_i32(env, argv[0], &fd) || napi_get_buffer_info(env, argv[1], (void **)&buf, &buflen) != napi_ok ||
      (argc >= 3 && arg_i32(env, argv[2], &off)) || (argc >= 4 && arg_i32(env, argv[3], &len))) {
    napi_throw_type_error(env, NULL, "seqpacketSend(fd, buf[, off, len])");
    return NULL;
  }
  if (len < 0) len = (int32_t)buflen - off;
  if (off < 0 || (size_t)off + (size_t)len > buflen) {
    napi_throw_range_error(env, NULL, "seqpacketSend: range outside the buffer");
    return NULL;
  }
  ssize_t r;
  do r = send(fd, buf + off, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return int_value(env, r < 0 ? -errno : (int32_t)r);
}

/* ifNameOf(ifindex) -> name | null, in this process's namespace */
static napi_value js_if_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t idx;
  if (argc < 1 || arg_i32(env, argv[0], &idx)) {
    napi_throw_type_error(env, NULL, "ifNameOf(ifindex)");
    return NULL;
  }
  char name[IF_NAMESIZE];
  napi_value r;
  if (idx <= 0 || if_indextoname((unsigned)idx, name) == NULL) {
    CHECK(napi_get_null(env, &r));
    return r;
  }
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &r));
  return r;
}

napi_status mrsh_rsock_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"seqpacketListen", NULL, js_listen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seqpacketAccept", NULL, js_accept, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seqpacketRecv", NULL, js_recv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seqpacketSend", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifNameOf", NULL, js_if_name, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
