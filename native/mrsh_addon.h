/* The addon's parts beside mrsh_io.c, each defining its own exports on the module. */
#ifndef MRSH_ADDON_H
#define MRSH_ADDON_H
#include <node_api.h>

/* mrsh_rsock.c: the daemon's routing-socket endpoint (SOCK_SEQPACKET listen, accept with
 * peer credentials, batched recv, send), if_indextoname */
napi_status mrsh_rsock_define(napi_env env, napi_value exports);
/* mrsh_execve.c: execve(2) for `mrsh exec`, which replaces itself with the daemon */
napi_status mrsh_execve_define(napi_env env, napi_value exports);
/* mrsh_cred.c: peerCred(fd), SO_PEERCRED for the control socket's clients */
napi_status mrsh_cred_define(napi_env env, napi_value exports);
/* mrsh_mem.c: adviseHugePages(typedArray), MADV_HUGEPAGE for the MFC index's slots */
napi_status mrsh_mem_define(napi_env env, napi_value exports);
#endif
