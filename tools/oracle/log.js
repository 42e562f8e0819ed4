'use strict';
/**
 * Reading the kernel's verifier log: the final error line and the closing
 * statistics. Pure string functions (no addon needed), shared by the oracle
 * tests and the verifier's differential tests.
 *
 * A log ends with a trailer the kernel prints after verification:
 *   [verification time N usec]      (log_level & 4)
 *   [stack depth N[+M...]]          (log_level & 4)
 *   processed N insns (limit 1000000) max_states_per_insn ... mark_read N
 * The error that rejected the program is the last line before the trailer.
 */

const PROCESSED = /^processed (\d+) insns \(limit (\d+)\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+) mark_read (\d+)/;
const TRAILER = [/^verification time \d+ usec$/, /^stack depth [\d+]+$/, PROCESSED];

function lines(log) {
  return String(log ?? '').split('\n').map((l) => l.replace(/\s+$/, '')).filter((l) => l !== '');
}

/**
 * The kernel's final error line of a rejected load: the last non-empty line
 * before the statistics trailer, or the last non-empty line when there is no
 * trailer; '' for an empty log. (For an accepted program at log_level 1 the
 * log is only the trailer, so this returns ''.)
 */
function lastErrorLine(log) {
  const ls = lines(log);
  let end = ls.length;
  while (end > 0 && TRAILER.some((re) => re.test(ls[end - 1]))) end--;
  return end > 0 ? ls[end - 1] : '';
}

/** The numbers of the "processed N insns ..." line, or null when the log has none. */
function verifierStats(log) {
  for (const l of lines(log).reverse()) {
    const m = PROCESSED.exec(l);
    if (m) {
      const [processed, limit, maxStatesPerInsn, totalStates, peakStates, markRead] = m.slice(1).map(Number);
      return { processed, limit, maxStatesPerInsn, totalStates, peakStates, markRead };
    }
  }
  return null;
}

module.exports = { lastErrorLine, verifierStats };
