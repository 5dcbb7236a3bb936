// Two projects: fast unit tests of pure logic, and end-to-end tests on the real container stack.
import process from 'node:process'
// JEST_PROJECT=unit|e2e picks one (npm run test:unit / test:e2e), so that file paths given after
// `--` select test files rather than being read as project names.
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

const projects = [
  { ...common, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
  {
    ...common,
    displayName: 'e2e',
    testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'],
    // The end-to-end tests run dist/index.js: a bundle older than src/ is rebuilt first.
    globalSetup: '<rootDir>/__tests__/support/fresh-dist.js',
  },
]

const only = process.env.JEST_PROJECT
export default {
  projects: only ? projects.filter((p) => p.displayName === only) : projects,
  // npm run test:coverage: the adapters and the smoke tests are proven by unit tests, not only
  // under QEMU end to end (the house's rule: at least 80% of their lines).
  collectCoverageFrom: ['src/ports/**/*.ts', 'src/smoke/**/*.ts'],
  coverageReporters: ['text-summary'],
  coverageThreshold: {
    './src/ports/': { lines: 80 },
    './src/smoke/': { lines: 80 },
  },
}
