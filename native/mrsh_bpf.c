// BPF: the two programs that pick out multicast data frames (docs/ARCHITECTURE.md, "The
// addon"): the host bypass (tcx ingress, drops them before the host's IP stack) and the
// AF_XDP input's XDP program (redirects them to the xsk). Both are generated from one
// description of the match by one small assembler. Raw bpf(2), no libbpf. And the classic
// BPF program that picks a packet fanout group's member by (S,G), from a classic twin of it.
#include "mrsh_io.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/filter.h>

#ifndef BPF_TCX_INGRESS_NUM
#define BPF_TCX_INGRESS_NUM 46 /* enum bpf_attach_type BPF_TCX_INGRESS (uapi >= 6.6) */
#endif
#define TCX_NEXT (-1)
#define TCX_DROP 2

int bpf_sys(int cmd, union bpf_attr *a) { return (int)syscall(__NR_bpf, cmd, a, sizeof *a); }

/* ---- the assembler: instructions, and forward jumps to labels resolved at the end ---- */

#define I_INS(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define I_MOV64_REG(d, s) I_INS(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define I_MOV64_IMM(d, i) I_INS(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define I_ADD64_IMM(d, i) I_INS(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define I_MOV32_REG(d, s) I_INS(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define I_AND32_IMM(d, i) I_INS(BPF_ALU | BPF_AND | BPF_K, d, 0, 0, i)
#define I_LD_ABS(sz, off) I_INS(BPF_LD | (sz) | BPF_ABS, 0, 0, 0, off)
#define I_LDX(sz, d, s, o) I_INS(BPF_LDX | (sz) | BPF_MEM, d, s, o, 0)
#define I_JMP32_IMM(op, d, i) I_INS(BPF_JMP32 | (op) | BPF_K, d, 0, 0, i)
#define I_JGT_REG(d, s) I_INS(BPF_JMP | BPF_JGT | BPF_X, d, s, 0, 0)
#define I_JA() I_INS(BPF_JMP | BPF_JA, 0, 0, 0, 0)
#define I_CALL(f) I_INS(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define I_EXIT() I_INS(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define ASM_MAX 96

typedef struct {
  struct bpf_insn ins[ASM_MAX];
  int n, nfix, nlabels;
  int fix_at[ASM_MAX], fix_label[ASM_MAX], label_pc[16];
} bpf_asm;

static int new_label(bpf_asm *a) { return a->nlabels++; }
static void emit(bpf_asm *a, struct bpf_insn i) {
  if (a->n < ASM_MAX) a->ins[a->n] = i;
  a->n++; /* past ASM_MAX: refused by prog_load */
}
static void emit_to(bpf_asm *a, struct bpf_insn i, int label) {
  if (a->n < ASM_MAX) {
    a->fix_at[a->nfix] = a->n;
    a->fix_label[a->nfix++] = label;
  }
  emit(a, i);
}
static void place(bpf_asm *a, int label) { a->label_pc[label] = a->n; }
static void asm_resolve(bpf_asm *a) {
  for (int i = 0; i < a->nfix; i++) a->ins[a->fix_at[i]].off = (int16_t)(a->label_pc[a->fix_label[i]] - a->fix_at[i] - 1);
}

/* ---- the match: a multicast data frame ----
 * Multicast IPv4/IPv6 to a group wider than link-local; IGMP, PIM, MLD (hop-by-hop) and
 * ICMPv6 are control and pass. Offsets count from the Ethernet header, values are the
 * fields as read big-endian. */

enum { M_NEED, M_TEST, M_GOTO, M_LABEL };
enum { L_PASS, L_MATCH, L_IPV4, L_IPV6, L_COUNT };

typedef struct {
  uint8_t op;   /* M_* */
  uint8_t size; /* BPF_B, BPF_H, BPF_W */
  uint8_t jmp;  /* BPF_JEQ, BPF_JNE, BPF_JLE (ordered only on bytes) */
  uint8_t to;   /* L_* */
  uint16_t off;
  uint32_t mask; /* 0: the whole field */
  uint32_t val;
} match_step;

#define NEED(n) {.op = M_NEED, .off = (n)}
#define TEST(sz, o, m, j, v, t) {.op = M_TEST, .size = (sz), .off = (o), .mask = (m), .jmp = (j), .val = (v), .to = (t)}
#define GOTO(t) {.op = M_GOTO, .to = (t)}
#define LABEL(t) {.op = M_LABEL, .to = (t)}

static const match_step multicast_data[] = {
    NEED(ETH_HLEN + 20),
    TEST(BPF_B, 0, 0x01, BPF_JEQ, 0, L_PASS), /* destination MAC: not a group address */
    TEST(BPF_H, 12, 0, BPF_JEQ, ETH_P_IP, L_IPV4),
    TEST(BPF_H, 12, 0, BPF_JEQ, ETH_P_IPV6, L_IPV6),
    GOTO(L_PASS),
    LABEL(L_IPV4),
    TEST(BPF_B, ETH_HLEN + 9, 0, BPF_JEQ, IPPROTO_IGMP, L_PASS),
    TEST(BPF_B, ETH_HLEN + 9, 0, BPF_JEQ, IPPROTO_PIM, L_PASS),
    TEST(BPF_W, ETH_HLEN + 16, 0xf0000000, BPF_JNE, 0xe0000000, L_PASS), /* not 224/4 */
    TEST(BPF_W, ETH_HLEN + 16, 0xffffff00, BPF_JEQ, 0xe0000000, L_PASS), /* 224.0.0.0/24 */
    GOTO(L_MATCH),
    LABEL(L_IPV6),
    NEED(ETH_HLEN + 40),
    TEST(BPF_B, ETH_HLEN + 6, 0, BPF_JEQ, 0, L_PASS), /* next header: hop-by-hop (MLD) */
    TEST(BPF_B, ETH_HLEN + 6, 0, BPF_JEQ, IPPROTO_ICMPV6, L_PASS),
    TEST(BPF_B, ETH_HLEN + 24, 0, BPF_JNE, 0xff, L_PASS), /* not ff00::/8 */
    TEST(BPF_B, ETH_HLEN + 25, 0x0f, BPF_JLE, 2, L_PASS), /* interface/link-local scope */
}; /* and falls through: a match */

/* How a program reads the frame: LD_ABS from the skb (into R0, R6 the context), or direct
 * packet access from R2 = data with R3 = data_end, where the verifier wants each read
 * bounds-checked and a load yields the bytes in host order. */
typedef enum { READ_ABS, READ_DIRECT } frame_read;

static uint32_t as_loaded(frame_read how, uint8_t size, uint32_t v) {
  if (how == READ_ABS) return v;
  return size == BPF_H ? htons((uint16_t)v) : size == BPF_W ? htonl(v) : v;
}

/* Emit the match: jumps to pass, or falls through on a multicast data frame. Each field is
 * read into R0 once while consecutive tests share it; masks work on a copy in R1. */
static void emit_match(bpf_asm *a, frame_read how, int pass, int match) {
  int lab[L_COUNT] = {[L_PASS] = pass, [L_MATCH] = match, [L_IPV4] = new_label(a), [L_IPV6] = new_label(a)};
  int loaded = -1; /* the (size, off) in R0, or -1 */
  for (size_t i = 0; i < sizeof multicast_data / sizeof multicast_data[0]; i++) {
    const match_step *s = &multicast_data[i];
    switch (s->op) {
      case M_NEED:
        if (how == READ_DIRECT) {
          emit(a, I_MOV64_REG(BPF_REG_4, BPF_REG_2));
          emit(a, I_ADD64_IMM(BPF_REG_4, s->off));
          emit_to(a, I_JGT_REG(BPF_REG_4, BPF_REG_3), pass);
        }
        break;
      case M_TEST: {
        int field = s->size << 16 | s->off, reg = BPF_REG_0;
        if (loaded != field) {
          emit(a, how == READ_ABS ? I_LD_ABS(s->size, s->off) : I_LDX(s->size, BPF_REG_0, BPF_REG_2, s->off));
          loaded = field;
        }
        if (s->mask) {
          emit(a, I_MOV32_REG(BPF_REG_1, BPF_REG_0));
          emit(a, I_AND32_IMM(BPF_REG_1, (int32_t)as_loaded(how, s->size, s->mask)));
          reg = BPF_REG_1;
        }
        emit_to(a, I_JMP32_IMM(s->jmp, reg, (int32_t)as_loaded(how, s->size, s->val)), lab[s->to]);
        break;
      }
      case M_GOTO:
        emit_to(a, I_JA(), lab[s->to]);
        loaded = -1;
        break;
      case M_LABEL:
        place(a, lab[s->to]);
        loaded = -1; /* reached from elsewhere too */
        break;
    }
  }
}

/* BPF_PROG_LOAD; on failure, again with the verifier's log into log (if given). */
static int prog_load(bpf_asm *a, uint32_t type, uint32_t attach, const char *name, char *log, size_t logcap) {
  if (a->n > ASM_MAX) return -E2BIG;
  asm_resolve(a);
  static const char license[] = "GPL";
  union bpf_attr at;
  memset(&at, 0, sizeof at);
  at.prog_type = type;
  at.expected_attach_type = attach;
  at.insns = (uintptr_t)a->ins;
  at.insn_cnt = (uint32_t)a->n;
  at.license = (uintptr_t)license;
  snprintf(at.prog_name, sizeof at.prog_name, "%s", name);
  int pfd = bpf_sys(BPF_PROG_LOAD, &at);
  if (pfd < 0 && log && logcap) {
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

/* tcx ingress: multicast data frames dropped, all else to the next program (TCX_NEXT).
 * tcx pushes the Ethernet header back before running, so LD_ABS offsets count from it. */
static void host_bypass_prog(bpf_asm *a) {
  int pass = new_label(a), drop = new_label(a);
  emit(a, I_MOV64_REG(BPF_REG_6, BPF_REG_1));
  emit_match(a, READ_ABS, pass, drop);
  place(a, drop);
  emit(a, I_MOV64_IMM(BPF_REG_0, TCX_DROP));
  emit(a, I_EXIT());
  place(a, pass);
  emit(a, I_MOV64_IMM(BPF_REG_0, TCX_NEXT));
  emit(a, I_EXIT());
}

int host_bypass_attach(unsigned ifindex, const char **why) {
  bpf_asm a = {0};
  host_bypass_prog(&a);
  int pfd = prog_load(&a, BPF_PROG_TYPE_SCHED_CLS, 0, "mrsh_hostbypass", NULL, 0);
  if (pfd < 0) {
    *why = "BPF_PROG_LOAD";
    return pfd;
  }
  union bpf_attr at;
  memset(&at, 0, sizeof at);
  at.link_create.prog_fd = (uint32_t)pfd;
  at.link_create.target_ifindex = ifindex;
  at.link_create.attach_type = BPF_TCX_INGRESS_NUM;
  int lfd = bpf_sys(BPF_LINK_CREATE, &at);
  int e = errno;
  close(pfd); /* the link holds the program */
  if (lfd < 0) {
    *why = "BPF_LINK_CREATE(tcx ingress)";
    return -e;
  }
  fcntl(lfd, F_SETFD, FD_CLOEXEC);
  return lfd;
}

/* XDP: multicast data frames to xsks_map[rx_queue_index] (XDP_PASS when that queue has no
 * socket), all else XDP_PASS. */
static void xsk_prog(bpf_asm *a, int map_fd) {
  int pass = new_label(a), redirect = new_label(a);
  emit(a, I_MOV64_REG(BPF_REG_6, BPF_REG_1));
  emit(a, I_LDX(BPF_W, BPF_REG_2, BPF_REG_6, 0)); /* xdp_md.data */
  emit(a, I_LDX(BPF_W, BPF_REG_3, BPF_REG_6, 4)); /* xdp_md.data_end */
  emit_match(a, READ_DIRECT, pass, redirect);
  place(a, redirect);
  emit(a, I_LDX(BPF_W, BPF_REG_2, BPF_REG_6, 16)); /* xdp_md.rx_queue_index */
  emit(a, I_INS(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd));
  emit(a, I_INS(0, 0, 0, 0, 0)); /* second half of the 64-bit immediate */
  emit(a, I_MOV64_IMM(BPF_REG_3, XDP_PASS)); /* when the slot is empty */
  emit(a, I_CALL(BPF_FUNC_redirect_map));
  emit(a, I_EXIT());
  place(a, pass);
  emit(a, I_MOV64_IMM(BPF_REG_0, XDP_PASS));
  emit(a, I_EXIT());
}

int xsk_prog_load(int map_fd, char *log, size_t logcap) {
  bpf_asm a = {0};
  xsk_prog(&a, map_fd);
  return prog_load(&a, BPF_PROG_TYPE_XDP, BPF_XDP, "mrsh_xsk_in", log, logcap);
}

/* ---- classic BPF: the fanout program (PACKET_FANOUT_CBPF) ----
 * The same assembler's shape for struct sock_filter: forward jumps to labels, resolved at
 * the end (a conditional's jt, a BPF_JA's k). */

#define C_STMT(op, arg) ((struct sock_filter){.code = (uint16_t)(op), .jt = 0, .jf = 0, .k = (uint32_t)(arg)})
#define CBPF_MAX 48

typedef struct {
  struct sock_filter ins[CBPF_MAX];
  int n, nfix, nlabels;
  int fix_at[CBPF_MAX], fix_label[CBPF_MAX], label_pc[8];
} cbpf_asm;

static int c_label(cbpf_asm *a) { return a->nlabels++; }
static void c_emit(cbpf_asm *a, struct sock_filter i) {
  if (a->n < CBPF_MAX) a->ins[a->n] = i;
  a->n++; /* past CBPF_MAX: refused by fanout_prog */
}
/* if A == k goto label, else fall through (or, for BPF_JA, always) */
static void c_emit_to(cbpf_asm *a, struct sock_filter i, int label) {
  if (a->n < CBPF_MAX) {
    a->fix_at[a->nfix] = a->n;
    a->fix_label[a->nfix++] = label;
  }
  c_emit(a, i);
}
static void c_place(cbpf_asm *a, int label) { a->label_pc[label] = a->n; }
static void c_resolve(cbpf_asm *a) {
  for (int i = 0; i < a->nfix; i++) {
    struct sock_filter *f = &a->ins[a->fix_at[i]];
    int off = a->label_pc[a->fix_label[i]] - a->fix_at[i] - 1;
    if (f->code == (BPF_JMP | BPF_JA)) f->k = (uint32_t)off;
    else f->jt = (uint8_t)off;
  }
}

/* The member of a fanout group a frame goes to: a hash of its IP source and destination
 * only (IPv4: 8 bytes, IPv6: 32), so every datagram of one (S,G) lands on one member
 * whatever its ports; anything not IP goes to member 0. The kernel takes the result
 * modulo the member count (fanout_demux_bpf in net/packet/af_packet.c).
 *
 * Offsets count from the IP header: packet_rcv_fanout runs the program before
 * packet_rcv/tpacket_rcv push the link-layer header back, and on receive eth_type_trans
 * has pulled it, so skb->data is the network header (on transmit it would be the MAC
 * header, but the group ignores outgoing frames: PACKET_FANOUT_FLAG_IGNORE_OUTGOING).
 * A load past the frame's end makes the program return 0 (member 0). */
static void fanout_prog(cbpf_asm *a) {
  int v4 = c_label(a), v6 = c_label(a), mix = c_label(a);
  c_emit(a, C_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL)); /* ntohs(skb->protocol) */
  c_emit_to(a, C_STMT(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP), v4);
  c_emit_to(a, C_STMT(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6), v6);
  c_emit(a, C_STMT(BPF_RET | BPF_K, 0));
  c_place(a, v4);
  c_emit(a, C_STMT(BPF_LD | BPF_W | BPF_ABS, 12)); /* source */
  c_emit(a, C_STMT(BPF_MISC | BPF_TAX, 0));
  c_emit(a, C_STMT(BPF_LD | BPF_W | BPF_ABS, 16)); /* destination */
  c_emit(a, C_STMT(BPF_ALU | BPF_XOR | BPF_X, 0));
  c_emit_to(a, C_STMT(BPF_JMP | BPF_JA, 0), mix);
  c_place(a, v6);
  c_emit(a, C_STMT(BPF_LD | BPF_W | BPF_ABS, 8)); /* source and destination: 8 words */
  for (int off = 12; off < 40; off += 4) {
    c_emit(a, C_STMT(BPF_MISC | BPF_TAX, 0));
    c_emit(a, C_STMT(BPF_LD | BPF_W | BPF_ABS, off));
    c_emit(a, C_STMT(BPF_ALU | BPF_XOR | BPF_X, 0));
  }
  c_place(a, mix); /* the low bits (what a small modulo keeps) from every bit: h * phi, then h ^ h >> 16 */
  c_emit(a, C_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u));
  c_emit(a, C_STMT(BPF_MISC | BPF_TAX, 0));
  c_emit(a, C_STMT(BPF_ALU | BPF_RSH | BPF_K, 16));
  c_emit(a, C_STMT(BPF_ALU | BPF_XOR | BPF_X, 0));
  c_emit(a, C_STMT(BPF_RET | BPF_A, 0));
}

int fanout_prog_build(struct sock_filter *out, int cap) {
  cbpf_asm a = {0};
  fanout_prog(&a);
  if (a.n > CBPF_MAX || a.n > cap) return -E2BIG;
  c_resolve(&a);
  memcpy(out, a.ins, sizeof a.ins[0] * (size_t)a.n);
  return a.n;
}

/* ---- TUN multi-queue steering (TUNSETSTEERINGEBPF) ----
 * Without a program the kernel picks the queue of a datagram the host sends into a
 * multi-queue TUN device by its symmetric flow hash, ports included, or by the queue that
 * last wrote that flow (tun_automq_select_queue, drivers/net/tun.c): an (S,G) with many
 * ports would be spread over the queues. This socket filter program returns fanout_prog's
 * hash of the IP source and destination instead (the kernel takes it modulo the queue
 * count). A TUN device has no link-layer header: skb->data is the IP header. The result is
 * kept to 16 bits, which is what the kernel uses. */
static void tun_steer_prog(bpf_asm *a) {
  int v4 = new_label(a), v6 = new_label(a), mix = new_label(a);
  emit(a, I_MOV64_REG(BPF_REG_6, BPF_REG_1)); /* LD_ABS reads the skb in R6 */
  emit(a, I_LD_ABS(BPF_B, 0));
  emit(a, I_INS(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 4)); /* IP version */
  emit_to(a, I_JMP32_IMM(BPF_JEQ, BPF_REG_0, 4), v4);
  emit_to(a, I_JMP32_IMM(BPF_JEQ, BPF_REG_0, 6), v6);
  emit(a, I_MOV64_IMM(BPF_REG_0, 0));
  emit(a, I_EXIT());
  place(a, v4);
  emit(a, I_LD_ABS(BPF_W, 12));
  emit(a, I_MOV32_REG(BPF_REG_7, BPF_REG_0)); /* R7 survives LD_ABS */
  emit(a, I_LD_ABS(BPF_W, 16));
  emit(a, I_INS(BPF_ALU | BPF_XOR | BPF_X, BPF_REG_0, BPF_REG_7, 0, 0));
  emit_to(a, I_JA(), mix);
  place(a, v6);
  emit(a, I_LD_ABS(BPF_W, 8));
  emit(a, I_MOV32_REG(BPF_REG_7, BPF_REG_0));
  for (int off = 12; off < 40; off += 4) {
    emit(a, I_LD_ABS(BPF_W, off));
    emit(a, I_INS(BPF_ALU | BPF_XOR | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0));
  }
  emit(a, I_MOV32_REG(BPF_REG_0, BPF_REG_7));
  place(a, mix);
  emit(a, I_INS(BPF_ALU | BPF_MUL | BPF_K, BPF_REG_0, 0, 0, (int32_t)0x9e3779b1u));
  emit(a, I_MOV32_REG(BPF_REG_1, BPF_REG_0));
  emit(a, I_INS(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_1, 0, 0, 16));
  emit(a, I_INS(BPF_ALU | BPF_XOR | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0));
  emit(a, I_AND32_IMM(BPF_REG_0, 0xffff));
  emit(a, I_EXIT());
}

int tun_steer_prog_load(char *log, size_t logcap) {
  bpf_asm a = {0};
  tun_steer_prog(&a);
  return prog_load(&a, BPF_PROG_TYPE_SOCKET_FILTER, 0, "mrsh_tun_steer", log, logcap);
}
