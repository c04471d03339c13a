// Numbers from FreeBSD's <netinet/ip_mroute.h>, <netinet6/ip6_mroute.h>, <sys/sockio.h>
// and <netinet6/in6_var.h> (amd64). See freebsd-semantics.md §1.1, §2.1, §4, §6, §7.

// --- IPv4 socket options (level IPPROTO_IP, raw IGMP socket) ---
export const MRT_INIT = 100;
export const MRT_DONE = 101;
export const MRT_ADD_VIF = 102;
export const MRT_DEL_VIF = 103;
export const MRT_ADD_MFC = 104;
export const MRT_DEL_MFC = 105;
export const MRT_VERSION = 106;
export const MRT_ASSERT = 107;
/** FreeBSD has no separate PIM option: it is an alias of MRT_ASSERT. */
export const MRT_PIM = MRT_ASSERT;
// 108 is unused on FreeBSD IPv4.
export const MRT_API_SUPPORT = 109;
export const MRT_API_CONFIG = 110;
export const MRT_ADD_BW_UPCALL = 111;
export const MRT_DEL_BW_UPCALL = 112;

/** Value getsockopt(MRT_VERSION) returns (a literal in ip_mroute.c, not a header name). */
export const MRT_VERSION_VALUE = 0x0305;

// --- IPv6 socket options (level IPPROTO_IPV6, raw ICMPv6 socket) ---
/** Old init: upcalls use struct omrt6msg. Kernel-only define. */
export const MRT6_OINIT = 100;
export const MRT6_DONE = 101;
export const MRT6_ADD_MIF = 102;
export const MRT6_DEL_MIF = 103;
export const MRT6_ADD_MFC = 104;
export const MRT6_DEL_MFC = 105;
export const MRT6_PIM = 107;
export const MRT6_INIT = 108;

// --- Upcall message types ---
export const IGMPMSG_NOCACHE = 1;
export const IGMPMSG_WRONGVIF = 2;
export const IGMPMSG_WHOLEPKT = 3;
/** FreeBSD only; Linux uses 4 for IGMPMSG_WRVIFWHOLE. */
export const IGMPMSG_BW_UPCALL = 4;

export const MRT6MSG_NOCACHE = 1;
export const MRT6MSG_WRONGMIF = 2;
export const MRT6MSG_WHOLEPKT = 3;

// --- Table sizes ---
export const MAXVIFS = 32;
/** FreeBSD; Linux is 32. mf6cctl's if_set has room for 256. */
export const MAXMIFS = 64;

// --- vifctl.vifc_flags / mif6ctl.mif6c_flags ---
/** Rejected by FreeBSD (EOPNOTSUPP). */
export const VIFF_TUNNEL = 0x1;
/** Accepted and ignored (treated as a physical vif). */
export const VIFF_SRCRT = 0x2;
export const VIFF_REGISTER = 0x4;
export const MIFF_REGISTER = 0x1;

// --- Advanced API (mfcctl2.mfcc_flags[] and MRT_API_SUPPORT/MRT_API_CONFIG bits) ---
export const MRT_MFC_FLAGS_DISABLE_WRONGVIF = 0x1;
export const MRT_MFC_FLAGS_BORDER_VIF = 0x2;
/** The per-vif flag bits (low 8 bits of the API word). */
export const MRT_MFC_FLAGS_ALL = MRT_MFC_FLAGS_DISABLE_WRONGVIF | MRT_MFC_FLAGS_BORDER_VIF;
export const MRT_MFC_RP = 0x100;
export const MRT_MFC_BW_UPCALL = 0x200;
export const MRT_API_FLAGS_ALL = MRT_MFC_FLAGS_ALL | MRT_MFC_RP | MRT_MFC_BW_UPCALL; // 0x303

/** MRT_API_CONFIG bits by the keyword that requests them (mrt api config, show mrt, running-config, explain) */
export const API_FLAGS: readonly { name: string; flag: number }[] = [
  { name: 'disable-wrongvif', flag: MRT_MFC_FLAGS_DISABLE_WRONGVIF },
  { name: 'border-vif', flag: MRT_MFC_FLAGS_BORDER_VIF },
  { name: 'rp', flag: MRT_MFC_RP },
  { name: 'bw-upcall', flag: MRT_MFC_BW_UPCALL },
];

/** the keywords of the bits set, in table order */
export function apiFlagNames(bits: number): string[] {
  return API_FLAGS.filter((f) => bits & f.flag).map((f) => f.name);
}

// --- bw_upcall.bu_flags ---
export const BW_UPCALL_UNIT_PACKETS = 0x1;
export const BW_UPCALL_UNIT_BYTES = 0x2;
export const BW_UPCALL_GEQ = 0x4;
export const BW_UPCALL_LEQ = 0x8;
export const BW_UPCALL_DELETE_ALL = 0x10;
/** Smallest accepted bu_threshold.b_time: {3 s, 0 us}. */
export const BW_UPCALL_THRESHOLD_INTERVAL_MIN_SEC = 3;
export const BW_UPCALL_THRESHOLD_INTERVAL_MIN_USEC = 0;
/** Current FreeBSD header; the man page (and old kernels) say 128. */
export const BW_UPCALLS_MAX = 1024;

// --- ioctls: _IOWR(group, num, type) = 0xC0000000 | sizeof(type) << 16 | group << 8 | num ---
/** _IOWR('r', 15, struct sioc_vif_req) */
export const SIOCGETVIFCNT = 0xc028720f;
/** _IOWR('r', 16, struct sioc_sg_req) */
export const SIOCGETSGCNT = 0xc0207210;
/** _IOWR('u', 106, struct sioc_sg_req6) */
export const SIOCGETSGCNT_IN6 = 0xc050756a;
/** _IOWR('u', 107, struct sioc_mif_req6) */
export const SIOCGETMIFCNT_IN6 = 0xc028756b;

// --- Address families as FreeBSD numbers them (sockaddr_in6.sin6_family) ---
export const AF_INET = 2;
/** FreeBSD's value; Linux uses 10. */
export const AF_INET6 = 28;
