// Registers @bpfsim/jest's matchers (toBeAccepted, toReturn, toHaveMapEntry, ...) in every test file.
module.exports = {
  testEnvironment: 'node',
  setupFilesAfterEnv: ['@bpfsim/jest/setup'],
};
