#!/usr/bin/env node
'use strict';
/**
 * npm run fuzz -- --target NAME [--count N] [--seed S] [--start I] [--hang-ms MS] [--src]
 *
 * One entry point for every fuzz campaign. In-process targets (tools/fuzz/targets.ts):
 * decoder, asm-kernel, asm-llvm, asm-ubpf, verifier, engines, scenario-yaml, recording,
 * strace, pcap, packet. `kernel` (interpreter vs the running kernel) and `loader` (mutated
 * objects) run the older campaigns, whose scripts (fuzz:kernel, fuzz:loader) stay as aliases;
 * their other options pass through. Case i of seed S is seeded "S:i": `--seed S --start i
 * --count 1` replays it. Each finding prints as a ready-to-paste jest test.
 * Exit status: 0 clean, 1 findings or hangs, 2 cannot run.
 */
const path = require('path');
const { spawnSync } = require('child_process');

const args = process.argv.slice(2);
const ti = args.findIndex((a) => a === '--target' || a.startsWith('--target='));
const targetName = ti < 0 ? undefined : args[ti].includes('=') ? args[ti].split('=')[1] : args[ti + 1];

if (targetName === 'kernel' || targetName === 'loader') {
  const rest = args.filter((_, i) => i !== ti && !(i === ti + 1 && !args[ti].includes('=')));
  const r = spawnSync(process.execPath, [path.join(__dirname, `${targetName}.js`), ...rest], { stdio: 'inherit' });
  process.exit(r.status ?? 2);
}

const yargs = require('yargs/yargs');
const argv = yargs(args)
  .option('target', { type: 'string', demandOption: true, describe: 'decoder | asm-kernel | asm-llvm | asm-ubpf | verifier | engines | scenario-yaml | recording | strace | pcap | packet | cli-args | kernel | loader' })
  .option('count', { type: 'number', default: 100000, describe: 'inputs to try' })
  .option('seed', { type: 'string', default: 'fuzz', describe: 'campaign seed (case i is seeded "<seed>:<i>")' })
  .option('start', { type: 'number', default: 0, describe: 'first case index' })
  .option('hang-ms', { type: 'number', describe: "a case slower than this is a hang (default: the target's, 2000 ms for most)" })
  .option('keep', { type: 'number', default: 10, describe: 'findings to print' })
  .option('src', { type: 'boolean', default: false, describe: 'use packages/*/src instead of the built dists' })
  .check((a) => {
    if (!Number.isSafeInteger(a.count) || a.count < 1) throw new Error('--count must be a whole number >= 1');
    if (!Number.isSafeInteger(a.start) || a.start < 0) throw new Error('--start must be a whole number >= 0');
    return true;
  })
  .strict()
  .help()
  .parseSync();

if (argv.src) process.env.BPFSIM_FUZZ_SRC = '1';
const { loadFuzzer } = require('./register-ts');

async function main() {
  const targets = loadFuzzer('fuzz', 'targets.ts');
  const runner = targets && loadFuzzer('fuzz', 'campaign-run.ts');
  if (!targets || !runner) return 2;
  // cli-args runs the CLI's (asynchronous) main: loaded only when asked for
  const isCli = argv.target === 'cli-args';
  const cli = isCli ? loadFuzzer('fuzz', 'cli-args.ts') : null;
  if (isCli && !cli) return 2;
  const t = isCli ? cli.cliArgsTarget : targets.TARGETS.find((x) => x.name === argv.target);
  if (!t) {
    process.stderr.write(`fuzz: no target "${String(argv.target).slice(0, 40)}"; targets: ${targets.TARGETS.map((x) => x.name).join(', ')}, cli-args, kernel, loader\n`);
    return 2;
  }
  const started = process.hrtime.bigint();
  const step = Math.max(1, Math.floor(argv.count / 20));
  const opts = {
    seed: argv.seed, start: argv.start, count: argv.count, hangMs: argv['hang-ms'], keep: argv.keep,
    progress: (n) => { if (n % step === 0) process.stderr.write(`  ${n}/${argv.count}\n`); },
  };
  const r = isCli ? await runner.runCampaignAsync(t, opts) : runner.runCampaign(t, opts);
  if (isCli) cli.removeSandbox();
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const typed = Object.entries(r.typed).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const nTyped = typed.reduce((s, [, n]) => s + n, 0);
  process.stdout.write(
    `fuzz ${t.name} (seed ${argv.seed}, cases ${argv.start}..${argv.start + argv.count - 1}): ${r.total} inputs in ${secs.toFixed(1)} s — ` +
      `${r.ok} returned${Object.keys(r.tags).length ? ` (${Object.entries(r.tags).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}, ${nTyped} typed errors (${typed.map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}), ` +
      `${r.total - r.ok - nTyped} findings; slowest ${r.slowest ? `${r.slowest.ms.toFixed(1)} ms (${r.slowest.seed})` : '-'}\n`,
  );
  for (const f of r.findings) process.stdout.write(`\n${f.kind.toUpperCase()} ${f.seed}: ${f.problem.split('\n').slice(0, 4).join('\n  ')}\n${f.test}\n`);
  return r.findings.length ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`fuzz: ${e && e.stack ? e.stack : e}\n`); process.exitCode = 2; });
