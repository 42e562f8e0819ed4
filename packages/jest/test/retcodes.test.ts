/**
 * The return-code tables of @bpfsim/uapi against the kernel's uapi headers:
 * a C program including them prints every name's value (skipped where no C
 * compiler or kernel headers are installed).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BpfProgType, RETCODE_NAMES, retCodeName, retCodeTable, retCodeValue } from '@bpfsim/uapi';

const CC = ['clang', 'clang-19', 'cc'].find((c) => {
  try {
    execFileSync(c, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
const HEADERS = ['linux/bpf.h', 'linux/pkt_cls.h', 'linux/netfilter.h'].every((h) => fs.existsSync(path.join('/usr/include', h)));

/** name -> value as the installed headers define them. */
function headerValues(names: string[]): Record<string, number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-retcodes-'));
  try {
    const src = path.join(dir, 'v.c');
    fs.writeFileSync(src, ['#include <stdio.h>', '#include <linux/bpf.h>', '#include <linux/pkt_cls.h>', '#include <linux/netfilter.h>',
      'int main(void) {', ...names.map((n) => `  printf("${n}=%d\\n", (int)(${n}));`), '  return 0;', '}'].join('\n'));
    execFileSync(CC!, [src, '-o', path.join(dir, 'v')]);
    const out = execFileSync(path.join(dir, 'v'), { encoding: 'utf8' });
    return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=')).map(([n, v]) => [n, Number(v)]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(CC && HEADERS ? test : test.skip)('every named return code has the value the uapi headers give it', () => {
  const names = Object.keys(RETCODE_NAMES).sort();
  expect(names.length).toBe(24);
  expect(RETCODE_NAMES).toEqual(headerValues(names));
});

test('per-type lookups: names of the type first, other types by name only', () => {
  expect(retCodeName(BpfProgType.XDP, 1)).toBe('XDP_DROP');
  expect(retCodeName(BpfProgType.SCHED_CLS, 2)).toBe('TC_ACT_SHOT');
  expect(retCodeName(BpfProgType.SCHED_ACT, -1)).toBe('TC_ACT_UNSPEC');
  expect(retCodeName(BpfProgType.SK_LOOKUP, 1)).toBe('SK_PASS');
  expect(retCodeName(BpfProgType.LWT_XMIT, 128)).toBe('BPF_LWT_REROUTE');
  expect(retCodeName(BpfProgType.KPROBE, 0)).toBeUndefined();
  expect(retCodeValue('allow', BpfProgType.CGROUP_SKB)).toBe(1);
  expect(retCodeValue('allow')).toBeUndefined(); // labels only within their types
  expect(retCodeValue('XDP_TX', BpfProgType.SCHED_CLS)).toBe(3);
  expect(Object.keys(retCodeTable(BpfProgType.NETFILTER)!)).toEqual(['NF_DROP', 'NF_ACCEPT']);
});
