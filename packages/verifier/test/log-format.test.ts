/**
 * Logs recorded from the 6.18 kernel on this machine (tools/oracle, log_level 1 and 2) for small
 * programs: bpfsim must print them byte for byte. These run without bpf().
 */
import { Insn } from '@bpfsim/isa';
import { BpfProgType } from '@bpfsim/uapi';
import { verify, explain } from '@bpfsim/verifier';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => new Insn(code, dst, src, off, imm);

// r2 = data; r3 = data_end; r4 = r2 + 14; if r4 > r3 goto +2; r0 = *(u8 *)(r2 + 12); r0 = 2; exit
const PKT_OK_THEN_R0 = [I(0x61, 2, 1, 0), I(0x61, 3, 1, 4), I(0xbf, 4, 2), I(0x07, 4, 0, 0, 14), I(0x2d, 4, 3, 2), I(0x71, 0, 2, 12), I(0xb7, 0, 0, 0, 2), I(0x95)];
const PKT_UNCHECKED = [I(0x61, 2, 1, 0), I(0x61, 3, 1, 4), I(0x71, 0, 2, 12), I(0xb7, 0, 0, 0, 2), I(0x95)];

const KERNEL_L2 = `func#0 @0
Live regs before insn:
      0: 01........ (61) r2 = *(u32 *)(r1 +0)
      1: 012....... (61) r3 = *(u32 *)(r1 +4)
      2: 0.23...... (bf) r4 = r2
      3: 0.234..... (07) r4 += 14
      4: 0.234..... (2d) if r4 > r3 goto pc+2
      5: ..2....... (71) r0 = *(u8 *)(r2 +12)
      6: .......... (b7) r0 = 2
      7: 0......... (95) exit
0: R1=ctx() R10=fp0
0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=pkt(r=0)
1: (61) r3 = *(u32 *)(r1 +4)          ; R1=ctx() R3=pkt_end()
2: (bf) r4 = r2                       ; R2=pkt(r=0) R4=pkt(r=0)
3: (07) r4 += 14                      ; R4=pkt(off=14,r=0)
4: (2d) if r4 > r3 goto pc+2          ; R3=pkt_end() R4=pkt(off=14,r=14)
5: (71) r0 = *(u8 *)(r2 +12)          ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff)) R2=pkt(r=14)
6: (b7) r0 = 2                        ; R0=2
7: (95) exit

from 4 to 7: R1=ctx() R2=pkt(r=0) R3=pkt_end() R4=pkt(off=14,r=0xfffffffffffffffe) R10=fp0
7: R1=ctx() R2=pkt(r=0) R3=pkt_end() R4=pkt(off=14,r=0xfffffffffffffffe) R10=fp0
7: (95) exit
R0 !read_ok
processed 9 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
`;

const KERNEL_L1 = `0: R1=ctx() R10=fp0
0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=pkt(r=0)
1: (61) r3 = *(u32 *)(r1 +4)          ; R1=ctx() R3=pkt_end()
2: (bf) r4 = r2                       ; R2=pkt(r=0) R4=pkt(r=0)
3: (07) r4 += 14                      ; R4=pkt(off=14,r=0)
4: (2d) if r4 > r3 goto pc+2 7: R1=ctx() R2=pkt(r=0) R3=pkt_end() R4=pkt(off=14,r=0xfffffffffffffffe) R10=fp0
7: (95) exit
R0 !read_ok
processed 9 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
`;

const KERNEL_UNCHECKED = `0: R1=ctx() R10=fp0
0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=pkt(r=0)
1: (61) r3 = *(u32 *)(r1 +4)          ; R1=ctx() R3=pkt_end()
2: (71) r0 = *(u8 *)(r2 +12)
invalid access to packet, off=12 size=1, R2(id=0,off=12,r=0)
R2 offset is outside of the packet
processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

describe('log text', () => {
  test('log_level 2: live registers, every state, from/to lines, error, stats', () => {
    const r = verify(PKT_OK_THEN_R0, { progType: BpfProgType.XDP, logLevel: 2 });
    expect(r.log).toBe(KERNEL_L2);
    expect(r).toMatchObject({ accepted: false, errno: 'EACCES', error: 'R0 !read_ok', processed: 9 });
  });
  test('log_level 1: only the failing path, with the kernel\'s reset quirk at the branch', () => {
    expect(verify(PKT_OK_THEN_R0, { progType: BpfProgType.XDP, logLevel: 1 }).log).toBe(KERNEL_L1);
  });
  test('an unchecked packet read', () => {
    const r = verify(PKT_UNCHECKED, { progType: BpfProgType.XDP, logLevel: 1 });
    expect(r.log).toBe(KERNEL_UNCHECKED);
    expect(r.explanation).toMatch(/data_end/);
  });
  test('log_level 0 gives no log but the same verdict', () => {
    const r = verify(PKT_UNCHECKED, { progType: BpfProgType.XDP, logLevel: 0 });
    expect(r).toMatchObject({ log: '', accepted: false, errno: 'EACCES', error: 'R2 offset is outside of the packet' });
  });
});

describe('explanations', () => {
  test.each([
    ["R0 invalid mem access 'map_value_or_null'", /NULL/],
    ['R3 !read_ok', /R3.*clobber/],
    ['invalid bpf_context access off=40 size=4', /offset 40 with size 4/],
    ['unknown opcode ff', /0xff/],
  ])('%s', (line, re) => {
    expect(explain(line)).toMatch(re);
  });
  test('unknown lines have no explanation', () => {
    expect(explain('something new')).toBeUndefined();
  });
});
