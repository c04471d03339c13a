// Memory advice for the engine's large tables: a million-entry MFC index is 256 MB of
// slots, probed at random, so with 4 KB pages nearly every probe also misses the TLB.
// Asking for transparent huge pages (MADV_HUGEPAGE; most distributions set THP to
// "madvise") covers it with a few hundred 2 MB pages instead.
#include "mrsh_io.h"
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

/* adviseHugePages(typedArray) -> bytes advised (0: too small to hold a whole huge page) | -errno.
 * Works on typed arrays over ArrayBuffer and SharedArrayBuffer alike. Only the whole 2 MB
 * pages inside the array are advised; pages already touched stay small until khugepaged. */
static napi_value js_advise_huge_pages(napi_env env, napi_callback_info info) {
  NAPI_ARGS(1);
  void *data = NULL;
  size_t len = 0;
  bool is_ta = false;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta || get_bytes(env, argv[0], &data, &len) < 0) {
    napi_throw_type_error(env, NULL, "adviseHugePages(typedArray)");
    return NULL;
  }
  uintptr_t start = ((uintptr_t)data + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  uintptr_t end = ((uintptr_t)data + len) & ~(HUGE_PAGE - 1);
  if (!data || end <= start) return int_value(env, 0);
  if (madvise((void *)start, end - start, MADV_HUGEPAGE) < 0) return int_value(env, -errno);
  size_t advised = end - start;
  return int_value(env, advised > INT32_MAX ? INT32_MAX : (int32_t)advised);
}

napi_status mrsh_mem_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"adviseHugePages", NULL, js_advise_huge_pages, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
