// Raw IP sockets of the router itself: the PIM socket on which Registers addressed to
// this host arrive, for the register vif (Linux's pim_rcv sits at the same place: it sees
// every PIM packet the host's stack receives, whatever the interface).
#include "mrsh_io.h"
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* openRaw(protocol, rcvbuf) -> fd | -errno: an AF_INET raw socket, non-blocking, read with
 * recvTun (one read() per datagram: the IPv4 header and what follows). */
napi_value js_open_raw(napi_env env, napi_callback_info info) {
  NAPI_ARGS(2);
  int32_t proto, rcvbuf = 0;
  if (argc < 1 || get_i32(env, argv[0], &proto) || proto <= 0 || proto > 255 || (argc > 1 && get_i32(env, argv[1], &rcvbuf))) {
    napi_throw_type_error(env, NULL, "openRaw(protocol, rcvbuf?)");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) return int_value(env, -errno);
  /* root may go beyond rmem_max; without it the default stays */
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf)) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  return int_value(env, fd);
}
