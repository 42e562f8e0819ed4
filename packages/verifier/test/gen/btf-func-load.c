/*
 * Test helper: load a program into the running kernel with the caller's own BTF blob and func_info
 * (so functions can be global or static, with real prototypes), which tools/oracle cannot pass.
 * Built by btf-func-oracle.ts with the system C compiler.
 * usage: btf-func-load <prog_type> <insns.bin> <btf.bin> <func_info.bin> [map_type:key_size:value_size:max_entries[:name] ...]
 * func_info.bin holds struct bpf_func_info records (insn_off, type_id; 8 bytes each).
 * prints the errno (0 when loaded) on the first line, then the verifier log (level 1).
 */
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
static long sys(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }
static char logbuf[16 << 20];
static int slurp(const char *path, void *buf, int max) {
  FILE *f = fopen(path, "rb"); if (!f) return -1; int n = fread(buf, 1, max, f); fclose(f); return n;
}
int main(int argc, char **argv) {
  if (argc < 5) { printf("USAGE\n"); return 1; }
  int type = atoi(argv[1]);
  static struct bpf_insn insns[100000]; int n = slurp(argv[2], insns, sizeof insns) / 8;
  static char btf[1 << 20]; int btf_len = slurp(argv[3], btf, sizeof btf);
  static struct bpf_func_info fi[1000]; int nfi = slurp(argv[4], fi, sizeof fi) / 8;
  int fds[16]; int nm = 0;
  for (int i = 5; i < argc && nm < 16; i++) {
    union bpf_attr a; memset(&a, 0, sizeof a);
    char name[16] = "";
    sscanf(argv[i], "%u:%u:%u:%u:%15[A-Za-z0-9_]", &a.map_type, &a.key_size, &a.value_size, &a.max_entries, name);
    memcpy(a.map_name, name, sizeof name);
    fds[nm] = sys(BPF_MAP_CREATE, &a); if (fds[nm] < 0) { printf("MAPFAIL %d\n", errno); return 1; } nm++;
  }
  for (int i = 0; i < n; i++) if (insns[i].code == 0x18 && (insns[i].src_reg == 1 || insns[i].src_reg == 2) && insns[i].imm >= 0 && insns[i].imm < nm) insns[i].imm = fds[insns[i].imm];
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.btf = (unsigned long)btf; a.btf_size = btf_len;
  a.btf_log_buf = (unsigned long)logbuf; a.btf_log_size = sizeof logbuf; a.btf_log_level = 1;
  int bfd = sys(BPF_BTF_LOAD, &a); if (bfd < 0) { printf("BTFFAIL %d\n%s", errno, logbuf); return 1; }
  logbuf[0] = 0;
  memset(&a, 0, sizeof a);
  a.prog_type = type; a.insns = (unsigned long)insns; a.insn_cnt = n; a.license = (unsigned long)"GPL";
  a.log_level = 1; a.log_buf = (unsigned long)logbuf; a.log_size = sizeof logbuf;
  a.prog_btf_fd = bfd; a.func_info = (unsigned long)fi; a.func_info_cnt = nfi; a.func_info_rec_size = sizeof fi[0];
  int fd = sys(BPF_PROG_LOAD, &a);
  printf("%d\n%s", fd < 0 ? errno : 0, logbuf);
  return 0;
}
