// Readiness: pollStart(fd, callback) -> handle; pollStop(handle). libuv's uv_poll,
// level-triggered, so an idle link costs nothing. The handle is both the JS token and the
// `this` of every callback (napi_make_callback needs a real object); it stays referenced
// while polling.
#include "mrsh_io.h"
#include <errno.h>
#include <stdlib.h>
#include <uv.h>

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref self; /* strong while active */
  napi_ref cb;
  napi_async_context actx;
  int stopped;
} poller;

static void poller_closed(uv_handle_t *h) { free(h->data); }

/* The thread's environment is going (a worker ending) with the poll still active: close
 * the handle, which Node requires of every handle before it closes the thread's loop
 * (else it aborts the process). No JS then: the references go with the environment. */
static void poller_env_gone(void *arg) {
  poller *p = arg;
  if (p->stopped) return;
  p->stopped = 1;
  uv_poll_stop(&p->poll);
  uv_close((uv_handle_t *)&p->poll, poller_closed);
}

static void poller_stop(poller *p) {
  if (p->stopped) return;
  p->stopped = 1;
  napi_remove_env_cleanup_hook(p->env, poller_env_gone, p);
  uv_poll_stop(&p->poll);
  napi_async_destroy(p->env, p->actx);
  napi_delete_reference(p->env, p->cb);
  napi_value obj;
  if (napi_get_reference_value(p->env, p->self, &obj) == napi_ok && obj) {
    void *old;
    napi_remove_wrap(p->env, obj, &old);
  }
  napi_delete_reference(p->env, p->self);
  uv_close((uv_handle_t *)&p->poll, poller_closed);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  poller *p = h->data;
  if (p->stopped) return;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value self, cb, arg, result;
  if (napi_get_reference_value(env, p->self, &self) == napi_ok &&
      napi_get_reference_value(env, p->cb, &cb) == napi_ok) {
    napi_create_int32(env, status, &arg);
    /* make_callback runs microtasks afterwards, as an ordinary libuv callback would. */
    if (napi_make_callback(env, p->actx, self, cb, 1, &arg, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

napi_value js_poll_start(napi_env env, napi_callback_info info) {
  NAPI_ARGS(2);
  int32_t fd;
  napi_valuetype t;
  if (argc < 2 || get_i32(env, argv[0], &fd) || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "pollStart(fd, callback)");
    return NULL;
  }
  uv_loop_t *loop;
  NAPI_OK(napi_get_uv_event_loop(env, &loop));
  poller *p = calloc(1, sizeof *p);
  if (!p) return throw_errno(env, "pollStart", ENOMEM);
  p->env = env;
  int r = uv_poll_init(loop, &p->poll, fd);
  if (r < 0) {
    free(p);
    return throw_errno(env, "uv_poll_init", -r);
  }
  p->poll.data = p;
  napi_value obj, name;
  NAPI_OK(napi_create_object(env, &obj));
  NAPI_OK(napi_wrap(env, obj, p, NULL, NULL, NULL));
  NAPI_OK(napi_create_reference(env, obj, 1, &p->self));
  NAPI_OK(napi_create_reference(env, argv[1], 1, &p->cb));
  NAPI_OK(napi_create_string_utf8(env, "mrsh_io.poll", NAPI_AUTO_LENGTH, &name));
  NAPI_OK(napi_async_init(env, obj, name, &p->actx));
  NAPI_OK(napi_add_env_cleanup_hook(env, poller_env_gone, p));
  r = uv_poll_start(&p->poll, UV_READABLE, on_poll);
  if (r < 0) {
    poller_stop(p);
    return throw_errno(env, "uv_poll_start", -r);
  }
  return obj;
}

napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  NAPI_ARGS(1);
  void *p = NULL;
  if (argc >= 1 && napi_unwrap(env, argv[0], &p) == napi_ok && p) poller_stop(p);
  return NULL;
}

