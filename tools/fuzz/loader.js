#!/usr/bin/env node
'use strict';
/**
 * npm run fuzz:loader -- [--count 100000] [--seed S] [--src]
 *
 * Feeds mutated corpus objects (tools/fuzz/loader-mutate.ts) to the loader.
 * Every case must load or fail with a LoaderError naming the file; a crash
 * (any other exception) or a hang (a case slower than --hang-ms) fails the
 * campaign and prints the seed to replay. Exit status: 0 clean, 1 crash/hang.
 * Uses the built @bpfsim/* packages (`npm run build` first), or the sources with --src.
 */
const yargs = require('yargs/yargs');

const argv = yargs(process.argv.slice(2))
  .option('count', { type: 'number', default: 100000, describe: 'mutated objects to try' })
  .option('seed', { type: 'string', default: 'loader', describe: 'campaign seed (case i is seeded "<seed>:<i>")' })
  .option('hang-ms', { type: 'number', default: 2000, describe: 'a case slower than this counts as a hang' })
  .option('src', { type: 'boolean', default: false, describe: 'use packages/*/src instead of the built dists' })
  .strict()
  .help()
  .parseSync();

if (argv.src) process.env.BPFSIM_FUZZ_SRC = '1';
const { loadFuzzer } = require('./register-ts');

function main() {
  const campaign = loadFuzzer('fuzz:loader', 'loader-campaign.ts');
  if (!campaign) return 2;
  const started = process.hrtime.bigint();
  const step = Math.max(1, Math.floor(argv.count / 20));
  const r = campaign.runLoaderCampaign(argv.count, argv.seed, (i) => {
    if ((i + 1) % step === 0) process.stderr.write(`  ${i + 1}/${argv.count}\n`);
  });
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const hangs = r.slowest && r.slowest.ms > argv['hang-ms'] ? [r.slowest] : [];
  const codes = Object.entries(r.errors).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
  process.stdout.write(
    `fuzz:loader: ${r.total} objects in ${secs.toFixed(1)} s — ${r.ok} loaded, ${r.total - r.ok - r.crashes.length} LoaderErrors (${codes}), ` +
      `${r.crashes.length} crashes; slowest case ${r.slowest ? r.slowest.ms.toFixed(1) : 0} ms (${r.slowest ? r.slowest.seed : '-'})\n`,
  );
  for (const c of r.crashes.slice(0, 10)) {
    process.stdout.write(`\nCRASH seed ${c.seed} (base ${c.base}, mutations ${c.applied.join(',')}):\n${c.outcome.error}\n`);
  }
  for (const h of hangs) process.stdout.write(`\nHANG seed ${h.seed}: ${h.ms.toFixed(0)} ms (base ${h.base})\n`);
  return r.crashes.length || hangs.length ? 1 : 0;
}

process.exitCode = main();
