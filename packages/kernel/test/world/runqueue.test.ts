/**
 * The run queues' rules, on generated sequences of run/sleep/wake/exit: a task runs on at most one
 * CPU, each CPU runs exactly one task (its idle task when nothing else), every change of a CPU's task
 * is one reported switch whose prev is what ran there, preempted tasks come back first in first out,
 * a woken task's wakeup precedes the switch that runs it, and the same sequence gives the same switches.
 */
import { RunQueues, TASK_DEAD, TASK_INTERRUPTIBLE, TASK_RUNNING, type SchedEvents } from '../../src/kernel/runqueue';
import type { TaskStruct } from '../../src/kernel/task_struct';

const task = (name: string) => ({ name }) as unknown as TaskStruct;
const nameOf = (t: TaskStruct) => (t as unknown as { name: string }).name;

function rig(cpus: number) {
  const idle = Array.from({ length: cpus }, (_, i) => task(`swapper/${i}`));
  const rq = new RunQueues(idle);
  const log: string[] = [];
  const events: SchedEvents = {
    switched: (cpu, prev, next, state, preempt) => log.push(`switch ${cpu} ${nameOf(prev)}->${nameOf(next)} ${state}${preempt ? ' preempt' : ''}`),
    wakeup: (t, cpu) => log.push(`wakeup ${nameOf(t)} ${cpu}`),
    wakeupNew: (t, cpu) => log.push(`new ${nameOf(t)} ${cpu}`),
  };
  rq.events = events;
  return { rq, idle, log };
}

/** A seeded sequence (LCG) of operations over n tasks. */
function* ops(seed: number, n: number, count: number): Generator<[string, number]> {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < count; i++) yield [['run', 'run', 'sleep', 'wake', 'dead', 'new'][next() % 6], next() % n];
}

describe('run queues', () => {
  test('two tasks on one CPU: run, preempt, sleep, wake', () => {
    const { rq, log } = rig(1);
    const a = task('a'), b = task('b');
    expect(rq.run(a)).toBe(0);
    expect(rq.run(a)).toBe(0); // already running: nothing happens
    rq.run(b); // preempts a
    rq.sleep(b); // a was queued: it runs again
    rq.wake(b); // no idle CPU: b preempts a on its previous CPU
    rq.dead(b);
    rq.dead(a);
    expect(log).toEqual([
      'switch 0 swapper/0->a 0',
      'switch 0 a->b 0 preempt',
      `switch 0 b->a ${TASK_INTERRUPTIBLE}`,
      'wakeup b 0',
      'switch 0 a->b 0 preempt',
      `switch 0 b->a ${TASK_DEAD}`,
      `switch 0 a->swapper/0 ${TASK_DEAD}`,
    ]);
    expect(rq.switches[0]).toBe(6);
  });

  test('idle CPUs are used first; a task returns to its previous CPU when idle', () => {
    const { rq, log } = rig(2);
    const a = task('a'), b = task('b');
    expect(rq.run(a)).toBe(0);
    expect(rq.run(b)).toBe(1);
    rq.sleep(a);
    rq.sleep(b);
    expect(rq.wake(b)).toBe(1);
    expect(rq.newTask(task('c'), b)).toBe(0); // lowest idle CPU
    expect(log.filter((l) => l.startsWith('switch')).length).toBe(5);
  });

  test('generated sequences keep every invariant and are deterministic', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const cpus = 1 + (seed % 4);
      const runs = [0, 1].map(() => {
        const { rq, idle, log } = rig(cpus);
        const tasks = Array.from({ length: 6 }, (_, i) => task(`t${i}`));
        const dead = new Set<TaskStruct>();
        const sleeping = new Set<TaskStruct>();
        const shadow = [...idle];
        rq.events = {
          switched: (cpu, prev, next, state, preempt) => {
            expect(shadow[cpu]).toBe(prev);
            shadow[cpu] = next;
            expect(preempt ? state === TASK_RUNNING : true).toBe(true);
            log.push(`${cpu}:${nameOf(prev)}>${nameOf(next)}:${state}`);
          },
          wakeup: (t, cpu) => log.push(`w:${nameOf(t)}:${cpu}`),
          wakeupNew: (t, cpu) => log.push(`n:${nameOf(t)}:${cpu}`),
        };
        for (const [op, i] of ops(seed, tasks.length, 200)) {
          const t = tasks[i];
          if (dead.has(t)) continue;
          if (op === 'run' && !sleeping.has(t)) rq.run(t);
          else if (op === 'sleep' && rq.cpuOf(t) !== undefined) { rq.sleep(t); sleeping.add(t); }
          else if (op === 'wake' && sleeping.has(t)) { sleeping.delete(t); rq.wake(t); }
          else if (op === 'dead' && !sleeping.has(t)) { rq.dead(t); dead.add(t); }
          else if (op === 'new') rq.newTask(task(`n${log.length}`), t);
          // invariants: each CPU one task, no task on two CPUs, sleepers and the dead run nowhere
          const running = Array.from({ length: cpus }, (_, c) => rq.current(c));
          expect(running).toEqual(shadow);
          expect(new Set(running).size).toBe(cpus);
          for (const s of [...sleeping, ...dead]) expect(rq.cpuOf(s)).toBeUndefined();
        }
        return log.join('\n');
      });
      expect(runs[0]).toBe(runs[1]);
    }
  });
});
