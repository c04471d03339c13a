/*
 * execve(2) for `mrsh exec`: the process becomes the routing daemon, so its pid is the
 * daemon's (a supervisor's kill -9 reaches it) and nothing of Node stays in between.
 *
 * Node ignores SIGPIPE and may block signals in its threads; an exec'd program inherits
 * both ignored dispositions and the calling thread's mask, and a daemon that expects the
 * defaults (SIGPIPE killing it, SIGTERM arriving) would behave differently under mrsh.
 */
#define _GNU_SOURCE
#include "mrsh_addon.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* a JS array of strings as a NULL-terminated vector; NULL (exception pending) on error */
static char **string_vector(napi_env env, napi_value arr) {
  uint32_t n;
  bool is_array;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array || napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **v = calloc(n + 1, sizeof *v);
  for (uint32_t i = 0; v && i < n; i++) {
    napi_value e;
    size_t len;
    if (napi_get_element(env, arr, i, &e) != napi_ok || napi_get_value_string_utf8(env, e, NULL, 0, &len) != napi_ok) return NULL;
    v[i] = malloc(len + 1);
    if (!v[i] || napi_get_value_string_utf8(env, e, v[i], len + 1, &len) != napi_ok) return NULL;
    if (strlen(v[i]) != len) return NULL; /* an embedded NUL would silently cut the string */
  }
  return v;
}

static void free_vector(char **v) {
  for (size_t i = 0; v && v[i]; i++) free(v[i]);
  free(v);
}

/* execve(path, argv[], envp[]) -> -errno; on success it does not return */
static napi_value js_execve(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3], r;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok) return NULL;
  char path[4096];
  size_t len;
  char **argv = NULL, **envp = NULL;
  if (argc < 3 || napi_get_value_string_utf8(env, args[0], path, sizeof path, &len) != napi_ok || len >= sizeof path - 1 ||
      !(argv = string_vector(env, args[1])) || !(envp = string_vector(env, args[2]))) {
    free_vector(argv);
    napi_throw_type_error(env, NULL, "execve(path, argv: string[], envp: string[]): bad arguments");
    return NULL;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old); /* no handler of Node's may run half-reset */
  struct sigaction dfl, prev[NSIG];
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  memset(prev, 0, sizeof prev);
  for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, &prev[s]); /* SIGKILL, glibc's own: EINVAL */
  /* Node marks stdio close-on-exec and libuv makes pipes non-blocking: the program must
   * inherit them, blocking, as from a shell (its log would be lost or get EAGAIN) */
  int fl[3], fdfl[3];
  for (int fd = 0; fd < 3; fd++) {
    if ((fl[fd] = fcntl(fd, F_GETFL)) >= 0 && (fl[fd] & O_NONBLOCK)) fcntl(fd, F_SETFL, fl[fd] & ~O_NONBLOCK);
    if ((fdfl[fd] = fcntl(fd, F_GETFD)) >= 0 && (fdfl[fd] & FD_CLOEXEC)) fcntl(fd, F_SETFD, fdfl[fd] & ~FD_CLOEXEC);
  }
  /* execve keeps the calling thread's mask: the program starts with none blocked. A signal
   * pending now takes its default action, which is what it would have done to the program. */
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, NULL);
  execve(path, argv, envp);
  int e = errno;
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  for (int fd = 0; fd < 3; fd++) {
    if (fl[fd] >= 0) fcntl(fd, F_SETFL, fl[fd]);
    if (fdfl[fd] >= 0) fcntl(fd, F_SETFD, fdfl[fd]);
  }
  for (int s = 1; s < NSIG; s++) sigaction(s, &prev[s], NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  free_vector(argv);
  free_vector(envp);
  napi_create_int32(env, -e, &r);
  return r;
}

napi_status mrsh_execve_define(napi_env env, napi_value exports) {
  napi_property_descriptor p = {"execve", NULL, js_execve, NULL, NULL, NULL, napi_enumerable, NULL};
  return napi_define_properties(env, exports, 1, &p);
}
