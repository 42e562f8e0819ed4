import * as path from 'path';
import { formatReport, loadScenarioFile, replayLoaded } from '@bpfsim/scenario';

const scenarios = path.resolve(__dirname, '../../../scenarios');
const report = (rel: string) => formatReport(replayLoaded(loadScenarioFile(path.join(scenarios, rel))));

describe('the readable timeline', () => {
  test('return codes are named by the program type: XDP actions, TC actions; other types stay numbers', () => {
    const xdp = report('xdp-firewall/xdp-firewall.yaml');
    expect(xdp).toContainEqual(expect.stringMatching(/run fw on cpu \d: retval XDP_DROP \(\d+ insns\)  # an ICMP echo request is dropped$/));
    expect(xdp).toContainEqual(expect.stringMatching(/run fw on cpu \d: retval XDP_PASS \(/));
    expect(xdp.some((l) => /retval \d/.test(l))).toBe(false);
    const tc = report('tc-classifier/tc-classifier.yaml');
    expect(tc.some((l) => /retval TC_ACT_[A-Z_]+ \(/.test(l))).toBe(true);
    const kprobe = report('kprobe-openat/kprobe-openat.yaml');
    expect(kprobe).toContainEqual(expect.stringMatching(/run openat on cpu \d: retval 0 \(/));
  });

  test('packets are summarised on one line', () => {
    const xdp = report('xdp-firewall/xdp-firewall.yaml');
    const i = xdp.findIndex((l) => l.includes('# an ICMP echo request is dropped'));
    expect(xdp[i + 1]).toMatch(/^ +packet: .*10\.0\.0\.1.*10\.0\.0\.2.*ICMP/);
  });

  test('ring buffer records are decoded through BTF with the type an expectation names', () => {
    const rb = report('ringbuf-events/ringbuf-events.yaml');
    expect(rb).toContainEqual(expect.stringMatching(/^ +ringbuf events: \{target: 1234, sig: 15, nr: 62, cpu: 0\}$/));
  });

  test('a helper failure is named by its errno', () => {
    // A program's failed map update (BPF_NOEXIST on a present key): the kernel records result -17.
    const r = replayLoaded(loadScenarioFile(path.join(scenarios, 'kprobe-openat/kprobe-openat.yaml')));
    const entry = r.trace.find((e) => e.effects.some((x) => (x as { kind: string }).kind === 'map_update'))!;
    const eff = entry.effects.find((x) => (x as { kind: string }).kind === 'map_update') as Record<string, unknown>;
    const failing = { ...r, trace: [{ ...entry, effects: [{ ...eff, result: -17 }, { kind: 'helper_fault', helper: 'bpf_map_update_elem', result: '-12' }] }] };
    const lines = formatReport(failing);
    expect(lines).toContainEqual(expect.stringMatching(/update opens_by_dfd\[9cffffff\] = 0100000000000000 → -EEXIST$/));
    expect(lines).toContainEqual(expect.stringMatching(/bpf_map_update_elem overridden → -ENOMEM$/));
  });
});
