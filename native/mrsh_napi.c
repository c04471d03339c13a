// N-API helpers: the argument shapes the calls share, results, errors with an errno code.
#include "mrsh_io.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  const char *code = NULL;
  switch (err) {
    case EPERM: code = "EPERM"; break;
    case EACCES: code = "EACCES"; break;
    case ENODEV: code = "ENODEV"; break;
    case ENOENT: code = "ENOENT"; break;
    case EBUSY: code = "EBUSY"; break;
    case EINVAL: code = "EINVAL"; break;
    case EEXIST: code = "EEXIST"; break;
    default: code = "EIO"; break;
  }
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

int get_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

int get_str(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) return -1;
  return len + 1 < cap ? 0 : -1; /* refuse silently truncated names */
}

int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 1;
  return t == napi_undefined || t == napi_null;
}

/* Raw bytes of a Buffer or any typed array. */
int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) == napi_ok && is_ta) {
    napi_typedarray_type type;
    size_t n;
    napi_value ab;
    size_t off;
    if (napi_get_typedarray_info(env, v, &type, &n, data, &ab, &off) != napi_ok) return -1;
    size_t esz = (type == napi_int32_array || type == napi_uint32_array || type == napi_float32_array) ? 4
                 : (type == napi_int16_array || type == napi_uint16_array)                           ? 2
                 : (type == napi_float64_array || type == napi_bigint64_array ||
                    type == napi_biguint64_array)                                                    ? 8
                                                                                                     : 1;
    *len = n * esz;
    return 0;
  }
  return napi_get_buffer_info(env, v, data, len) == napi_ok ? 0 : -1;
}

napi_value throw_napi_failed(napi_env env, const char *who) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s: N-API call failed", who);
    napi_throw_error(env, "EIO", msg);
  }
  return NULL;
}

napi_value int_value(napi_env env, int32_t v) {
  napi_value rv;
  NAPI_OK(napi_create_int32(env, v, &rv));
  return rv;
}

int set_int(napi_env env, napi_value obj, const char *key, int32_t v) {
  napi_value x;
  return napi_create_int32(env, v, &x) == napi_ok && napi_set_named_property(env, obj, key, x) == napi_ok ? 0 : -1;
}

int set_bool(napi_env env, napi_value obj, const char *key, int v) {
  napi_value x;
  return napi_get_boolean(env, v != 0, &x) == napi_ok && napi_set_named_property(env, obj, key, x) == napi_ok ? 0 : -1;
}

int set_str(napi_env env, napi_value obj, const char *key, const char *s) {
  napi_value x;
  napi_status st = s ? napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &x) : napi_get_null(env, &x);
  return st == napi_ok && napi_set_named_property(env, obj, key, x) == napi_ok ? 0 : -1;
}

int get_open_args(napi_env env, napi_value *argv, size_t argc, size_t ns_at, const char *usage, char *name, char *ns) {
  ns[0] = 0;
  if (argc < 1 || get_str(env, argv[0], name, IFNAMSIZ + 1) < 0) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  if (argc > ns_at && !is_nullish(env, argv[ns_at]) && get_str(env, argv[ns_at], ns, NETNS_MAX) < 0) {
    napi_throw_type_error(env, NULL, "netns must be a string");
    return -1;
  }
  return 0;
}

int parse_recv(napi_env env, napi_value *argv, size_t argc, int32_t slot_above, int with_stats, recv_args *a) {
  void *bufp, *offp, *lenp, *statp = NULL;
  size_t blen, olen, llen, slen = 0;
  if (argc < (with_stats ? 7u : 6u) || get_bytes(env, argv[1], &bufp, &blen) || get_i32(env, argv[2], &a->slot) ||
      get_i32(env, argv[3], &a->max) || get_bytes(env, argv[4], &offp, &olen) || get_bytes(env, argv[5], &lenp, &llen) ||
      (with_stats && (get_bytes(env, argv[6], &statp, &slen) || slen < RX_ST_N * sizeof(int32_t))) || a->slot <= slot_above || a->max < 0 ||
      (size_t)a->max * a->slot > blen || olen < (size_t)a->max * 4 || llen < (size_t)a->max * 4)
    return -1;
  a->buf = bufp;
  a->offs = offp;
  a->lens = lenp;
  a->stats = statp;
  return 0;
}

static int get_spans(napi_env env, napi_value arr, span *spans, uint32_t *nspans) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok || n > MAX_BUFS) return -1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    void *d;
    size_t l;
    if (napi_get_element(env, arr, i, &el) != napi_ok) return -1;
    if (is_nullish(env, el)) {
      spans[i].data = NULL;
      spans[i].len = 0;
      continue;
    }
    if (get_bytes(env, el, &d, &l)) return -1;
    spans[i].data = d;
    spans[i].len = l;
  }
  *nspans = n;
  return 0;
}

int get_result(napi_env env, napi_value v, double **out) {
  napi_typedarray_type type;
  size_t n, off;
  void *d;
  napi_value ab;
  bool ta = false;
  if (napi_is_typedarray(env, v, &ta) != napi_ok || !ta) return -1;
  if (napi_get_typedarray_info(env, v, &type, &n, &d, &ab, &off) != napi_ok || type != napi_float64_array || n < 1)
    return -1;
  *out = d;
  return 0;
}

int parse_send(napi_env env, napi_value *argv, size_t argc, send_args *a) {
  void *bp, *op, *lp;
  size_t bl, ol, ll;
  if (argc < 6 || get_i32(env, argv[0], &a->fd) || get_spans(env, argv[1], a->spans, &a->nspans) ||
      get_bytes(env, argv[2], &bp, &bl) || get_bytes(env, argv[3], &op, &ol) || get_bytes(env, argv[4], &lp, &ll) ||
      get_i32(env, argv[5], &a->count) || a->count < 0 || bl < (size_t)a->count * 4 ||
      ol < (size_t)a->count * 4 || ll < (size_t)a->count * 4)
    return -1;
  a->bidx = bp;
  a->offs = op;
  a->lens = lp;
  return 0;
}
