'use strict';
/**
 * The run path around the VM: runs per CPU-second of one small program
 * through the kernel's ways in (PROG_TEST_RUN, a device receive, a fired
 * syscall), and syscalls per CPU-second with nothing attached and with an
 * execsnoop-like pair on raw_syscalls sys_enter/sys_exit. Uses the built
 * dist (npm run build).
 *
 *   node tools/bench/run-path.js [--quick] [--json FILE] [--engine interp|compiled] [--only CASE-SUBSTRING]
 */
const fs = require('fs');
const path = require('path');
const { assemble } = require('@bpfsim/isa');
const { Kernel, Network } = require('@bpfsim/kernel');
const { eth } = require('@bpfsim/packet');

const argv = process.argv.slice(2);
const TARGET_NS = argv.includes('--quick') ? 200e6 : 1000e6;
const ENGINES = argv.includes('--engine') ? [argv[argv.indexOf('--engine') + 1]] : ['interp', 'compiled'];
const ROOT = path.resolve(__dirname, '../..');
const cpuNs = () => { const c = process.cpuUsage(); return (c.user + c.system) * 1e3; };

/** Calls of `step(i)` per CPU-second (a warm-up first; batches of 1000). */
function rate(step) {
  for (let i = 0; i < 2000; i++) step(i);
  let n = 0;
  const t = cpuNs();
  while (cpuNs() - t < TARGET_NS) for (let j = 0; j < 1000; j++) step(n++);
  return n / ((cpuNs() - t) / 1e9);
}

function check(r, what) {
  if (r.fd < 0) throw new Error(`${what}: ${r.error}\n${r.log}`);
  return r.fd;
}

const FIREWALL = fs.readFileSync(path.join(ROOT, 'scenarios/xdp-firewall/xdp_firewall.bpf.o'));
const packet = eth({ src: '02:00:00:00:00:0b', dst: '02:00:00:00:00:0a' })
  .ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }).udp({ sport: 1234, dport: 53 }).payload('hello').build();

function xdpTestRun(engine) {
  const k = new Kernel({ seed: 'bench', vmEngine: engine });
  const p = k.loadObject(FIREWALL, { file: 'xdp_firewall.bpf.o' }).program('xdp_firewall');
  return rate(() => p.testRun({ dataIn: packet }));
}

function xdpReceive(engine) {
  const k = new Kernel({ seed: 'bench', vmEngine: engine });
  const net = new Network(k);
  const [a] = net.addVeth(net.createNs('a'), 'veth0', net.createNs('b'), 'veth1', { mac: '02:00:00:00:00:0a', peerMac: '02:00:00:00:00:0b' });
  a.attachXdp(k.loadObject(FIREWALL, { file: 'xdp_firewall.bpf.o' }).program('xdp_firewall'));
  return rate(() => a.receive(packet));
}

/**
 * execsnoop's shape on every syscall: sys_enter stores (pid -> ktime) in a hash,
 * sys_exit looks it up, reads the comm and deletes it.
 */
function syscallKernel(engine, attach) {
  const k = new Kernel({ seed: 'bench', cpus: 2, vmEngine: engine });
  const task = k.world.init;
  if (!attach) return { k, task };
  const map = k.bpf.mapCreate({ type: 1, keySize: 4, valueSize: 8, maxEntries: 1024, name: 'start' });
  const enter = assemble(`
    call 14
    *(u32 *)(r10 - 4) = r0
    call 5
    *(u64 *)(r10 - 16) = r0
    r1 = map[id:${map}]
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    call 2
    r0 = 0
    exit`, { dialect: 'kernel' });
  const exit = assemble(`
    call 14
    *(u32 *)(r10 - 4) = r0
    r1 = map[id:${map}]
    r2 = r10
    r2 += -4
    call 1
    if r0 == 0 goto +9
    r1 = r10
    r1 += -32
    r2 = 16
    call 16
    r1 = map[id:${map}]
    r2 = r10
    r2 += -4
    call 3
    r0 = 0
    exit`, { dialect: 'kernel' });
  for (const [name, insns, hook] of [['snoop_enter', enter, 'raw_tracepoint/sys_enter'], ['snoop_exit', exit, 'raw_tracepoint/sys_exit']]) {
    const fd = check(k.bpf.progLoad({ progType: 17, insns, license: 'GPL', name }), name);
    check({ fd: k.bpf.linkCreate({ progFd: fd, hook }) }, `attach ${name}`);
  }
  return { k, task };
}

function syscalls(engine, attach) {
  const { k, task } = syscallKernel(engine, attach);
  return rate(() => k.syscall(task, 'getpid'));
}

const CASES = [
  ['xdp test-run', 'runs_per_cpu_s', xdpTestRun],
  ['xdp device receive', 'packets_per_cpu_s', xdpReceive],
  ['syscalls, nothing attached', 'syscalls_per_cpu_s', (e) => syscalls(e, false)],
  ['syscalls, execsnoop-like on sys_enter+sys_exit', 'syscalls_per_cpu_s', (e) => syscalls(e, true)],
];

const rows = [];
const json = [];
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
for (const [name, metric, fn] of CASES) {
  if (only && !name.includes(only)) continue;
  const row = { case: name, metric };
  for (const engine of ENGINES) {
    const v = fn(engine);
    row[engine] = Math.round(v);
    json.push({ bench: 'run-path', name, engine, metric, value: v });
  }
  rows.push(row);
}
console.table(rows);
if (argv.includes('--json')) fs.writeFileSync(argv[argv.indexOf('--json') + 1], `${JSON.stringify(json, null, 1)}\n`);
