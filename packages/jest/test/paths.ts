/** Committed clang-built objects the tests use. */
import * as path from 'path';

const root = path.join(__dirname, '../../..');
export const scenarioFile = (...p: string[]): string => path.join(root, 'scenarios', ...p);
export const corpusFile = (name: string): string => path.join(root, 'corpus', name);

/** The message of the assertion error `fn` throws (fails the test when it throws none). */
export function failureOf(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    // strip colours so tests read plain text
    return String((e as Error).message).replace(/\u001b\[[0-9;]*m/g, '');
  }
  throw new Error('expected the assertion to fail');
}
