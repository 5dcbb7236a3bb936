import type { Logger, Ports, Run } from '../../src/run/run.js'
import { newReport } from '../../src/run/report.js'
import { INPUT_DEFAULTS, parseInputs } from '../../src/model/inputs.js'
import type { RunEnvironment } from '../../src/model/run-env.js'

/** A logger that keeps what it was told, for assertions. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    group: async (title, fn) => {
      lines.push(`group: ${title}`)
      return fn()
    },
  }
}

export const testEnvironment: RunEnvironment = {
  eventName: 'push',
  sha: '0123456789abcdef0123456789abcdef01234567',
  ref: 'refs/heads/main',
  owner: 'acme',
  repo: 'app',
  runId: '42',
  runAttempt: '1',
  serverUrl: 'https://github.example.test',
  apiUrl: 'https://github.example.test/api/v3',
  workspace: '/tmp',
  payload: {},
  tempDir: '/tmp',
  toolCache: '',
  backoffMs: 10,
  oidc: false,
  leaseTtlMs: 120_000,
  leaseWaitMs: 900_000,
}

/** A run from input values, with the ports given (real or fake); onExit keeps what it is told. */
export function contextFor(
  values: Record<string, string>,
  ports: Partial<Ports>,
  overrides: Partial<Run> = {},
): Run & { readonly exits: string[] } {
  const inputs = parseInputs((name) => values[name] ?? INPUT_DEFAULTS[name] ?? '')
  const exits: string[] = []
  return {
    inputs,
    env: testEnvironment,
    ports: ports as Ports,
    log: memoryLogger(),
    mode: 'release',
    trigger: { kind: 'release', commit: testEnvironment.sha, tagVersion: undefined },
    workDir: '/tmp',
    cancellation: {},
    report: newReport(inputs.components),
    onExit: {
      add: (what) => {
        exits.push(what)
      },
    },
    exits,
    ...overrides,
  }
}
