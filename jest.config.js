'use strict';
// Tests run against the TypeScript sources (transpile-only; `npm run build` type-checks).
const path = require('path');
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/tools'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: path.join(__dirname, 'tsconfig.test.json') }] },
  moduleNameMapper: {
    '^@bpfsim/oracle$': '<rootDir>/tools/oracle/index.js',
    '^@bpfsim/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^bpfsim$': '<rootDir>/packages/cli/src/index.ts',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 120000,
  // Kernel comparisons replay recorded answers (tools/oracle/tape.js); this writes them when recording.
  setupFilesAfterEnv: ['<rootDir>/tools/jest/kernel-tape.js'],
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.js'],
};
