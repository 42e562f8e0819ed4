import * as fs from 'fs';
import * as path from 'path';
import { cli } from './helpers';
import { findLessons, lessonList } from '../src/commands/learn';

const learnDir = path.resolve(__dirname, '../../../scenarios/learn');

describe('bpfsim learn', () => {
  const lessons = findLessons(learnDir);

  test('the lessons are found in order, each with a title, a summary and one scenario', () => {
    expect(lessons.map((l) => l.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const l of lessons) {
      expect(l.title).not.toBe('');
      expect(l.summary.length).toBeGreaterThan(20);
      expect(fs.existsSync(l.scenario)).toBe(true);
      expect(l.readme).toContain('<!-- timeline -->');
      expect(l.readme).toMatch(/## What to try/);
      expect(l.readme).toMatch(/## What to change, and what will happen/);
    }
  });

  test('`bpfsim learn` lists every lesson on one line each, the missing ones as coming', async () => {
    const r = await cli('learn');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.slice(0, 8).map((l) => l.slice(0, 3))).toEqual([' 1.', ' 2.', ' 3.', ' 4.', ' 5.', ' 6.', ' 7.', ' 8.']);
    expect(lines[0]).toMatch(/^ 1\. What eBPF is -- One small program/);
    expect(lines[2]).toMatch(/^ 3\. Namespaces \(and cgroups\) -- What a container is/);
    expect(r.out).toBe(lessonList(lessons).join('\n') + '\n');
  });

  test.each([1, 2, 3, 4, 6, 7, 8])('`bpfsim learn %i` replays the lesson, passing, inside its explanation', async (n) => {
    const r = await cli('learn', String(n));
    expect(r.code).toBe(0);
    const lesson = lessons.find((l) => l.n === n)!;
    const [before, after] = lesson.readme.split('<!-- timeline -->');
    const at = (s: string) => r.out.indexOf(s.trim().split('\n')[0]);
    const timeline = r.out.indexOf('## The timeline');
    expect(at(before)).toBe(0);
    expect(timeline).toBeGreaterThan(0);
    expect(at(after)).toBeGreaterThan(timeline);
    expect(r.out).toMatch(/^passed: \d+ expectations?$/m);
    expect(r.out).not.toMatch(/^FAIL/m);
  });

  test('every lesson matches its golden trace (bpfsim test scenarios/learn)', async () => {
    const r = await cli('test', learnDir);
    expect(r.out).toMatch(/(^|\n)8 passed, 0 failed/);
    expect(r.code).toBe(0);
    // The closing summary says what was compared, counted from the replays, before the count line.
    const lines = r.out.trim().split('\n');
    expect(lines.pop()).toBe('8 passed, 0 failed');
    expect(r.out).toMatch(/^What was compared, over 8 scenarios:$/m);
    expect(r.out).toMatch(/^  programs: 23 loaded through the verifier: 16 accepted, 7 refused/m);
    expect(r.out).toMatch(/^  expectations: \d+ checked .*\d+ verdict/m);
    expect(r.out).toMatch(/^  traces: .*compared byte for byte/m);
  });

  test('the timeline names return codes, packets and decoded records', async () => {
    const xdp = await cli('learn', '7');
    expect(xdp.out).toMatch(/run pong on cpu \d: retval XDP_TX \(\d+ insns\)/);
    expect(xdp.out).toMatch(/run pong on cpu \d: retval XDP_DROP/);
    expect(xdp.out).toMatch(/packet: .*10\.0\.0\.1.*10\.0\.0\.2/);
    expect(xdp.out).toMatch(/packet out: .*10\.0\.0\.2.*10\.0\.0\.1/);
    const obs = await cli('learn', '2');
    expect(obs.out).toMatch(/ringbuf events: \{len: 46, proto: 2048, pad: 0\}/);
    // A socket filter's return value is a length: no names for it.
    const sf = await cli('learn', '4');
    expect(sf.out).toMatch(/run filter on cpu \d: retval 28 \(/);
  });

  test('a lesson that does not exist is one line naming the lessons there are', async () => {
    const r = await cli('learn', '42');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/no lesson 42; the lessons are 1, 2, 3, 4, 5, 6, 7, 8/);
  });
});
