/**
 * Netfilter against the real iptables 1.8.9 (nf_tables) on the profile kernel:
 * the iptables-save round trip of hand-written and generated rule sets, and the
 * counters after the same generated packets crossed namespace b's PREROUTING and
 * INPUT (fixtures/iptables.json, recorded by tools/record-iptables/record.py).
 * Then the semantics in bpfsim alone: chains, conntrack, limit, LOG, errors.
 */
import * as fs from 'fs';
import * as path from 'path';
import { eth } from '@bpfsim/packet';
import { IptablesError, Kernel, Network, Netfilter, netfilterOf, type NetDevice } from '@bpfsim/kernel';
import type { NetSkb } from '../../src/net/skbuff';

interface Case { name: string; rules: string; packets: string[]; save?: string; saveCounters?: string; error?: string }
// BPFSIM_NF_FIXTURE: a larger campaign recorded by tools/record-iptables (BPFSIM_NF_CASES=N).
const FIX = JSON.parse(fs.readFileSync(process.env.BPFSIM_NF_FIXTURE ?? path.join(__dirname, 'fixtures', 'iptables.json'), 'utf8')) as { tool: string; kernel: string; cases: Case[] };

const B_LOCAL = new Set(['10.0.0.2', '10.9.9.9']);

function skbOf(frame: Uint8Array): NetSkb {
  return { data: frame, meta: new Uint8Array(0), vlan: null, mark: 0, priority: 0, tcIndex: 0, iif: 0, redirected: false, nh: 14 } as NetSkb;
}

function world(): { k: Kernel; nf: Netfilter; veth1: NetDevice; lo: NetDevice } {
  const k = new Kernel({ seed: 'nf' });
  const net = new Network(k);
  const a = net.createNs('a'), b = net.createNs('b');
  const [, veth1] = net.addVeth(a, 'veth0', b, 'veth1');
  return { k, nf: netfilterOf(b), veth1, lo: b.lo };
}

/** What b's kernel does with a frame from the wire, hook by hook: PREROUTING, the routing decision, INPUT. */
function receive(nf: Netfilter, dev: NetDevice, frame: Uint8Array): string {
  const skb = skbOf(frame);
  const pre = nf.hook('PREROUTING', skb, { indev: dev });
  if (pre !== 'ACCEPT') return typeof pre === 'string' ? pre : `REJECT ${pre.reject}`;
  const dst = [...frame.subarray(30, 34)].join('.');
  if (!B_LOCAL.has(dst)) return 'not local';
  const v = nf.hook('INPUT', skb, { indev: dev });
  return typeof v === 'string' ? v : `REJECT ${v.reject}`;
}

// b answers some packets (RSTs, ICMP errors and echo replies, REJECT's answers); raw OUTPUT drops them
// all before conntrack sees them, and its counters are the only ones they touch: masked here.
const maskReplies = (s: string): string => s.replace(/^\[\d+:\d+\] -A OUTPUT -j DROP$/m, '[*:*] -A OUTPUT -j DROP').replace(/^(\*raw\n:PREROUTING [A-Z]+ \[\d+:\d+\]\n):OUTPUT ACCEPT \[\d+:\d+\]/m, '$1:OUTPUT ACCEPT [*:*]');

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

describe(`iptables-save round trip and counters against ${FIX.tool} on ${FIX.kernel}`, () => {
  test('the fixture holds hand-written and generated cases, some refused by the real tool', () => {
    expect(FIX.cases.length).toBeGreaterThanOrEqual(40);
    expect(FIX.cases.filter((c) => c.error).length).toBeGreaterThan(0);
    expect(FIX.cases.filter((c) => c.packets.length > 0 && !c.error).length).toBeGreaterThanOrEqual(30);
  });

  for (const c of FIX.cases) {
    test(`${c.name}: ${c.error ? 'refused at the same line' : 'same save and counters'}`, () => {
      const { nf, veth1 } = world();
      if (c.error) {
        const line = Number(/line (\d+):/.exec(c.error)![1]);
        let err: unknown;
        try { nf.restore(c.rules, `${c.name}.rules`); } catch (e) { err = e; }
        expect(err).toBeInstanceOf(IptablesError);
        expect((err as IptablesError).line).toBe(line);
        return;
      }
      nf.restore(c.rules, `${c.name}.rules`);
      for (const p of c.packets) receive(nf, veth1, hex(p));
      expect(nf.save()).toBe(c.save);
      expect(maskReplies(nf.save({ counters: true }))).toBe(maskReplies(c.saveCounters!));
    });
  }
});

const RULES = (body: string, policy = 'ACCEPT'): string => `*filter\n:INPUT ${policy} [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${body}COMMIT\n`;
const MAC = { src: '02:00:00:00:01:0a', dst: '02:00:00:00:01:0b' };
const udp = (src: string, dst: string, sport: number, dport: number): Uint8Array => eth(MAC).ipv4({ src, dst }).udp({ sport, dport }).payload('x').build();
const tcp = (src: string, dst: string, sport: number, dport: number, flags: string): Uint8Array => eth(MAC).ipv4({ src, dst }).tcp({ sport, dport, flags }).build();

describe('chains and targets', () => {
  test('jump returns after the call, goto returns to the caller of the chain that went, RETURN in a base chain applies the policy', () => {
    const { nf, veth1 } = world();
    nf.restore(RULES([
      ':a - [0:0]', ':b - [0:0]', ':c - [0:0]',
      '-A INPUT -p udp --dport 1 -j a', '-A INPUT -p udp --dport 1 -j ACCEPT',
      '-A INPUT -p udp --dport 2 -j RETURN', '-A INPUT -j ACCEPT',
      '-A a -g b', '-A a -j DROP',
      '-A b -j c', '-A b -j LOG', '-A c -j RETURN',
    ].join('\n') + '\n', 'DROP'));
    expect(receive(nf, veth1, udp('10.0.0.1', '10.0.0.2', 5, 1))).toBe('ACCEPT');
    expect(receive(nf, veth1, udp('10.0.0.1', '10.0.0.2', 5, 2))).toBe('DROP');
    const s = nf.save({ counters: true });
    expect(s).toContain(':INPUT DROP [1:29]');
    expect(s).toContain('[1:29] -A INPUT -p udp -m udp --dport 1 -j ACCEPT');
    expect(s).toContain('[0:0] -A a -j DROP');
    expect(s).toContain('[1:29] -A b -j LOG');
  });

  test('REJECT answers with its --reject-with; LOG writes the kernel line to the trace and goes on', () => {
    const { k, nf, veth1 } = world();
    nf.restore(RULES('-A INPUT -p tcp --dport 22 -j LOG --log-prefix "ssh: "\n-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset\n-A INPUT -p udp -j REJECT\n'));
    expect(receive(nf, veth1, tcp('10.0.0.1', '10.0.0.2', 999, 22, 'S'))).toBe('REJECT tcp-reset');
    expect(receive(nf, veth1, udp('10.0.0.1', '10.0.0.2', 5, 53))).toBe('REJECT icmp-port-unreachable');
    const logs = (k.trace.records as unknown as { kind: string; line: string; hook: string }[]).filter((r) => r.kind === 'nf_log');
    expect(logs).toHaveLength(1);
    expect(logs[0].hook).toBe('INPUT');
    expect(logs[0].line).toBe('ssh: IN=veth1 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=40 TTL=64 ID=0 PROTO=TCP SPT=999 DPT=22 SYN');
  });

  test('-i with + is a prefix, negations invert, CIDR masks, multiport ranges, icmp types and codes', () => {
    const { nf, veth1, lo } = world();
    nf.restore(RULES([
      '-A INPUT -i vet+ ! -s 10.0.0.0/8 -j DROP',
      '-A INPUT -p udp -m multiport --dports 10:20,53 -j DROP',
      '-A INPUT -p icmp --icmp-type port-unreachable -j DROP',
    ].join('\n') + '\n'));
    expect(receive(nf, veth1, udp('192.168.0.1', '10.0.0.2', 5, 99))).toBe('DROP');
    expect(receive(nf, lo, udp('192.168.0.1', '10.0.0.2', 5, 99))).toBe('ACCEPT');
    expect(receive(nf, veth1, udp('10.1.0.1', '10.0.0.2', 5, 15))).toBe('DROP');
    expect(receive(nf, veth1, udp('10.1.0.1', '10.0.0.2', 5, 21))).toBe('ACCEPT');
    const unreach = (code: number): Uint8Array => eth(MAC).ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).icmp({ type: 3, code }).build();
    expect(receive(nf, veth1, unreach(3))).toBe('DROP');
    expect(receive(nf, veth1, unreach(1))).toBe('ACCEPT');
  });
});

describe('the five hooks', () => {
  test('FORWARD sees -i and -o; OUTPUT and POSTROUTING see -o; mangle runs before filter; tables registered only where they hook', () => {
    const { nf, veth1, lo } = world();
    nf.restore([
      '*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
      '-A FORWARD -j LOG --log-prefix M', '-A POSTROUTING -o veth+ -p udp --dport 7 -j DROP', 'COMMIT',
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A FORWARD -i veth1 -o lo -j ACCEPT', '-A OUTPUT ! -o veth1 -j REJECT --reject-with icmp-admin-prohibited', 'COMMIT', '',
    ].join('\n'));
    const fwd = (inDev: NetDevice, outDev: NetDevice) => nf.hook('FORWARD', skbOf(udp('10.0.0.1', '10.9.0.1', 1, 2)), { indev: inDev, outdev: outDev });
    expect(fwd(veth1, lo)).toBe('ACCEPT');
    expect(fwd(lo, veth1)).toBe('DROP');
    const local = (dport: number) => skbOf(udp('10.0.0.2', '10.0.0.1', 1, dport));
    expect(nf.hook('OUTPUT', local(5), { outdev: lo })).toEqual({ reject: 'icmp-admin-prohibited' });
    expect(nf.hook('OUTPUT', local(5), { outdev: veth1 })).toBe('ACCEPT');
    expect(nf.hook('POSTROUTING', local(7), { outdev: veth1 })).toBe('DROP');
    expect(nf.hook('POSTROUTING', local(7), { outdev: lo })).toBe('ACCEPT');
    const s = nf.save({ counters: true });
    expect(s).toContain('[2:58] -A FORWARD -j LOG --log-prefix M');
    expect(s).toContain(':FORWARD DROP [1:29]');
    // Not IPv4 (an ARP frame): the IPv4 hooks never see it.
    const arp = Uint8Array.from([...Array(12).fill(0xff), 0x08, 0x06, ...Array(28).fill(0)]);
    expect(nf.hook('POSTROUTING', skbOf(arp), { outdev: veth1 })).toBe('ACCEPT');
  });
});

describe('conntrack', () => {
  test('NEW until the reply, then ESTABLISHED both ways; an ICMP error about it is RELATED; bad TCP flags are INVALID', () => {
    const { nf, veth1 } = world();
    nf.restore(RULES([
      '-A INPUT -m conntrack --ctstate NEW -j LOG --log-prefix NEW',
      '-A INPUT -m conntrack --ctstate ESTABLISHED -j LOG --log-prefix EST',
      '-A INPUT -m conntrack --ctstate RELATED -j LOG --log-prefix REL',
      '-A INPUT -m conntrack --ctstate INVALID -j DROP',
    ].join('\n') + '\n'));
    const counts = (): string[] => nf.save({ counters: true }).split('\n').filter((l) => l.includes('-A INPUT')).map((l) => l.split(' ')[0]);
    receive(nf, veth1, udp('10.0.0.1', '10.0.0.2', 4000, 53));
    receive(nf, veth1, udp('10.0.0.1', '10.0.0.2', 4000, 53));
    expect(counts()).toEqual(['[2:58]', '[0:0]', '[0:0]', '[0:0]']);
    // The reply leaves through OUTPUT; from then on the flow is ESTABLISHED.
    const reply = skbOf(udp('10.0.0.2', '10.0.0.1', 53, 4000));
    expect(nf.hook('OUTPUT', reply, {})).toBe('ACCEPT');
    expect(nf.hook('POSTROUTING', reply, { outdev: veth1 })).toBe('ACCEPT');
    receive(nf, veth1, udp('10.0.0.1', '10.0.0.2', 4000, 53));
    expect(counts()).toEqual(['[2:58]', '[1:29]', '[0:0]', '[0:0]']);
    // An ICMP error from 10.0.0.1 quoting b's reply: RELATED.
    const quoted = udp('10.0.0.2', '10.0.0.1', 53, 4000).subarray(14, 14 + 28);
    receive(nf, veth1, eth(MAC).ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).icmp({ type: 3, code: 3 }).payload(quoted).build());
    expect(counts()[2]).toBe('[1:56]');
    expect(receive(nf, veth1, tcp('10.0.0.1', '10.0.0.2', 1, 2, 'SF'))).toBe('DROP');
    expect(receive(nf, veth1, tcp('10.0.0.1', '10.0.0.2', 1, 2, 'R'))).toBe('DROP');
  });

  test('a connection that was never confirmed (its first packet dropped) is forgotten; timeouts run on virtual time', () => {
    const { k, nf, veth1 } = world();
    nf.restore(RULES('-A INPUT -m state --state ESTABLISHED -j ACCEPT\n-A INPUT -p udp --sport 1 -j DROP\n'));
    receive(nf, veth1, udp('10.0.0.1', '10.0.0.2', 1, 9));
    expect(nf.conntrack.connections).toHaveLength(0);
    receive(nf, veth1, udp('10.0.0.1', '10.0.0.2', 2, 9));
    expect(nf.conntrack.connections).toHaveLength(1);
    k.clock.advance(29_000_000_000n);
    expect(nf.conntrack.connections).toHaveLength(1);
    k.clock.advance(1_000_000_000n);
    expect(nf.conntrack.connections).toHaveLength(0); // UDP unreplied: 30 s
  });

  test('TCP: SYN is NEW, the SYN-ACK reply ESTABLISHED, an ACK before any reply INVALID', () => {
    const { nf, veth1 } = world();
    nf.restore(RULES('-A INPUT -m conntrack --ctstate INVALID -j DROP\n-A INPUT -m conntrack --ctstate NEW -p tcp --syn -j ACCEPT\n-A INPUT -j LOG\n'));
    expect(receive(nf, veth1, tcp('10.0.0.1', '10.0.0.2', 5555, 80, 'S'))).toBe('ACCEPT');
    expect(receive(nf, veth1, tcp('10.0.0.1', '10.0.0.2', 5555, 80, 'A'))).toBe('DROP');
    const synack = skbOf(tcp('10.0.0.2', '10.0.0.1', 80, 5555, 'SA'));
    nf.hook('OUTPUT', synack, {});
    nf.hook('POSTROUTING', synack, { outdev: veth1 });
    expect(nf.conntrack.connections[0].tcpState).toBe(2); // SYN_RECV
    expect(receive(nf, veth1, tcp('10.0.0.1', '10.0.0.2', 5555, 80, 'A'))).toBe('ACCEPT');
    expect(nf.conntrack.connections[0].tcpState).toBe(3); // ESTABLISHED
  });
});

describe('limit', () => {
  test('the bucket holds --limit-burst packets and refills at the rate, on virtual jiffies', () => {
    const { k, nf, veth1 } = world();
    nf.restore(RULES('-A INPUT -m limit --limit 2/sec --limit-burst 3 -j ACCEPT\n', 'DROP'));
    const got = (): string => receive(nf, veth1, udp('10.0.0.1', '10.0.0.2', 1, 2));
    expect([got(), got(), got(), got()]).toEqual(['ACCEPT', 'ACCEPT', 'ACCEPT', 'DROP']);
    k.clock.advance(400_000_000n);
    expect(got()).toBe('DROP');
    k.clock.advance(100_000_000n);
    expect([got(), got()]).toEqual(['ACCEPT', 'DROP']);
    k.clock.advance(10_000_000_000n);
    expect([got(), got(), got(), got()]).toEqual(['ACCEPT', 'ACCEPT', 'ACCEPT', 'DROP']);
  });
});

describe('errors name the line and column', () => {
  const err = (text: string): string => {
    try { new Netfilter({ nowNs: () => 0n, jiffies: () => 0n, hz: 250, emit: () => {}, charge: () => {}, ns: 'x' }).restore(text, 'rules.v4'); } catch (e) {
      expect(e).toBeInstanceOf(IptablesError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  test.each([
    ['*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n', "rules.v4:3:25: invalid port/service '99999' specified"],
    ['*filter\n-A INPUT -j NOPE\nCOMMIT\n', "rules.v4:2:13: target 'NOPE' is not modelled by bpfsim (ACCEPT, DROP, RETURN, REJECT, LOG and user chains are)"],
    ['*filter\n-A INPUT -j nochain\nCOMMIT\n', "rules.v4:2:13: no chain or target 'nochain'"],
    ['*filter\n-A INPUT --dport 22 -j ACCEPT\nCOMMIT\n', "rules.v4:2:10: unknown option '--dport'"],
    ['*filter\n:a - [0:0]\n:b - [0:0]\n-A a -j b\n-A b -j a\nCOMMIT\n', 'a jump loop'],
    ['*filter\n:INPUT ACCEPT [0:0]\n', "rules.v4:1:1: table 'filter' has no COMMIT"],
    ['*bogus\nCOMMIT\n', "rules.v4:1:2: unknown table 'bogus'"],
    ['*filter\n-A INPUT -m conntrack --ctstate NEWISH -j ACCEPT\nCOMMIT\n', "rules.v4:2:33: bad ctstate 'NEWISH'"],
    ['*filter\n-A INPUT -p udp -j REJECT --reject-with tcp-reset\nCOMMIT\n', 'TCP RST can only be used with -p tcp'],
    ['*filter\n-A INPUT -m comment --comment "open\nCOMMIT\n', 'rules.v4:2:31: unterminated quoted string'],
    ['*filter\n-A OUTPUT -i eth0 -j DROP\nCOMMIT\n', "rules.v4:2:11: can't use -i with OUTPUT"],
    ['*filter\n-A INPUT -m limit --limit 1/day --limit-burst 5 -j DROP\nCOMMIT\n', 'overflow, try lower'],
  ])('%j', (text, msg) => {
    expect(err(text)).toContain(msg);
  });

  test('mangled rule sets give IptablesError or load; never another exception (2000 seeded mutations)', () => {
    const base = FIX.cases.filter((c) => !c.error).map((c) => c.rules);
    let seed = 13;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const junk = ['!', '-p', '--dport', ':', '/', '"', '[', ']', '0', '65536', '-j', '-g', 'COMMIT', '*filter', '-m', 'limit', ',', '\\', '\n', ' '];
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const text = base[rnd(base.length)];
      const at = rnd(text.length);
      const mangled = rnd(2) ? text.slice(0, at) + junk[rnd(junk.length)] + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + rnd(8));
      try {
        new Netfilter({ nowNs: () => 0n, jiffies: () => 0n, hz: 250, emit: () => {}, charge: () => {}, ns: 'x' }).restore(mangled);
      } catch (e) {
        if (!(e instanceof IptablesError)) throw e;
        expect((e as IptablesError).line).toBeGreaterThan(0);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(500);
  });

  test('random and truncated frames through every match kind: a verdict, never an exception', () => {
    const { nf, veth1 } = world();
    nf.restore(FIX.cases.find((c) => c.name === 'hand1')!.rules);
    let seed = 7;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const real = FIX.cases.flatMap((c) => c.packets).slice(0, 200).map(hex);
    const verdicts = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const f = real[rnd(real.length)].slice();
      const cut = f.subarray(0, 14 + rnd(f.length - 13));
      for (let k = rnd(4); k > 0; k--) cut[14 + rnd(cut.length - 14 || 1)] = rnd(256);
      verdicts.add(receive(nf, veth1, cut));
    }
    expect([...verdicts].sort()).toEqual(expect.arrayContaining(['ACCEPT', 'DROP']));
  });

  test('a rule set with an error changes nothing', () => {
    const { nf } = world();
    nf.restore(RULES('-A INPUT -j DROP\n'));
    expect(() => nf.restore(RULES('-A INPUT -j ACCEPT\n-A INPUT -x\n'))).toThrow(IptablesError);
    expect(nf.save()).toContain('-A INPUT -j DROP');
  });
});
