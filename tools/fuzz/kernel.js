#!/usr/bin/env node
'use strict';
/**
 * npm run fuzz:kernel -- --count 20000 [--seed S] [--start I] [--keep N] [--src]
 *
 * Differential campaign of the bpfsim interpreter against the running kernel:
 * random XDP programs (tools/fuzz/generator.ts) are loaded and test-run by the
 * kernel (tools/oracle) and run on the VM. Prints the agreement count, every
 * kernel rejection (a generator bug) and every disagreement as a jest test
 * case. Exit status: 0 all agree, 1 any disagreement or rejection, 2 cannot run.
 * Uses the built @bpfsim/* packages (`npm run build` first), or the sources
 * with --src.
 */
const yargs = require('yargs/yargs');

const argv = yargs(process.argv.slice(2))
  .option('count', { type: 'number', default: 20000, describe: 'programs to generate' })
  .option('seed', { type: 'string', default: '1', describe: 'campaign seed (case i is seeded "<seed>:<i>")' })
  .option('start', { type: 'number', default: 0, describe: 'index of the first case (--start 7914 --count 1 replays case "<seed>:7914")' })
  .option('keep', { type: 'number', default: 10, describe: 'disagreements/rejections to print in full' })
  .option('src', { type: 'boolean', default: false, describe: 'use packages/*/src instead of the built dists' })
  .option('max-units', { type: 'number', describe: 'body units per program (default 48)' })
  .strict()
  .help()
  .parseSync();

if (argv.src) process.env.BPFSIM_FUZZ_SRC = '1';
const { loadFuzzer } = require('./register-ts');
const oracle = require('../oracle');

function main() {
  const a = oracle.available();
  if (!a.ok) {
    process.stderr.write(`fuzz:kernel: the kernel oracle is unavailable: ${a.reason}\n`);
    return 2;
  }
  const campaign = loadFuzzer('fuzz:kernel', 'campaign.ts');
  if (!campaign) return 2;
  const started = process.hrtime.bigint();
  const step = Math.max(1, Math.floor(argv.count / 20));
  const generator = argv['max-units'] ? { maxUnits: argv['max-units'], minUnits: Math.min(12, argv['max-units']) } : undefined;
  const r = campaign.runCampaign({
    count: argv.count,
    seed: argv.seed,
    start: argv.start,
    keep: argv.keep,
    generator,
    onCase: (i, res) => {
      if ((i + 1) % step === 0 && process.stderr.isTTY) {
        process.stderr.write(`\r${i + 1}/${argv.count}: ${res.agreed} agree, ${campaign.disagreementCount(res)} disagree, ${res.rejected.length} rejected`);
      }
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const out = [];
  for (const d of r.disagreements) out.push(d.jest, '');
  for (const rej of r.rejected.slice(0, argv.keep)) {
    out.push(`kernel rejected ${rej.seed} (${rej.errnoName}): ${rej.lastErrorLine}`);
    if (rej.log) out.push(rej.log.split('\n').slice(-12).map((l) => `  | ${l}`).join('\n'));
  }
  const dis = campaign.disagreementCount(r);
  out.push(
    `seed ${argv.seed}: ${r.total} programs, ${r.agreed} agree, ${dis} disagree, ` +
    `${r.rejected.length} rejected by the kernel (${((100 * r.rejected.length) / Math.max(1, r.total)).toFixed(2)}%); ` +
    `${r.vmInsns} VM instructions; ${secs.toFixed(1)} s`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return dis || r.rejected.length ? 1 : 0;
}

process.exitCode = main();
