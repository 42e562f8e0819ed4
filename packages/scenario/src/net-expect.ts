/**
 * Network expectations: what a device captured (count, and packet by packet
 * against one-line summaries), its counters, and a namespace's iptables
 * counters as `iptables-save -c` prints them.
 */
import { netfilterOf, packetSummary, type DevStats } from '@bpfsim/kernel';
import type { ExpectationResult } from './expectations';
import { ScenarioError } from './errors';
import type { NetExpectation } from './net-format';
import { devNamed, netOf, nsNamed } from './net-world';
import { describeMatcher, matchNumber, matchText } from './values';
import type { World } from './world';

function fail(index: number, what: string, expected: string, actual: string): ExpectationResult {
  return { index, what, pass: false, diff: [`- expected: ${expected}`, `+ actual:   ${actual}`] };
}

const STAT_FIELDS: [keyof DevStats, string][] = [
  ['rxPackets', 'rx_packets'], ['rxBytes', 'rx_bytes'], ['rxDropped', 'rx_dropped'],
  ['txPackets', 'tx_packets'], ['txBytes', 'tx_bytes'], ['txDropped', 'tx_dropped'],
];

export function checkNetExpectation(x: NetExpectation, index: number, world: World): ExpectationResult {
  const nw = netOf(world);
  const net = nw.network;
  const at = { file: nw.loaded.file, path: ['expect', index, x.kind] };
  try {
    switch (x.kind) {
      case 'capture': {
        const cx = x.capture;
        const dev = devNamed(net, cx.ns, cx.device, at);
        const pkts = dev.captured.filter((p) => cx.dir === undefined || p.dir === cx.dir);
        const label = `capture ${cx.ns ?? 'init'}/${cx.device}${cx.dir ? ` (${cx.dir})` : ''}`;
        if (cx.count && !matchNumber(cx.count, BigInt(pkts.length))) return fail(index, `${label}: ${describeMatcher(cx.count)} packets`, describeMatcher(cx.count), String(pkts.length));
        if (cx.packets) {
          // The first packets, in order (a flood's capture is checked by `count`).
          for (let i = 0; i < cx.packets.length; i++) {
            const m = cx.packets[i];
            const p = pkts[i];
            const s = p && `${p.dir} ${packetSummary(p.data)}`;
            if (!p || !(matchText(m, s!) || matchText(m, packetSummary(p.data))))
              return fail(index, `${label} (packet ${i + 1})`, describeMatcher(m), s ?? '(no more packets)');
          }
        }
        return { index, what: `${label}: ${cx.packets ? `${cx.packets.length} packets` : 'count'}`, pass: true };
      }
      case 'device': {
        const dx = x.device;
        const dev = devNamed(net, dx.ns, dx.device, at);
        const label = `device ${dx.ns ?? 'init'}/${dx.device}`;
        for (const [field, key] of STAT_FIELDS) {
          const m = dx[key as keyof typeof dx] as Parameters<typeof matchNumber>[0] | undefined;
          if (m && !matchNumber(m, BigInt(dev.stats[field]))) return fail(index, `${label} ${key}`, describeMatcher(m), String(dev.stats[field]));
        }
        return { index, what: `${label} counters`, pass: true };
      }
      case 'iptables': {
        const ix = x.iptables;
        const save = netfilterOf(nsNamed(net, ix.ns, at)).save({ counters: true });
        const what = `iptables-save -c in ${ix.ns ?? 'init'}: ${describeMatcher(ix.save)}`;
        return matchText(ix.save, save) ? { index, what, pass: true } : fail(index, what, describeMatcher(ix.save), JSON.stringify(save));
      }
    }
  } catch (e) {
    if (e instanceof ScenarioError) return fail(index, `${x.kind}`, 'an existing device or namespace', e.message);
    throw e;
  }
}
