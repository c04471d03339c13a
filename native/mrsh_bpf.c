// BPF: the two programs that pick out multicast data frames (docs/ARCHITECTURE.md, "The
// addon"): the host bypass (tcx ingress, drops them before the host's IP stack) and the
// AF_XDP input's XDP program (redirects them to the xsk). Raw bpf(2), no libbpf.
#include "mrsh_io.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#ifndef BPF_TCX_INGRESS_NUM
#define BPF_TCX_INGRESS_NUM 46 /* enum bpf_attach_type BPF_TCX_INGRESS (uapi >= 6.6) */
#endif

#define I_INS(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define I_MOV64_REG(d, s) I_INS(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define I_MOV64_IMM(d, i) I_INS(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define I_ALU64_IMM(op, d, i) I_INS(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define I_LD_ABS(sz, off) I_INS(BPF_LD | (sz) | BPF_ABS, 0, 0, 0, off)
#define I_JMP_IMM(op, d, i, o) I_INS(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define I_JA(o) I_INS(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define I_EXIT() I_INS(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define I_LDX(sz, d, s, o) I_INS(BPF_LDX | (sz) | BPF_MEM, d, s, o, 0)
#define I_ADD64_IMM(d, i) I_INS(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define I_JGT_REG(d, s) I_INS(BPF_JMP | BPF_JGT | BPF_X, d, s, 0, 0)
#define I_CALL(f) I_INS(BPF_JMP | BPF_CALL, 0, 0, 0, f)

int bpf_sys(int cmd, union bpf_attr *a) { return (int)syscall(__NR_bpf, cmd, a, sizeof *a); }

int host_bypass_attach(unsigned ifindex, const char **why) {
  /* LD_ABS offsets count from the Ethernet header (tcx pushes it back before running). */
  const struct bpf_insn prog[] = {
      /* 0 */ I_MOV64_REG(BPF_REG_6, BPF_REG_1),
      /* 1 */ I_LD_ABS(BPF_B, 0),                      /* destination MAC, first byte */
      /* 2 */ I_JMP_IMM(BPF_JSET, BPF_REG_0, 1, 1),     /* group bit set: look further */
      /* 3 */ I_JA(22),                                 /* -> pass (26) */
      /* 4 */ I_LD_ABS(BPF_H, 12),                     /* EtherType */
      /* 5 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, ETH_P_IP, 2),
      /* 6 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, ETH_P_IPV6, 10),
      /* 7 */ I_JA(18),                                 /* -> pass */
      /* 8: IPv4 */ I_LD_ABS(BPF_B, ETH_HLEN + 9),      /* protocol */
      /* 9 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, IPPROTO_IGMP, 16),
      /* 10 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, IPPROTO_PIM, 15),
      /* 11 */ I_LD_ABS(BPF_W, ETH_HLEN + 16),         /* destination address */
      /* 12 */ I_ALU64_IMM(BPF_RSH, BPF_REG_0, 8),
      /* 13 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, 0xe00000, 12), /* 224.0.0.0/24 -> pass */
      /* 14 */ I_ALU64_IMM(BPF_RSH, BPF_REG_0, 20),
      /* 15 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, 0xe, 9),   /* 224/4 -> drop (25) */
      /* 16 */ I_JA(9),                                 /* -> pass */
      /* 17: IPv6 */ I_LD_ABS(BPF_B, ETH_HLEN + 6),     /* next header */
      /* 18 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 7),     /* hop-by-hop (MLD) -> pass */
      /* 19 */ I_JMP_IMM(BPF_JEQ, BPF_REG_0, IPPROTO_ICMPV6, 6),
      /* 20 */ I_LD_ABS(BPF_B, ETH_HLEN + 24),         /* destination, first byte */
      /* 21 */ I_JMP_IMM(BPF_JNE, BPF_REG_0, 0xff, 4),
      /* 22 */ I_LD_ABS(BPF_B, ETH_HLEN + 25),         /* flags | scope */
      /* 23 */ I_ALU64_IMM(BPF_AND, BPF_REG_0, 0x0f),
      /* 24 */ I_JMP_IMM(BPF_JLE, BPF_REG_0, 2, 1),     /* interface/link-local scope -> pass */
      /* 25: drop */ I_JA(2),
      /* 26: pass */ I_MOV64_IMM(BPF_REG_0, -1),        /* TCX_NEXT */
      /* 27 */ I_EXIT(),
      /* 28 */ I_MOV64_IMM(BPF_REG_0, 2),               /* TCX_DROP */
      /* 29 */ I_EXIT(),
  };
  static const char license[] = "GPL";
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
  a.insns = (uintptr_t)prog;
  a.insn_cnt = sizeof prog / sizeof prog[0];
  a.license = (uintptr_t)license;
  memcpy(a.prog_name, "mrsh_hostbypass", 15);
  int pfd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof a);
  if (pfd < 0) {
    *why = "BPF_PROG_LOAD";
    return -errno;
  }
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)pfd;
  a.link_create.target_ifindex = ifindex;
  a.link_create.attach_type = BPF_TCX_INGRESS_NUM;
  int lfd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof a);
  int e = errno;
  close(pfd); /* the link holds the program */
  if (lfd < 0) {
    *why = "BPF_LINK_CREATE(tcx ingress)";
    return -e;
  }
  fcntl(lfd, F_SETFD, FD_CLOEXEC);
  return lfd;
}

/* A few instructions with forward jumps to labels, resolved at the end. */
typedef struct {
  struct bpf_insn ins[64];
  int n, nfix, fix_at[32], fix_label[32], label_pc[8];
} bpf_asm;
static void emit(bpf_asm *a, struct bpf_insn i) { a->ins[a->n++] = i; }
static void emit_to(bpf_asm *a, struct bpf_insn i, int label) {
  a->fix_at[a->nfix] = a->n;
  a->fix_label[a->nfix++] = label;
  emit(a, i);
}
static void place(bpf_asm *a, int label) { a->label_pc[label] = a->n; }
static void asm_resolve(bpf_asm *a) {
  for (int i = 0; i < a->nfix; i++) a->ins[a->fix_at[i]].off = (int16_t)(a->label_pc[a->fix_label[i]] - a->fix_at[i] - 1);
}

/* The XDP program: multicast data frames -> xsks_map[rx_queue_index] (XDP_PASS when that
 * queue has no socket), anything else XDP_PASS. The classification is the host bypass's
 * (above), here on direct packet access with the verifier's bounds checks. */
int xsk_prog_load(int map_fd, char *log, size_t logcap) {
  enum { PASS, IPV4, IPV6, REDIRECT };
  bpf_asm a = {0};
  emit(&a, I_MOV64_REG(BPF_REG_6, BPF_REG_1));
  emit(&a, I_LDX(BPF_W, BPF_REG_2, BPF_REG_6, 0)); /* xdp_md.data */
  emit(&a, I_LDX(BPF_W, BPF_REG_3, BPF_REG_6, 4)); /* xdp_md.data_end */
  emit(&a, I_MOV64_REG(BPF_REG_4, BPF_REG_2));
  emit(&a, I_ADD64_IMM(BPF_REG_4, ETH_HLEN + 20));
  emit_to(&a, I_JGT_REG(BPF_REG_4, BPF_REG_3), PASS);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, 0)); /* destination MAC, first byte */
  emit(&a, I_JMP_IMM(BPF_JSET, BPF_REG_5, 1, 1));  /* group bit set: look further */
  emit_to(&a, I_JA(0), PASS);
  emit(&a, I_LDX(BPF_H, BPF_REG_5, BPF_REG_2, 12)); /* EtherType, loaded little-endian */
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, 0x0008, 0), IPV4);
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, 0xdd86, 0), IPV6);
  emit_to(&a, I_JA(0), PASS);
  place(&a, IPV4);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, ETH_HLEN + 9)); /* protocol */
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, IPPROTO_IGMP, 0), PASS);
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, IPPROTO_PIM, 0), PASS);
  emit(&a, I_LDX(BPF_W, BPF_REG_5, BPF_REG_2, ETH_HLEN + 16)); /* destination, little-endian */
  emit(&a, I_MOV64_REG(BPF_REG_0, BPF_REG_5));
  emit(&a, I_ALU64_IMM(BPF_AND, BPF_REG_0, 0xf0));
  emit_to(&a, I_JMP_IMM(BPF_JNE, BPF_REG_0, 0xe0, 0), PASS); /* not 224/4 */
  emit(&a, I_ALU64_IMM(BPF_AND, BPF_REG_5, 0xffffff));
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, 0xe0, 0), PASS); /* 224.0.0.0/24 */
  emit_to(&a, I_JA(0), REDIRECT);
  place(&a, IPV6);
  emit(&a, I_MOV64_REG(BPF_REG_4, BPF_REG_2));
  emit(&a, I_ADD64_IMM(BPF_REG_4, ETH_HLEN + 40));
  emit_to(&a, I_JGT_REG(BPF_REG_4, BPF_REG_3), PASS);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, ETH_HLEN + 6)); /* next header */
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, 0, 0), PASS);     /* hop-by-hop (MLD) */
  emit_to(&a, I_JMP_IMM(BPF_JEQ, BPF_REG_5, IPPROTO_ICMPV6, 0), PASS);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, ETH_HLEN + 24)); /* destination, first byte */
  emit_to(&a, I_JMP_IMM(BPF_JNE, BPF_REG_5, 0xff, 0), PASS);
  emit(&a, I_LDX(BPF_B, BPF_REG_5, BPF_REG_2, ETH_HLEN + 25)); /* flags | scope */
  emit(&a, I_ALU64_IMM(BPF_AND, BPF_REG_5, 0x0f));
  emit_to(&a, I_JMP_IMM(BPF_JLE, BPF_REG_5, 2, 0), PASS); /* interface/link-local scope */
  place(&a, REDIRECT);
  emit(&a, I_LDX(BPF_W, BPF_REG_2, BPF_REG_6, 16)); /* xdp_md.rx_queue_index */
  emit(&a, I_INS(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd));
  emit(&a, I_INS(0, 0, 0, 0, 0)); /* second half of the 64-bit immediate */
  emit(&a, I_MOV64_IMM(BPF_REG_3, XDP_PASS)); /* what to do when the slot is empty */
  emit(&a, I_CALL(BPF_FUNC_redirect_map));
  emit(&a, I_EXIT());
  place(&a, PASS);
  emit(&a, I_MOV64_IMM(BPF_REG_0, XDP_PASS));
  emit(&a, I_EXIT());
  asm_resolve(&a);

  static const char license[] = "GPL";
  union bpf_attr at;
  memset(&at, 0, sizeof at);
  at.prog_type = BPF_PROG_TYPE_XDP;
  at.expected_attach_type = BPF_XDP;
  at.insns = (uintptr_t)a.ins;
  at.insn_cnt = (uint32_t)a.n;
  at.license = (uintptr_t)license;
  memcpy(at.prog_name, "mrsh_xsk_in", 11);
  int pfd = bpf_sys(BPF_PROG_LOAD, &at);
  if (pfd < 0 && log && logcap) {
    /* load again with the verifier's log, for the error message */
    int e = errno;
    log[0] = 0;
    at.log_buf = (uintptr_t)log;
    at.log_size = (uint32_t)logcap;
    at.log_level = 1;
    bpf_sys(BPF_PROG_LOAD, &at);
    errno = e;
  }
  return pfd < 0 ? -errno : pfd;
}
