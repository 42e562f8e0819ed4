/**
 * Routing against the real kernel: generated topologies (devices, primary and secondary
 * addresses, gateway/device/unreachable/blackhole/prohibit routes, metrics, a default) are
 * built in bpfsim and, through tools/netns-judge/route.py, in a throw-away namespace of the
 * host kernel; every query's answer (`ip route get`: type, device, gateway, source, or the
 * error) must be the same. The kernel's answers are on the tape
 * (`BPFSIM_KERNEL=record npx jest packages/kernel/test/net/routing.test.ts` records them).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Network } from '../../src/net/network';
import { routeOutput } from '../../src/net/ipv4/ip_output';
import { ip4, ip4Text } from '../../src/net/ipv4/inaddr';
import { newKernel } from './sock-kit';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tape = require('../../../../tools/oracle/tape');

const ROOT = path.resolve(__dirname, '../../../..');
const TOPOLOGIES = 30;

/** mulberry32: the generator's own seeded numbers. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

interface Question {
  devices: { name: string; addrs: string[] }[];
  routes: string[];
  queries: string[];
}
interface Answer {
  routeErrors: string[];
  answers: ({ error: string } | { type: string; dev: string; gateway: string | null; prefsrc: string | null })[];
}

function generate(seed: number): Question {
  const r = rng(seed);
  const nets: [number, number][] = [];
  const devices = Array.from({ length: 1 + r(4) }, (_, i) => {
    const addrs: string[] = [];
    const prefix = 16 + r(15);
    const base = (ip4(`10.${16 * i + r(16)}.0.0`) + r(0x10000)) >>> 0;
    addrs.push(`${ip4Text(base)}/${prefix}`);
    nets.push([base, prefix]);
    if (r(3) === 0) addrs.push(`${ip4Text((base ^ (1 + r(3))) >>> 0)}/${prefix}`); // a secondary in the same subnet
    if (r(3) === 0) {
      const b2 = ip4(`172.${16 + i}.${r(256)}.${1 + r(200)}`);
      addrs.push(`${ip4Text(b2)}/24`);
      nets.push([b2, 24]);
    }
    return { name: `r${i}`, addrs };
  });
  const hostIn = ([b, p]: [number, number]): string => {
    const size = 2 ** (32 - p);
    return ip4Text(((b & ~(size - 1)) + 1 + r(Math.max(1, size - 2))) >>> 0);
  };
  const routes: string[] = [];
  const dsts: string[] = [];
  for (let i = 0, n = 2 + r(7); i < n; i++) {
    const len = 8 + r(21);
    const dst = `${20 + r(70)}.${r(256)}.${r(256)}.0`;
    const masked = ip4Text((ip4(dst) & (len ? (0xffffffff << (32 - len)) >>> 0 : 0)) >>> 0);
    const cidr = `${masked}/${len}`;
    dsts.push(cidr);
    const k = r(7);
    if (k < 3) routes.push(`${cidr} via ${hostIn(nets[r(nets.length)])}${r(2) ? ` metric ${r(3)}` : ''}`);
    else if (k === 3) routes.push(`${cidr} dev ${devices[r(devices.length)].name}`);
    else if (k === 4) routes.push(`unreachable ${cidr}`);
    else if (k === 5) routes.push(`blackhole ${cidr}`);
    else routes.push(`prohibit ${cidr}`);
    // The same destination again through another metric, or a gateway off every connected network.
    if (r(4) === 0) routes.push(`${cidr} via ${hostIn(nets[r(nets.length)])} metric ${3 + r(3)}`);
    if (r(8) === 0) routes.push(`${cidr} via 99.${r(256)}.0.1 metric 9`);
  }
  if (r(2)) routes.push(`default via ${hostIn(nets[r(nets.length)])}`);
  const queries: string[] = [];
  for (const d of dsts) {
    const [a, p] = d.split('/');
    queries.push(ip4Text((ip4(a) + r(2 ** Math.min(16, 32 - Number(p)))) >>> 0));
  }
  for (const d of devices) for (const a of d.addrs) {
    const [x, p] = a.split('/');
    queries.push(x, ip4Text((ip4(x) | (2 ** (32 - Number(p)) - 1)) >>> 0), hostIn([ip4(x), Number(p)]));
  }
  queries.push('127.0.0.1', `127.${r(256)}.${r(256)}.${1 + r(250)}`, '8.8.8.8', `${1 + r(223)}.${r(256)}.${r(256)}.${r(256)}`);
  return { devices, routes, queries };
}

function judge(q: Question): Answer {
  const p = spawnSync('python3', [path.join(ROOT, 'tools/netns-judge/route.py')], { input: JSON.stringify(q), encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`route.py: ${p.stderr}`);
  return JSON.parse(p.stdout) as Answer;
}

function simulate(q: Question): Answer {
  const k = newKernel('routing');
  const net = new Network(k);
  const ns = net.createNs('r');
  for (const d of q.devices) {
    const [dev] = net.addVeth(ns, d.name, ns, `p${d.name}`);
    for (const a of d.addrs) dev.addAddress(a);
  }
  const routeErrors = q.routes.map((r) => {
    try {
      ns.addRoute(r);
      return '';
    } catch (e) {
      return (e as { code: string }).code;
    }
  });
  const answers = q.queries.map((a) => {
    const r = routeOutput(ns, ip4(a));
    if (typeof r === 'number') return { error: { [-101]: 'ENETUNREACH', [-113]: 'EHOSTUNREACH', [-22]: 'EINVAL', [-13]: 'EACCES' }[r] ?? String(r) };
    return { type: r.route.type, dev: r.route.type === 'local' ? 'lo' : r.dev.name, gateway: r.route.gw ? ip4Text(r.route.gw) : null, prefsrc: r.src ? ip4Text(r.src) : null };
  });
  return { routeErrors, answers };
}

describe('routing against the real kernel (ip route get in a throw-away namespace)', () => {
  test.each(Array.from({ length: TOPOLOGIES }, (_, i) => [i]))('topology %i', (i) => {
    const q = generate(1000 + i);
    const real: Answer = tape.ask('netns.route', q, () => judge(q));
    const sim = simulate(q);
    // Each route is refused by both or by neither.
    expect(q.routes.map((r, j) => `${r}: ${sim.routeErrors[j] ? 'refused' : 'added'}`)).toEqual(q.routes.map((r, j) => `${r}: ${real.routeErrors[j] ? 'refused' : 'added'}`));
    // Canonical (sorted-key) text: the tape does not keep key order.
    const canon = (o: object): string => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1))));
    const diffs = q.queries.flatMap((a, j) => (canon(sim.answers[j]) === canon(real.answers[j]) ? [] : [`${a}: kernel ${canon(real.answers[j])} bpfsim ${canon(sim.answers[j])}`]));
    expect(real.answers).toHaveLength(q.queries.length);
    expect({ routes: q.routes, diffs }).toEqual({ routes: q.routes, diffs: [] });
  });
});
