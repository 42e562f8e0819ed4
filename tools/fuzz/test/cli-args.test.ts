/**
 * A seeded sample of the cli-args target (`npm run fuzz -- --target cli-args` runs the campaign):
 * bpfsim's main on random argv must exit 0, 1 or 2, say a failure in one stderr line, never throw
 * and never write outside the case's directory — and the harness must notice when it does.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCampaignAsync } from '../campaign-run';
import { cliArgsTarget, cliProblem, removeSandbox, runCli } from '../cli-args';
import { Rng } from '../rng';

afterAll(removeSandbox);

describe('cli-args fuzz target', () => {
  test('60 seeded argv: no findings, and every exit class reached', async () => {
    const r = await runCampaignAsync(cliArgsTarget, { seed: 'jest', count: 60, hangMs: 20000 });
    expect(r.findings.map((f) => `${f.seed} ${f.kind}: ${f.problem.split('\n').slice(0, 3).join(' | ')}`)).toEqual([]);
    expect(r.ok).toBe(60);
    expect(Object.keys(r.tags).sort()).toEqual(['exit 0', 'exit 1', 'exit 2']);
  }, 120_000);

  test('a case is reproducible from its seed', () => {
    expect(cliArgsTarget.literal(cliArgsTarget.input(new Rng('det:3')))).toBe(cliArgsTarget.literal(cliArgsTarget.input(new Rng('det:3'))));
  });

  test('runs see their writes, inside the sandbox, and leave fs and the working directory as they were', async () => {
    const write = fs.writeFileSync;
    const cwd = process.cwd();
    const run = await runCli(['asm', 'prog.s', '-o', 'fresh.o']);
    expect([run.code, cliProblem(run)]).toEqual([0, undefined]);
    expect(run.writes.some((w) => path.basename(w).includes('fresh.o'))).toBe(true);
    expect(fs.writeFileSync).toBe(write);
    expect(process.cwd()).toBe(cwd);
    const bad = await runCli(['run', 'missing']);
    expect(bad.code).toBe(2);
    expect(bad.err).toHaveLength(1);
  });

  test('the property: exit codes, stderr lines, stack traces, writes outside, exceptions', () => {
    const ok = { code: 2 as const, out: [], err: ['bpfsim: no'], writes: [] };
    expect(cliProblem(ok)).toBeUndefined();
    expect(cliProblem({ ...ok, code: 3 })).toMatch(/exit code 3/);
    expect(cliProblem({ ...ok, err: ['bpfsim: no', 'more'] })).toMatch(/2 lines/);
    expect(cliProblem({ ...ok, err: [] })).toMatch(/0 lines/);
    // verify reports each failing file on its own line: one per file operand
    expect(cliProblem({ ...ok, err: ['bpfsim: a: no', 'bpfsim: b: no'] }, ['verify', 'a', 'b', '--json'])).toBeUndefined();
    expect(cliProblem({ ...ok, err: ['x', 'y', 'z'] }, ['verify', 'a', '-1'])).toMatch(/one to 2/);
    expect(cliProblem({ ...ok, code: 1, err: ['x', '    at f (/a/b.js:1:2)'] })).toMatch(/stack trace/);
    expect(cliProblem({ ...ok, writes: ['/etc/passwd'] })).toMatch(/outside/);
    // a temporary directory the run made itself may be written (--check-determinism's)
    expect(cliProblem({ ...ok, writes: ['/tmp/bpfsim-det-x/a'], tempDirs: ['/tmp/bpfsim-det-x'] })).toBeUndefined();
    expect(cliProblem({ ...ok, writes: ['/tmp/bpfsim-det-xy'], tempDirs: ['/tmp/bpfsim-det-x'] })).toMatch(/outside/);
    expect(cliProblem({ ...ok, code: 'exception', exception: 'TypeError: x' })).toMatch(/exception escaped/);
  });
});
