import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpFile } from './helpers';
import { encodeRecording, RECORDING_MAGIC } from '@bpfsim/scenario';

const scenarios = path.resolve(__dirname, '../../../scenarios');
const kprobe = path.join(scenarios, 'kprobe-openat/kprobe-openat.yaml');
const built = fs.existsSync(path.resolve(__dirname, '../dist/main.js'));

describe('bpfsim replay / record / test', () => {
  test('replay prints the timeline and each expectation, exit 0 when all pass', async () => {
    const r = await cli('replay', kprobe);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\s+0\s+\S+ms\s+run openat on cpu \d: retval 0 \(\d+ insns\)\s+# openat\(AT_FDCWD, \.\.\.\)$/m);
    expect(r.out).toMatch(/^\s+trace_pipe: openat2 dfd=-100 pid=\d+$/m);
    expect(r.out).toMatch(/^PASS map opens_by_dfd\[9cffffff\] = 0200000000000000$/m);
    expect(r.out.trim().split('\n').pop()).toBe('passed: 6 expectations');
  });

  test('replay --json gives the same verdict as data', async () => {
    const r = await cli('replay', kprobe, '--json');
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ passed: true, seed: 1, divergence: null });
    expect(j.expectations).toHaveLength(6);
  });

  test('a failing expectation prints a diff and exits 1', async () => {
    const text = fs.readFileSync(kprobe, 'utf8').replace('value: {u64: 2}', 'value: {u64: 3}');
    const f = path.join(path.dirname(kprobe), '.tmp-failing.yaml');
    fs.writeFileSync(f, text);
    try {
      const r = await cli('replay', f);
      expect(r.code).toBe(1);
      expect(r.out).toContain('FAIL map opens_by_dfd[9cffffff] = 0300000000000000\n     - expected: 0300000000000000\n     + actual:   0200000000000000');
    } finally {
      fs.rmSync(f);
    }
  });

  test('record then replay the recording: identical', async () => {
    const out = tmpFile('x', '') + '.msgpack';
    const rec = await cli('record', kprobe, '-o', out);
    expect(rec.code).toBe(0);
    // The recording lives in a temporary directory and names the scenario's object: allowed explicitly.
    const refused = await cli('replay', out);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/outside the scenario's directory \(allow it with --allow-path DIR\)/);
    const r = await cli('replay', out, '--allow-path', scenarios);
    expect(r.code).toBe(0);
    expect(r.out).toContain('PASS recording: the trace is identical to the recorded one');
  });

  test.each([
    [['replay', '/no/such.yaml'], /^bpfsim: \/no\/such\.yaml: \(top level\): no such file\n$/],
    [['replay', '__BAD__'], /^bpfsim: .*bad\.yaml:1:9: bpfsim: expected 'bpfsim: 2' \(the schema version\) at the top\n$/],
    [['replay', '__TRUNC__'], /^bpfsim: .*trunc\.msgpack: \(top level\): not a readable recording/],
    [['explore', kprobe, '--seeds', '9..1'], /^bpfsim: --seeds 9\.\.1: the range is empty\n$/],
  ])('bad input %j: one line, non-zero exit', async (argv, msg) => {
    const subst: Record<string, string> = {
      __BAD__: tmpFile('bad.yaml', 'bpfsim: "one"\n'),
      __TRUNC__: tmpFile('trunc.msgpack', encodeRecording({
        magic: RECORDING_MAGIC, format: 1, bpfsimVersion: '0', seed: 1, scenario: { bpfsim: 1 }, objects: {}, trace: [1, 2, 3],
      }).slice(0, 60)),
    };
    const r = await cli(...(argv as string[]).map((a) => subst[a] ?? a));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(msg);
  });

  (built ? test : test.skip)('test scenarios/ --check-determinism: every example passes against its golden trace, in separate processes too', async () => {
    const r = await cli('test', scenarios, '--check-determinism');
    expect(r.out.split('\n').filter((l) => l.startsWith('FAIL') || l.startsWith('     '))).toEqual([]);
    expect(r.out.trim().split('\n').pop()).toMatch(/^\d+ passed, 0 failed$/);
    expect(r.code).toBe(0);
  });

  (built ? test : test.skip)('replay --check-determinism compares two separate processes', async () => {
    const r = await cli('replay', kprobe, '--check-determinism');
    expect(r.out).toContain('PASS determinism: two replays in separate processes gave identical trace bytes');
    expect(r.code).toBe(0);
  });

  (built ? test : test.skip)('explore runs seeds in worker processes and names the failing ones with a command', async () => {
    const r = await cli('explore', kprobe, '--seeds', '1..6', '--jobs', '2');
    expect(r.out.trim().split('\n').pop()).toBe('6 passed, 0 failed');
  });
});

describe('bpfsim replay --pcap', () => {
  test('writes each program\'s packets as pcap files that tcpdump reads', async () => {
    const { decodePcap } = await import('@bpfsim/scenario');
    const { spawnSync } = await import('child_process');
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'bpfsim-pcap-'));
    const fw = path.join(scenarios, 'xdp-firewall/xdp-firewall.yaml');
    const r = await cli('replay', fw, '--pcap', dir);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['fw.in.pcap', 'fw.out.pcap']);
    const inp = decodePcap(new Uint8Array(fs.readFileSync(path.join(dir, 'fw.in.pcap'))));
    expect(inp.linktype).toBe(1);
    expect(inp.packets).toHaveLength(8); // every run given data (the kernel refused the 3-byte one: no run)
    expect(Buffer.from(inp.packets[0].data).toString('hex')).toBe('020000000002020000000001080045000020000100004001' + '66da0a0000010a000002' + '0800192d0001000170696e67');
    expect(inp.packets[0].t).toBe(1_000_000_000n);
    const td = spawnSync('tcpdump', ['-nn', '-r', path.join(dir, 'fw.in.pcap')], { encoding: 'utf8' });
    if (td.error) {
      console.warn('tcpdump is not installed: the pcap files were checked by the reader only');
      return;
    }
    expect(td.stdout.split('\n')[0]).toMatch(/IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request, id 1, seq 1, length 12/);
    expect(td.stdout.trim().split('\n')).toHaveLength(8);
  });
});
