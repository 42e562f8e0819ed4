/**
 * bpf_loop callbacks: level-1 logs recorded from the 6.18 kernel on this machine (loaded with BTF
 * func_info through gen/btf-load.c) must be printed by bpfsim byte for byte. These run without bpf().
 */
import { assemble } from '@bpfsim/isa';
import { BpfProgType } from '@bpfsim/uapi';
import { verify } from '@bpfsim/verifier';

interface Recorded { src: string; errno: string; log: string }

const RECORDED: Record<string, Recorded> = {
  // LOOP_RET2
  loop_ret2: {
    src: `*(u64 *)(r10 - 8) = 7\nr1 = 6\nr2 = subprog[8]\nr3 = r10\nr3 += -8\nr4 = 0\ncall bpf_loop\nr0 = *(u64 *)(r10 - 8)\nr0 &= 1\nexit\n` +
    `r3 = *(u64 *)(r2 + 0)\nr0 = 0\nif r1 == 4 goto stop\nexit\nstop:\nr0 = 2\nexit`,
    errno: 'EINVAL',
    log: `0: R1=ctx() R10=fp0
0: (7a) *(u64 *)(r10 -8) = 7          ; R10=fp0 fp-8=7
1: (b7) r1 = 6                        ; R1=6
2: (18) r2 = 0x8                      ; R2=func()
4: (bf) r3 = r10                      ; R3=fp0 R10=fp0
5: (07) r3 += -8                      ; R3=fp-8
6: (b7) r4 = 0                        ; R4=0
7: (85) call bpf_loop#181 11: frame1: R1=scalar() R2=fp[0]-8 R10=fp0 cb
11: (79) r3 = *(u64 *)(r2 +0)         ; frame1: R2=fp[0]-8 R3=7 cb
12: (b7) r0 = 0                       ; frame1: R0=0 cb
13: (15) if r1 == 0x4 goto pc+1 15: frame1: R0=0 R1=4 R2=fp[0]-8 R3=7 R10=fp0 cb
15: (b7) r0 = 2                       ; frame1: R0=2 cb
16: (95) exit
At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]
processed 17 insns (limit 1000000) max_states_per_insn 1 total_states 2 peak_states 2 mark_read 0
`,
  },
  // LOOP_NULL_CTX
  loop_null_ctx: {
    src: `r1 = 3\nr2 = subprog[6]\nr3 = 0\nr4 = 0\ncall bpf_loop\nr0 = 0\nexit\nr0 = *(u64 *)(r2 + 0)\nr0 = 0\nexit`,
    errno: 'EACCES',
    log: `0: R1=ctx() R10=fp0
0: (b7) r1 = 3                        ; R1=3
1: (18) r2 = 0x6                      ; R2=func()
3: (b7) r3 = 0                        ; R3=0
4: (b7) r4 = 0                        ; R4=0
5: (85) call bpf_loop#181 8: frame1: R1=scalar() R2=0 R10=fp0 cb
8: (79) r0 = *(u64 *)(r2 +0)
R2 invalid mem access 'scalar'
processed 8 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
`,
  },
  // LOOP_R1_AFTER
  loop_r1_after: {
    src: `call bpf_get_prandom_u32\nr1 = r0\nr1 &= 3\nr2 = subprog[6]\nr3 = 0\nr4 = 0\ncall bpf_loop\nr0 = r1\nexit\nr0 = 1\nexit`,
    errno: 'EACCES',
    log: `0: R1=ctx() R10=fp0
0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()
1: (bf) r1 = r0                       ; R0=scalar(id=1) R1=scalar(id=1)
2: (57) r1 &= 3                       ; R1=scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3))
3: (18) r2 = 0x6                      ; R2=func()
5: (b7) r3 = 0                        ; R3=0
6: (b7) r4 = 0                        ; R4=0
7: (85) call bpf_loop#181             ; R0=scalar() R10=fp0
8: (bf) r0 = r1
R1 !read_ok
processed 8 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
`,
  },
};

describe('callback logs match the kernel at log level 1', () => {
  for (const [name, r] of Object.entries(RECORDED)) {
    test(name, () => {
      const v = verify(assemble(r.src), { progType: BpfProgType.XDP, logLevel: 1 });
      expect(v.accepted).toBe(false);
      expect(v.errno).toBe(r.errno);
      expect(v.log).toBe(r.log);
    });
  }
});
