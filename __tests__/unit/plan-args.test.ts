import * as core from '@actions/core'
import { readFileSync } from 'node:fs'
import { actionInputs } from '../../scripts/action-inputs.js'
import {
  DEFAULT_API_URL,
  RUN_FLAGS,
  childEnvironment,
  helpText,
  parsePlanArgs,
  terminalLine,
  type PlanContext,
} from '../../src/cli/plan-args.js'
import { envInputReader } from '../../src/model/inputs.js'

const inputs = actionInputs(readFileSync('action.yml', 'utf8'))
const HEAD = 'a'.repeat(40)
const context: PlanContext = {
  cwd: '/work/app',
  env: {},
  git: (_dir, args) =>
    args[0] === 'rev-parse'
      ? HEAD
      : args[0] === 'symbolic-ref'
        ? 'refs/heads/main'
        : args.join(' ') === 'remote get-url origin'
          ? 'git@github.com:acme/app.git'
          : undefined,
}

function planEnv(argv: string[], ctx: PlanContext = context): Record<string, string> {
  const parsed = parsePlanArgs(argv, inputs, ctx)
  if (parsed.kind !== 'plan') throw new Error(`not a plan: ${JSON.stringify(parsed)}`)
  return parsed.env
}

function errorOf(argv: string[], ctx: PlanContext = context): string {
  const parsed = parsePlanArgs(argv, inputs, ctx)
  if (parsed.kind !== 'error') throw new Error(`not an error: ${JSON.stringify(parsed)}`)
  return parsed.message
}

describe('every input of action.yml is a flag, passed as the runner passes it', () => {
  test('action.yml has the inputs the table below pins', () => {
    expect(inputs.map((i) => i.name)).toEqual(
      expect.arrayContaining(['image', 'platforms', 'smoke-run', 'github-token', 'mode']),
    )
  })

  test.each(inputs.filter((i) => i.name !== 'mode').map((i) => [i.name]))(
    '--%s reaches the action and @actions/core as that input',
    (name) => {
      const value = `value of ${name}`
      const env = planEnv(['plan', `--${name}`, value])
      // The action's own reader and the toolkit's getInput both find it.
      expect(envInputReader(env)(name)).toBe(value)
      const saved = process.env
      try {
        process.env = { ...saved, ...env }
        expect(core.getInput(name)).toBe(value)
      } finally {
        process.env = saved
      }
    },
  )

  test.each([
    ['image', 'INPUT_IMAGE'],
    ['smoke-run', 'INPUT_SMOKE-RUN'],
    ['github-token', 'INPUT_GITHUB-TOKEN'],
    ['release-oci-archives', 'INPUT_RELEASE-OCI-ARCHIVES'],
  ])('--%s sets %s (dashes kept, as @actions/core reads it)', (name, variable) => {
    expect(planEnv(['plan', `--${name}`, 'x'])[variable]).toBe('x')
  })

  test('a flag given twice is a multi-line input; a flag not given is not set at all', () => {
    const env = planEnv(['plan', '--smoke-run', 'true', '--smoke-run=--version'])
    expect(env['INPUT_SMOKE-RUN']).toBe('true\n--version')
    expect(env).not.toHaveProperty('INPUT_PLATFORMS')
  })

  test('mode is always plan; --mode plan is accepted, any other mode is refused', () => {
    expect(planEnv(['plan']).INPUT_MODE).toBe('plan')
    expect(planEnv(['plan', '--mode', 'plan']).INPUT_MODE).toBe('plan')
    expect(errorOf(['plan', '--mode', 'release'])).toMatch(
      /^--mode release: the command line only plans \(mode plan\)/,
    )
  })
})

describe('the run flags set the GITHUB_* variables', () => {
  test.each<[string[], string, string]>([
    [['--event-name', 'workflow_run'], 'GITHUB_EVENT_NAME', 'workflow_run'],
    [['--event-path', 'events/run.json'], 'GITHUB_EVENT_PATH', '/work/app/events/run.json'],
    [['--event-path', '/tmp/run.json'], 'GITHUB_EVENT_PATH', '/tmp/run.json'],
    [['--repository', 'octo/tool'], 'GITHUB_REPOSITORY', 'octo/tool'],
    [['--repository', 'octo/tool'], 'GITHUB_REPOSITORY_OWNER', 'octo'],
    [['--sha', 'b'.repeat(40)], 'GITHUB_SHA', 'b'.repeat(40)],
    [['--ref', 'refs/tags/v1.2.3'], 'GITHUB_REF', 'refs/tags/v1.2.3'],
    [['--api-url', 'http://127.0.0.1:9/api/v3'], 'GITHUB_API_URL', 'http://127.0.0.1:9/api/v3'],
    [['--token', 'ghs_x'], 'INPUT_GITHUB-TOKEN', 'ghs_x'],
    [['--workspace', 'sub'], 'GITHUB_WORKSPACE', '/work/app/sub'],
  ])('%j sets %s', (flags, variable, value) => {
    expect(planEnv(['plan', ...flags])[variable]).toBe(value)
  })

  test('defaults: a push of the workspace HEAD on its branch, github.com, the origin repository', () => {
    const env = planEnv(['plan'])
    expect(env).toMatchObject({
      GITHUB_EVENT_NAME: 'push',
      GITHUB_SHA: HEAD,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_API_URL: DEFAULT_API_URL,
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_WORKSPACE: '/work/app',
    })
    expect(env).not.toHaveProperty('GITHUB_EVENT_PATH')
    expect(env).not.toHaveProperty('INPUT_GITHUB-TOKEN')
  })

  test('GITHUB_REPOSITORY and GITHUB_TOKEN from the environment are used when no flag is given', () => {
    const env = planEnv(['plan'], {
      ...context,
      env: { GITHUB_REPOSITORY: 'env/repo', GITHUB_TOKEN: 'ghs_env' },
    })
    expect(env.GITHUB_REPOSITORY).toBe('env/repo')
    expect(env['INPUT_GITHUB-TOKEN']).toBe('ghs_env')
  })

  test('without --repository, GITHUB_REPOSITORY or an origin remote, the plan says what is missing', () => {
    expect(errorOf(['plan'], { ...context, git: () => undefined })).toMatch(
      /^--repository owner\/repo is needed/,
    )
    expect(errorOf(['plan', '--repository', 'no-slash'])).toBe(
      '--repository no-slash: give it as owner/repo',
    )
  })

  test.each<[string, string | undefined]>([
    ['git@github.com:acme/app.git', 'acme/app'],
    ['https://github.com/acme/app', 'acme/app'],
    ['https://github.com/acme/app.js.git/', 'acme/app.js'],
    ['ssh://git@git.example:2222/group/acme/app.git', 'acme/app'],
    ['git@github.com:my_org/app.git', undefined],
    ['/srv/git/app', 'git/app'],
  ])('the origin remote %s gives the repository %s', (remote, repository) => {
    const git = (_dir: string, args: string[]): string | undefined =>
      args[0] === 'remote' ? remote : undefined
    const parsed = parsePlanArgs(['plan'], inputs, { ...context, git })
    if (repository === undefined) expect(parsed).toMatchObject({ kind: 'error' })
    else expect(parsed).toMatchObject({ kind: 'plan', env: { GITHUB_REPOSITORY: repository } })
  })

  test('the token is given once', () => {
    expect(errorOf(['plan', '--token', 'a', '--github-token', 'b'])).toMatch(/not both/)
  })
})

describe('refused command lines name what is wrong', () => {
  test('an unknown flag is named, with every valid flag listed', () => {
    const message = errorOf(['plan', '--imgae', 'x', '--platforms', 'linux/amd64'])
    expect(message).toMatch(/^unknown flag --imgae; valid flags: /)
    for (const input of inputs) expect(message).toContain(`--${input.name}`)
    for (const [flag] of RUN_FLAGS) expect(message).toContain(`--${flag}`)
  })

  test('several unknown flags are named at once', () => {
    expect(errorOf(['plan', '--foo', '--bar=1', '-x'])).toMatch(/^unknown flags --foo, --bar, -x;/)
  })

  test.each<[string[], RegExp]>([
    [[], /^expected the command plan, got none/],
    [['release'], /^expected the command plan, got release/],
    [['plan', 'extra'], /^expected the command plan, got plan extra/],
    [['plan', '--image'], /--image/],
    [['plan', '--json=yes'], /--json/],
    [['plan', '--smoke-run', '--version'], /^Option '--smoke-run' argument is ambiguous/],
  ])('%j is refused', (argv, message) => {
    expect(errorOf(argv)).toMatch(message)
  })
})

describe('help', () => {
  test('--help wins over everything else and lists every input and every run flag', () => {
    const parsed = parsePlanArgs(['plan', '--nonsense', '--help'], inputs, context)
    expect(parsed.kind).toBe('help')
    const text = parsed.kind === 'help' ? parsed.text : ''
    expect(text).toBe(helpText(inputs))
    expect(text).toMatch(/^Usage: multiarch-release plan \[flags\]/)
    for (const input of inputs) expect(text).toMatch(new RegExp(`^  --${input.name} `, 'm'))
    for (const [flag] of RUN_FLAGS) expect(text).toMatch(new RegExp(`^  --${flag} `, 'm'))
    expect(text).toContain('(default: linux/amd64,linux/arm64)')
    expect(text).not.toContain('${{')
  })
})

describe('the child process', () => {
  test('keeps the caller environment but not what a runner set for another step', () => {
    const env = childEnvironment(
      {
        PATH: '/bin',
        HOME: '/root',
        INPUT_IMAGE: 'stale',
        GITHUB_STEP_SUMMARY: '/tmp/summary',
        RUNNER_TEMP: '/tmp/r',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc',
      },
      { INPUT_MODE: 'plan', GITHUB_SHA: HEAD },
    )
    expect(env).toEqual({ PATH: '/bin', HOME: '/root', INPUT_MODE: 'plan', GITHUB_SHA: HEAD })
  })

  test.each<[string, string | undefined]>([
    ['Version 0.1.0', 'Version 0.1.0'],
    ['::group::Reading what the run would start from', 'Reading what the run would start from'],
    ['::endgroup::', undefined],
    ['::add-mask::ghs_secret', undefined],
    ['::debug::detail', undefined],
    [
      '::error::The run would stop at plan: x%0ARemedy: y',
      'error: The run would stop at plan: x\nRemedy: y',
    ],
    ['::error title=Step failed::100%25 sure', 'error: 100% sure'],
    ['::warning::careful', 'warning: careful'],
  ])('%j is shown as %j', (line, shown) => {
    expect(terminalLine(line)).toBe(shown)
  })
})
