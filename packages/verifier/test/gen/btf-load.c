/*
 * Test helper: load a program into the running kernel WITH BTF func_info (one static FUNC per
 * subprogram), which the kernel requires for BPF_PSEUDO_FUNC (bpf_loop / for_each_map_elem callbacks)
 * and tools/oracle does not provide. Built by btf-oracle.ts with the system C compiler.
 * usage: btf-load <prog_type> <insns.bin> [map_type:key_size:value_size:max_entries[:name] ...]
 * prints the errno (0 when loaded) on the first line, then the verifier log (level 1).
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
static long sys(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }
static char logbuf[16 << 20];
int main(int argc, char **argv) {
  int type = atoi(argv[1]);
  FILE *f = fopen(argv[2], "rb"); static struct bpf_insn insns[100000]; int n = fread(insns, 8, 100000, f); fclose(f);
  int fds[16]; int nm = 0;
  for (int i = 3; i < argc; i++) {
    union bpf_attr a; memset(&a, 0, sizeof a);
    char name[16] = "";
    sscanf(argv[i], "%u:%u:%u:%u:%15[A-Za-z0-9_]", &a.map_type, &a.key_size, &a.value_size, &a.max_entries, name);
    memcpy(a.map_name, name, sizeof name);
    fds[nm] = sys(BPF_MAP_CREATE, &a); if (fds[nm] < 0) { printf("MAPFAIL %d\n", errno); return 1; } nm++;
  }
  for (int i = 0; i < n; i++) if (insns[i].code == 0x18 && (insns[i].src_reg == 1 || insns[i].src_reg == 2) && insns[i].imm >= 0 && insns[i].imm < nm) insns[i].imm = fds[insns[i].imm];
  // subprog starts
  int starts[300]; int ns = 0; starts[ns++] = 0;
  for (int i = 0; i < n; i++) {
    int t = -1;
    if (insns[i].code == 0x85 && insns[i].src_reg == 1) t = i + insns[i].imm + 1;
    if (insns[i].code == 0x18 && insns[i].src_reg == 4) t = i + insns[i].imm + 1;
    if (t < 0 || t >= n) continue;
    int dup = 0; for (int j = 0; j < ns; j++) if (starts[j] == t) dup = 1;
    if (!dup && ns < 256) starts[ns++] = t;
  }
  for (int i = 0; i < ns; i++) for (int j = i + 1; j < ns; j++) if (starts[j] < starts[i]) { int x = starts[i]; starts[i] = starts[j]; starts[j] = x; }
  // BTF: [1] int, [2] func_proto () -> int, [3..] func fN static
  static char buf[65536]; struct btf_header *h = (void *)buf; memset(buf, 0, sizeof buf);
  h->magic = BTF_MAGIC; h->version = BTF_VERSION; h->hdr_len = sizeof *h;
  char *types = buf + sizeof *h; int tl = 0;
  char strs[8192]; int sl = 0; strs[sl++] = 0;
  int int_name = sl; strcpy(strs + sl, "int"); sl += 4;
  struct btf_type *t = (void *)(types + tl); t->name_off = int_name; t->info = BTF_KIND_INT << 24; t->size = 4; tl += sizeof *t;
  *(unsigned *)(types + tl) = ((BTF_INT_SIGNED << 24) | 32); tl += 4;
  t = (void *)(types + tl); t->name_off = 0; t->info = BTF_KIND_FUNC_PROTO << 24; t->type = 1; tl += sizeof *t;
  struct bpf_func_info fi[300];
  for (int i = 0; i < ns; i++) {
    int no = sl; sl += sprintf(strs + sl, "f%d", i) + 1;
    t = (void *)(types + tl); t->name_off = no; t->info = (BTF_KIND_FUNC << 24) | (i == 0 ? 1 : 0); t->type = 2; tl += sizeof *t;
    fi[i].insn_off = starts[i]; fi[i].type_id = 3 + i;
  }
  h->type_off = 0; h->type_len = tl; h->str_off = tl; h->str_len = sl;
  memcpy(types + tl, strs, sl);
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.btf = (unsigned long)buf; a.btf_size = sizeof *h + tl + sl;
  int btf = sys(BPF_BTF_LOAD, &a); if (btf < 0) { printf("BTFFAIL %d\n", errno); return 1; }
  memset(&a, 0, sizeof a);
  a.prog_type = type; a.insns = (unsigned long)insns; a.insn_cnt = n; a.license = (unsigned long)"GPL";
  a.log_level = 1; a.log_buf = (unsigned long)logbuf; a.log_size = sizeof logbuf;
  a.prog_btf_fd = btf; a.func_info = (unsigned long)fi; a.func_info_cnt = ns; a.func_info_rec_size = sizeof fi[0];
  int fd = sys(BPF_PROG_LOAD, &a);
  printf("%d\n%s", fd < 0 ? errno : 0, logbuf);
  return 0;
}
