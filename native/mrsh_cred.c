/*
 * Who is on the other end of a unix socket: the control socket's clients refuse a daemon
 * that is neither root nor themselves (a socket another user bound at the path first).
 * Node has no API for SO_PEERCRED; the kernel records the peer's credentials at connect(),
 * so nothing the peer does later can change the answer.
 */
#define _GNU_SOURCE
#include "mrsh_addon.h"
#include <errno.h>
#include <sys/socket.h>

static napi_value int_value(napi_env env, int32_t v) {
  napi_value r;
  if (napi_create_int32(env, v, &r) != napi_ok) return NULL;
  return r;
}

/* peerCred(fd) -> {pid, uid, gid} | -errno */
static napi_value js_peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "peerCred(fd)");
    return NULL;
  }
  struct ucred cred;
  socklen_t cl = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) return int_value(env, -errno);
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  if (napi_set_named_property(env, obj, "pid", int_value(env, cred.pid)) != napi_ok ||
      napi_set_named_property(env, obj, "uid", int_value(env, (int32_t)cred.uid)) != napi_ok ||
      napi_set_named_property(env, obj, "gid", int_value(env, (int32_t)cred.gid)) != napi_ok)
    return NULL;
  return obj;
}

napi_status mrsh_cred_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"peerCred", NULL, js_peer_cred, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
