'use strict';
// Jest setup (setupFilesAfterEnv): after each test file, write the kernel tape it recorded
// (BPFSIM_KERNEL=record); a no-op when replaying or asking the kernel live. See tools/oracle/tape.js.
afterAll(() => {
  require('../oracle/tape').flush();
});
