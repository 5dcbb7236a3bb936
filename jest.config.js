// Two projects: fast unit tests of pure logic, and end-to-end tests on the real container stack.
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  // ESM written for bundlers: its JSON imports lack the import attribute Jest will require.
  '/node_modules/@actions/workflow-parser/.+\\.js$':
    '<rootDir>/__tests__/support/json-import-attributes.js',
}
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform,
  transformIgnorePatterns: ['/node_modules/(?!@actions/workflow-parser/)'],
}

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'],
    },
  ],
}
