/*
 * Prints, as one JSON object, what <linux/mroute.h> and <linux/mroute6.h> say about the
 * multicast routing ABI on this machine: struct sizes and field offsets, the option,
 * ioctl, flag and message numbers, the errno values, and a few structs filled with
 * known values (hex), so test/dataplane/linux-abi.test.ts can hold src/dataplane/codecs/
 * linux.ts against the real headers instead of against numbers copied from them.
 */
#include <netinet/in.h> /* first: linux/libc-compat.h then leaves in_addr to glibc */
#include <linux/mroute.h>
#include <linux/mroute6.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int first = 1;
static void key(const char *k) {
  printf("%s\"%s\":", first ? "" : ",", k);
  first = 0;
}
static void num(const char *k, long v) {
  key(k);
  printf("%ld", v);
}
static void hex(const char *k, const void *p, size_t n) {
  const unsigned char *b = p;
  key(k);
  putchar('"');
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
  putchar('"');
}
static void section(const char *k) {
  key(k);
  putchar('{');
  first = 1;
}
static void end(void) {
  putchar('}');
  first = 0;
}

#define SZ(t) num(#t, (long)sizeof(struct t))
#define OFF(t, f) num(#t "." #f, (long)offsetof(struct t, f))
#define C(n) num(#n, (long)(n))

int main(void) {
  putchar('{');
  section("sizeof");
  SZ(vifctl); SZ(mfcctl); SZ(sioc_sg_req); SZ(sioc_vif_req); SZ(igmpmsg);
  SZ(mif6ctl); SZ(mf6cctl); SZ(sioc_sg_req6); SZ(sioc_mif_req6); SZ(mrt6msg);
  SZ(sockaddr_in6); SZ(if_set);
  end();

  section("offsetof");
  OFF(vifctl, vifc_vifi); OFF(vifctl, vifc_flags); OFF(vifctl, vifc_threshold);
  OFF(vifctl, vifc_rate_limit); OFF(vifctl, vifc_lcl_addr); OFF(vifctl, vifc_lcl_ifindex);
  OFF(vifctl, vifc_rmt_addr);
  OFF(mfcctl, mfcc_origin); OFF(mfcctl, mfcc_mcastgrp); OFF(mfcctl, mfcc_parent);
  OFF(mfcctl, mfcc_ttls); OFF(mfcctl, mfcc_pkt_cnt); OFF(mfcctl, mfcc_byte_cnt);
  OFF(mfcctl, mfcc_wrong_if); OFF(mfcctl, mfcc_expire);
  OFF(sioc_sg_req, src); OFF(sioc_sg_req, grp); OFF(sioc_sg_req, pktcnt);
  OFF(sioc_sg_req, bytecnt); OFF(sioc_sg_req, wrong_if);
  OFF(sioc_vif_req, vifi); OFF(sioc_vif_req, icount); OFF(sioc_vif_req, ocount);
  OFF(sioc_vif_req, ibytes); OFF(sioc_vif_req, obytes);
  OFF(igmpmsg, im_msgtype); OFF(igmpmsg, im_mbz); OFF(igmpmsg, im_vif);
  OFF(igmpmsg, im_vif_hi); OFF(igmpmsg, im_src); OFF(igmpmsg, im_dst);
  OFF(mif6ctl, mif6c_mifi); OFF(mif6ctl, mif6c_flags); OFF(mif6ctl, vifc_threshold);
  OFF(mif6ctl, mif6c_pifi); OFF(mif6ctl, vifc_rate_limit);
  OFF(mf6cctl, mf6cc_origin); OFF(mf6cctl, mf6cc_mcastgrp); OFF(mf6cctl, mf6cc_parent);
  OFF(mf6cctl, mf6cc_ifset);
  OFF(sioc_sg_req6, src); OFF(sioc_sg_req6, grp); OFF(sioc_sg_req6, pktcnt);
  OFF(sioc_sg_req6, bytecnt); OFF(sioc_sg_req6, wrong_if);
  OFF(sioc_mif_req6, mifi); OFF(sioc_mif_req6, icount); OFF(sioc_mif_req6, ocount);
  OFF(sioc_mif_req6, ibytes); OFF(sioc_mif_req6, obytes);
  OFF(mrt6msg, im6_mbz); OFF(mrt6msg, im6_msgtype); OFF(mrt6msg, im6_mif);
  OFF(mrt6msg, im6_pad); OFF(mrt6msg, im6_src); OFF(mrt6msg, im6_dst);
  OFF(sockaddr_in6, sin6_family); OFF(sockaddr_in6, sin6_port);
  OFF(sockaddr_in6, sin6_flowinfo); OFF(sockaddr_in6, sin6_addr);
  OFF(sockaddr_in6, sin6_scope_id);
  end();

  section("const");
  C(IPPROTO_IP); C(IPPROTO_IPV6); C(IPPROTO_IGMP); C(IPPROTO_ICMPV6); C(AF_INET); C(AF_INET6);
  C(MRT_BASE); C(MRT_INIT); C(MRT_DONE); C(MRT_ADD_VIF); C(MRT_DEL_VIF); C(MRT_ADD_MFC);
  C(MRT_DEL_MFC); C(MRT_VERSION); C(MRT_ASSERT); C(MRT_PIM); C(MRT_TABLE);
  C(MRT_ADD_MFC_PROXY); C(MRT_DEL_MFC_PROXY); C(MRT_FLUSH); C(MRT_MAX);
  C(MRT_FLUSH_MFC); C(MRT_FLUSH_MFC_STATIC); C(MRT_FLUSH_VIFS); C(MRT_FLUSH_VIFS_STATIC);
  C(MRT6_BASE); C(MRT6_INIT); C(MRT6_DONE); C(MRT6_ADD_MIF); C(MRT6_DEL_MIF);
  C(MRT6_ADD_MFC); C(MRT6_DEL_MFC); C(MRT6_VERSION); C(MRT6_ASSERT); C(MRT6_PIM);
  C(MRT6_TABLE); C(MRT6_ADD_MFC_PROXY); C(MRT6_DEL_MFC_PROXY); C(MRT6_FLUSH); C(MRT6_MAX);
  C(MRT6_FLUSH_MFC); C(MRT6_FLUSH_MFC_STATIC); C(MRT6_FLUSH_MIFS); C(MRT6_FLUSH_MIFS_STATIC);
  C(SIOCPROTOPRIVATE); C(SIOCGETVIFCNT); C(SIOCGETSGCNT); C(SIOCGETRPF);
  C(SIOCGETMIFCNT_IN6); C(SIOCGETSGCNT_IN6);
  C(MAXVIFS); C(MAXMIFS); C(ALL_VIFS); C(ALL_MIFS); C(IF_SETSIZE);
  C(VIFF_TUNNEL); C(VIFF_SRCRT); C(VIFF_REGISTER); C(VIFF_USE_IFINDEX); C(MIFF_REGISTER);
  C(IGMPMSG_NOCACHE); C(IGMPMSG_WRONGVIF); C(IGMPMSG_WHOLEPKT); C(IGMPMSG_WRVIFWHOLE);
  C(MRT6MSG_NOCACHE); C(MRT6MSG_WRONGMIF); C(MRT6MSG_WHOLEPKT); C(MRT6MSG_WRMIFWHOLE);
  end();

  section("errno");
  C(EPERM); C(ENOENT); C(ESRCH); C(EINTR); C(EIO); C(ENXIO); C(E2BIG); C(EBADF); C(EAGAIN);
  C(ENOMEM); C(EACCES); C(EFAULT); C(EBUSY); C(EEXIST); C(ENODEV); C(EINVAL); C(ENFILE);
  C(ENOTTY); C(ENOSYS); C(EPROTO); C(ENOTSOCK); C(EMSGSIZE); C(ENOPROTOOPT);
  C(EPROTONOSUPPORT); C(EOPNOTSUPP); C(EADDRINUSE); C(EADDRNOTAVAIL); C(ENOBUFS);
  C(ETIMEDOUT); C(EFBIG); C(ENOSPC); C(EROFS); C(ENOTDIR); C(EISDIR); C(ETXTBSY);
  C(ENAMETOOLONG); C(ELOOP); C(EDQUOT);
  end();

  /* Known values; test/dataplane/linux-abi.test.ts decodes them and encodes them back. */
  section("hex");
  {
    struct vifctl v;
    memset(&v, 0, sizeof v);
    v.vifc_vifi = 0x0102; v.vifc_flags = VIFF_USE_IFINDEX; v.vifc_threshold = 3;
    v.vifc_rate_limit = 0x0a0b0c0d; v.vifc_lcl_ifindex = 0x11223344;
    inet_pton(AF_INET, "192.0.2.9", &v.vifc_rmt_addr);
    hex("vifctl_ifindex", &v, sizeof v);
    v.vifc_flags = 0;
    inet_pton(AF_INET, "10.1.2.3", &v.vifc_lcl_addr);
    hex("vifctl_addr", &v, sizeof v);
  }
  {
    struct mfcctl m;
    memset(&m, 0, sizeof m);
    inet_pton(AF_INET, "10.0.0.1", &m.mfcc_origin);
    inet_pton(AF_INET, "239.1.2.3", &m.mfcc_mcastgrp);
    m.mfcc_parent = 7;
    for (int i = 0; i < MAXVIFS; i++) m.mfcc_ttls[i] = (unsigned char)(i * 7 + 1);
    m.mfcc_pkt_cnt = 0x01020304; m.mfcc_byte_cnt = 0x05060708; m.mfcc_wrong_if = 0x090a0b0c;
    m.mfcc_expire = -2;
    hex("mfcctl", &m, sizeof m);
  }
  {
    struct sioc_sg_req s;
    memset(&s, 0, sizeof s);
    inet_pton(AF_INET, "10.0.0.1", &s.src);
    inet_pton(AF_INET, "239.1.2.3", &s.grp);
    s.pktcnt = 0x1122334455ul; s.bytecnt = 0x66778899aabbul; s.wrong_if = 5;
    hex("sioc_sg_req", &s, sizeof s);
  }
  {
    struct sioc_vif_req s;
    memset(&s, 0, sizeof s);
    s.vifi = 31; s.icount = 1; s.ocount = 0x100000000ul; s.ibytes = 3; s.obytes = 0x123456789aul;
    hex("sioc_vif_req", &s, sizeof s);
  }
  {
    struct mif6ctl m;
    memset(&m, 0, sizeof m);
    m.mif6c_mifi = 0x0203; m.mif6c_flags = MIFF_REGISTER; m.vifc_threshold = 9;
    m.mif6c_pifi = 0x0405; m.vifc_rate_limit = 0x06070809;
    hex("mif6ctl", &m, sizeof m);
  }
  {
    struct mf6cctl m;
    memset(&m, 0, sizeof m);
    m.mf6cc_origin.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::1", &m.mf6cc_origin.sin6_addr);
    m.mf6cc_mcastgrp.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "ff3e::4321", &m.mf6cc_mcastgrp.sin6_addr);
    m.mf6cc_parent = 3;
    IF_SET(0, &m.mf6cc_ifset); IF_SET(5, &m.mf6cc_ifset); IF_SET(31, &m.mf6cc_ifset);
    IF_SET(32, &m.mf6cc_ifset); IF_SET(255, &m.mf6cc_ifset);
    hex("mf6cctl", &m, sizeof m);
  }
  {
    struct sioc_sg_req6 s;
    memset(&s, 0, sizeof s);
    s.src.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::1", &s.src.sin6_addr);
    s.grp.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "ff3e::4321", &s.grp.sin6_addr);
    s.pktcnt = 7; s.bytecnt = 0x10000000000ul; s.wrong_if = 9;
    hex("sioc_sg_req6", &s, sizeof s);
  }
  {
    struct sioc_mif_req6 s;
    memset(&s, 0, sizeof s);
    s.mifi = 17; s.icount = 4; s.ocount = 5; s.ibytes = 6; s.obytes = 0xffffffffful;
    hex("sioc_mif_req6", &s, sizeof s);
  }
  {
    struct igmpmsg g;
    memset(&g, 0, sizeof g);
    g.im_msgtype = IGMPMSG_WRONGVIF; g.im_vif = 0x34; g.im_vif_hi = 0x01;
    inet_pton(AF_INET, "10.0.0.1", &g.im_src);
    inet_pton(AF_INET, "239.1.2.3", &g.im_dst);
    hex("igmpmsg", &g, sizeof g);
  }
  {
    struct mrt6msg g;
    memset(&g, 0, sizeof g);
    g.im6_msgtype = MRT6MSG_NOCACHE; g.im6_mif = 0x0102;
    inet_pton(AF_INET6, "2001:db8::1", &g.im6_src);
    inet_pton(AF_INET6, "ff3e::4321", &g.im6_dst);
    hex("mrt6msg", &g, sizeof g);
  }
  end();
  puts("}");
  return 0;
}
