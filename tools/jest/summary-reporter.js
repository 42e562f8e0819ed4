'use strict';
// Prints one plain closing line after jest's own summary (on stderr, as jest writes its own), e.g.
// "tests: 812 passed, 0 failed, 14 skipped", so that CI logs state the count
// in a form any reader (human or script) can take in at a glance.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stderr.write(`tests: ${results.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '') + '\n');
  }
}
module.exports = SummaryReporter;
