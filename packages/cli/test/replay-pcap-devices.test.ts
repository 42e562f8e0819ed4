/** `bpfsim replay --pcap DIR` writes one capture per device beside the per-program files; tcpdump reads them. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { decodePcap } from '@bpfsim/scenario';
import { cli } from './helpers';

const scenario = path.resolve(__dirname, '../../../scenarios/tc-rewrite/tc-rewrite.yaml');

test('replay --pcap writes dev-<ns>-<device>.pcap for every device that saw packets', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-devpcap-'));
  try {
    const r = await cli('replay', scenario, '--pcap', dir);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['dev-a-veth0.pcap', 'dev-b-veth1.pcap']);
    const b = decodePcap(new Uint8Array(fs.readFileSync(path.join(dir, 'dev-b-veth1.pcap'))));
    expect(b.linktype).toBe(1);
    // The rewritten datagram (port 80) arrives first; virtual time stamps, in order.
    expect(Buffer.from(b.packets[0].data.subarray(36, 38)).readUInt16BE(0)).toBe(80);
    expect(b.packets.map((p) => p.t)).toEqual([...b.packets.map((p) => p.t)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    const td = spawnSync('tcpdump', ['-nn', '-r', path.join(dir, 'dev-b-veth1.pcap')], { encoding: 'utf8' });
    if (td.error) {
      console.warn('tcpdump is not installed: the pcap files were checked by the reader only');
      return;
    }
    const lines = td.stdout.trim().split('\n');
    expect(lines).toHaveLength(b.packets.length);
    expect(lines[0]).toMatch(/IP 10\.0\.0\.1\.33000 > 10\.0\.0\.2\.80: UDP, length 5/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
