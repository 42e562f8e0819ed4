import * as path from 'path';
import { cli } from './helpers';

const corpus = (f: string) => path.resolve(__dirname, '../../../corpus', f);

describe('bpfsim maps', () => {
  test('runs a program and shows the counters it wrote, one entry per key', async () => {
    const r = await cli('maps', corpus('xdp_counters.bpf.o'), '--prog', 'xdp_count_array', '--packet', '00'.repeat(60), '--repeat', '3', '--map', 'stats_array');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('xdp_count_array: retval 2 (' + lines[0].split('(')[1]);
    expect(lines[1]).toBe('stats_array (array, key 4 B, value 16 B, max 5)');
    // key 2 (XDP_PASS): 3 packets of 60 bytes
    // key 2 (XDP_PASS): 3 packets, 3 * 60 bytes
    expect(lines).toContain('  02000000: 0300000000000000b400000000000000');
    expect(lines.filter((l) => l.startsWith('  0'))).toHaveLength(5);
  });

  test('--no-run shows the maps as loaded; --json gives plain data', async () => {
    const r = await cli('maps', corpus('xdp_counters.bpf.o'), '--no-run', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.retval).toBeUndefined();
    const names = j.maps.map((m: { name: string }) => m.name);
    expect(names).toEqual(['stats_array', 'stats_percpu']);
    for (const m of j.maps) for (const e of m.entries) expect(/^0+$/.test(e.value)).toBe(true);
  });

  test('per-CPU values are shown per CPU', async () => {
    const r = await cli('maps', corpus('xdp_counters.bpf.o'), '--prog', 'xdp_count_percpu', '--packet', '00'.repeat(20), '--cpus', '2', '--map', 'stats_percpu');
    expect(r.code).toBe(0);
    const line = r.out.split('\n').find((l) => l.startsWith('  02000000:'))!;
    expect(line).toMatch(/cpu0 [0-9a-f]{32}  cpu1 [0-9a-f]{32}$/);
    // one run, on one of the two CPUs: exactly one copy counts a packet
    const counts = [...line.matchAll(/cpu\d ([0-9a-f]{16})/g)].map((m) => m[1]);
    expect(counts.sort()).toEqual(['0000000000000000', '0100000000000000']);
  });

  test('bad input gets one line and a non-zero exit', async () => {
    const a = await cli('maps', corpus('no_such.bpf.o'));
    expect(a.code).not.toBe(0);
    expect(a.err).toMatch(/^bpfsim: .*no_such\.bpf\.o: cannot read: no such file\n$/);
    const b = await cli('maps', corpus('xdp_counters.bpf.o'), '--map', 'nope', '--no-run');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/no map named nope \(maps: stats_array, stats_percpu\)/);
    const c = await cli('maps', corpus('xdp_counters.bpf.o'), '--prog', 'nope');
    expect(c.code).not.toBe(0);
    expect(c.err).toMatch(/no program named nope/);
  });
});
