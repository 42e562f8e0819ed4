/**
 * `bpfsim learn`: the teaching path under scenarios/learn/NN-topic/. Without
 * an argument it lists the lessons in order; `bpfsim learn N` replays lesson
 * N's scenario and prints its README around the timeline (the README marks
 * the place with a `<!-- timeline -->` line).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from '../command';
import { formatReport, clip } from '@bpfsim/scenario';
import { InputError } from '../program-file';
import { replayFile } from './replay';

/** The lessons shipped with the repository: packages/cli/dist/commands → scenarios/learn. */
export const DEFAULT_LEARN_DIR = path.resolve(__dirname, '../../../../scenarios/learn');

/** Lessons of the path that need parts of the simulator scenarios cannot reach yet. */
const COMING: ReadonlyArray<{ n: number; title: string; needs: string }> = [
  { n: 3, title: 'Namespaces and cgroups', needs: 'processes in scenarios' },
  { n: 5, title: 'Kprobes and kretprobes', needs: 'processes and tracing in scenarios' },
  { n: 6, title: 'Tracepoints', needs: 'processes and tracing in scenarios' },
];

export interface Lesson {
  n: number;
  dir: string;
  title: string;
  /** The README's first paragraph: one line for the list. */
  summary: string;
  readme: string;
  scenario: string;
}

const TIMELINE_MARK = '<!-- timeline -->';

/** Every lesson folder (NN-topic with a README.md and one scenario), in number order. */
export function findLessons(root: string = DEFAULT_LEARN_DIR): Lesson[] {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory())
    throw new InputError(`${clip(root, 200)}: no lessons here (the teaching path ships in the repository's scenarios/learn; pass --dir)`);
  const lessons: Lesson[] = [];
  for (const name of fs.readdirSync(root).sort()) {
    const m = /^(\d+)-/.exec(name);
    const dir = path.join(root, name);
    if (!m || !fs.statSync(dir).isDirectory()) continue;
    const readmePath = path.join(dir, 'README.md');
    if (!fs.existsSync(readmePath)) throw new InputError(`${readmePath}: missing (every lesson has a README.md)`);
    const readme = fs.readFileSync(readmePath, 'utf8');
    const yamls = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    if (yamls.length !== 1) throw new InputError(`${dir}: a lesson has exactly one scenario (.yaml), found ${yamls.length}`);
    const lines = readme.split('\n');
    const heading = /^#\s+(?:\d+\.\s*)?(.+)$/.exec(lines[0] ?? '');
    if (!heading) throw new InputError(`${readmePath}:1: expected a heading "# N. Title"`);
    const summary = lines.slice(1).find((l) => l.trim() !== '')?.trim() ?? '';
    lessons.push({ n: Number(m[1]), dir, title: heading[1].trim(), summary, readme, scenario: path.join(dir, yamls[0]) });
  }
  return lessons.sort((a, b) => a.n - b.n);
}

/** The list `bpfsim learn` prints: shipped lessons and the ones still to come, in path order. */
export function lessonList(lessons: Lesson[]): string[] {
  const rows: { n: number; line: string }[] = lessons.map((l) => ({ n: l.n, line: `${String(l.n).padStart(2)}. ${l.title} -- ${l.summary}` }));
  for (const c of COMING) if (!lessons.some((l) => l.n === c.n)) rows.push({ n: c.n, line: `${String(c.n).padStart(2)}. ${c.title} -- coming (needs ${c.needs})` });
  rows.sort((a, b) => a.n - b.n);
  return [...rows.map((r) => r.line), '', 'bpfsim learn N replays lesson N with its explanation; each lesson folder is under scenarios/learn/.'];
}

export const learnCommand: Command = {
  command: 'learn [lesson]',
  describe: 'The teaching path: list the lessons, or replay lesson N with its explanation',
  builder: (y) =>
    y.positional('lesson', { type: 'string', describe: 'lesson number (omit to list them)' })
      .option('dir', { type: 'string', describe: 'the lessons directory (default: the repository\'s scenarios/learn)' }),
  async run(args, io) {
    const lessons = findLessons(args.dir ? String(args.dir) : DEFAULT_LEARN_DIR);
    if (args.lesson === undefined) {
      io.out(lessonList(lessons).join('\n'));
      return 0;
    }
    const want = String(args.lesson);
    const lesson = /^\d+$/.test(want) ? lessons.find((l) => l.n === Number(want)) : undefined;
    if (!lesson) {
      const coming = COMING.find((c) => String(c.n) === want);
      throw new InputError(coming
        ? `lesson ${coming.n} (${coming.title}) is not written yet: it needs ${coming.needs}`
        : `no lesson ${clip(want, 40)}; the lessons are ${lessons.map((l) => l.n).join(', ')}`);
    }
    const rel = path.relative(process.cwd(), lesson.scenario);
    const { result } = replayFile(rel && !rel.startsWith('..') ? rel : lesson.scenario, undefined, io);
    const [before, after] = lesson.readme.includes(TIMELINE_MARK)
      ? lesson.readme.split(TIMELINE_MARK, 2)
      : [lesson.readme, ''];
    io.out(before.trimEnd());
    io.out('');
    io.out('## The timeline');
    io.out('```');
    io.out(formatReport(result).join('\n'));
    io.out('```');
    if (after.trim()) io.out('\n' + after.trim());
    return result.passed ? 0 : 1;
  },
};
