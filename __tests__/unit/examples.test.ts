import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  convertWorkflowTemplate,
  isMapping,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
} from '@actions/workflow-parser'
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token'
import { parse } from 'yaml'

/** An input as action.yml declares it. */
interface InputDeclaration {
  readonly required?: boolean
  readonly default?: unknown
}
type Inputs = Readonly<Record<string, InputDeclaration | null>>

/** A step that runs this action: where it is, and the keys of its `with:`. */
interface ActionStep {
  readonly where: string
  readonly given: readonly string[]
}

/** The published reference (org/multiarch-release@v1) or, in this repository's CI, `./`. */
const THIS_ACTION = /(?:^|\/)multiarch-release@v1$|^\.\/?$/

const DECLARED = (parse(readFileSync('action.yml', 'utf8')) as { inputs: Inputs }).inputs

/** Every workflow users copy (examples/) and every workflow the project runs itself. */
function workflowFiles(): string[] {
  return ['examples', join('.github', 'workflows')].flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => join(dir, name)),
  )
}

/** The steps of every job whose `uses:` is this action, from the parser's own token tree. */
function actionSteps(name: string, root: TemplateToken): ActionStep[] {
  const jobs = isMapping(root) ? root.find('jobs') : undefined
  if (jobs === undefined || !isMapping(jobs)) return []
  const found: ActionStep[] = []
  for (const { key: jobId, value: job } of jobs) {
    const steps = isMapping(job) ? job.find('steps') : undefined
    if (steps === undefined || !isSequence(steps)) continue
    for (const step of steps) {
      const uses = isMapping(step) ? step.find('uses') : undefined
      if (uses === undefined || !isString(uses) || !THIS_ACTION.test(uses.value)) continue
      const inputs = isMapping(step) ? step.find('with') : undefined
      found.push({
        where: `${name}:${String(step.line)} (job ${jobId.toString()})`,
        given:
          inputs !== undefined && isMapping(inputs) ? [...inputs].map((i) => i.key.toString()) : [],
      })
    }
  }
  return found
}

/** Unknown inputs, and required inputs without a default that a step leaves out. */
function inputProblems(steps: readonly ActionStep[], declared: Inputs): string[] {
  // A required input with a default is satisfied by the default at run time.
  const required = Object.entries(declared)
    .filter(([, d]) => d?.required === true && d.default === undefined)
    .map(([input]) => input)
  return steps.flatMap(({ where, given }) => [
    ...given
      .filter((input) => !Object.hasOwn(declared, input))
      .map((input) => `${where}: unknown input '${input}' (not in action.yml)`),
    ...required
      .filter((input) => !given.includes(input))
      .map((input) => `${where}: required input '${input}' is missing`),
  ])
}

/** GitHub's parser and converter, then this action's inputs: every problem, as messages. */
async function checkWorkflow(
  name: string,
  content: string,
  declared: Inputs = DECLARED,
): Promise<{ problems: string[]; steps: ActionStep[] }> {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter())
  // The converter adds what the schema cannot see: job graphs, duplicate ids, cron syntax.
  if (result.value !== undefined) await convertWorkflowTemplate(result.context, result.value)
  const steps = result.value === undefined ? [] : actionSteps(name, result.value)
  const errors = result.context.errors.getErrors().map((e) => e.message)
  return { problems: [...errors, ...inputProblems(steps, declared)], steps }
}

test.each(workflowFiles())(
  "%s passes GitHub's workflow parser and gives this action only inputs of action.yml",
  async (file) => {
    const { problems, steps } = await checkWorkflow(file, readFileSync(file, 'utf8'))
    expect(problems).toEqual([])
    // An example that never runs the action would pass the input check without checking anything.
    if (file.startsWith('examples')) expect(steps.length).toBeGreaterThan(0)
  },
)

/** The YAML blocks of a Markdown file that are whole workflows (they have jobs:), with their heading. */
function markdownWorkflows(file: string): [string, string][] {
  const text = readFileSync(file, 'utf8')
  const blocks: [string, string][] = []
  // The headings above a block, from its section (##) down: "From a script › Before".
  const headings: string[] = []
  for (const [, hashes, title, yaml] of text.matchAll(/^(#+) (.+)$|^```yaml\n([\s\S]*?)^```$/gm)) {
    if (hashes !== undefined && title !== undefined) {
      headings.length = Math.max(hashes.length - 2, 0)
      headings.push(title)
    } else if (yaml !== undefined && /^jobs:/m.test(yaml)) {
      blocks.push([`${file}: ${headings.join(' › ')}`, yaml])
    }
  }
  return blocks
}

const readmeWorkflows = (): [string, string][] => markdownWorkflows('README.md')
const MIGRATING = join('docs', 'migrating.md')

test("the README's quick starts are whole workflows: one for each of the three ways", () => {
  expect(readmeWorkflows().map(([name]) => name)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^README.md: .*Pull requests/),
      expect.stringMatching(/^README.md: .*workflow_run/),
      expect.stringMatching(/^README.md: .*Native runners/),
    ]),
  )
})

test.each(readmeWorkflows())(
  "%s passes GitHub's workflow parser and gives this action only inputs of action.yml",
  async (name, content) => {
    const { problems, steps } = await checkWorkflow(name, content)
    expect(problems).toEqual([])
    expect(steps.length).toBeGreaterThan(0)
  },
)

test.each(markdownWorkflows(MIGRATING))(
  "%s passes GitHub's workflow parser and gives this action only inputs of action.yml",
  async (name, content) => {
    const { problems, steps } = await checkWorkflow(name, content)
    expect(problems).toEqual([])
    // An "after" workflow that never ran the action would check nothing.
    if (/› (After|Keeping)/.test(name)) expect(steps.length).toBeGreaterThan(0)
  },
)

test('the migration guide shows each way over, before and after', () => {
  expect(markdownWorkflows(MIGRATING).map(([name]) => name.replace(`${MIGRATING}: `, ''))).toEqual([
    'From build-push-action, metadata-action and action-gh-release › Before',
    'From build-push-action, metadata-action and action-gh-release › After',
    'From build-push-action, metadata-action and action-gh-release › Keeping metadata-action',
    'From a hand-written buildx and gh release script › Before',
    'From a hand-written buildx and gh release script › After',
  ])
})

test("the migration guide's check fails on an input action.yml lacks", async () => {
  const [, after] = markdownWorkflows(MIGRATING)[1] ?? ['', '']
  expect(after).toContain('org/multiarch-release@v1')
  const misspelt = after.replace('release-body-path:', 'body_path:')
  expect(misspelt).not.toBe(after)
  const { problems } = await checkWorkflow('migrating.md: After', misspelt)
  expect(problems).toEqual([
    expect.stringMatching(/unknown input 'body_path' \(not in action.yml\)/),
  ])
})

test('the examples and the project workflows are all there (the table above is not empty)', () => {
  expect(workflowFiles()).toEqual(
    expect.arrayContaining([
      join('examples', 'pull-request.yml'),
      join('examples', 'release-after-ci.yml'),
      join('examples', 'native-runners.yml'),
      join('examples', 'signed-release.yml'),
      join('.github', 'workflows', 'ci.yml'),
      join('.github', 'workflows', 'e2e.yml'),
      join('.github', 'workflows', 'release.yml'),
    ]),
  )
})

test("the e2e workflow runs the repository's own action (uses: ./)", async () => {
  const file = join('.github', 'workflows', 'e2e.yml')
  const { steps } = await checkWorkflow(file, readFileSync(file, 'utf8'))
  expect(steps.length).toBeGreaterThan(0)
})

test('examples/README.md describes every example', () => {
  const readme = readFileSync(join('examples', 'README.md'), 'utf8')
  for (const file of readdirSync('examples').filter((f) => f.endsWith('.yml'))) {
    expect(readme).toContain(`\`${file}\``)
  }
})

test('dependabot updates npm and the GitHub Actions weekly', () => {
  const config = parse(readFileSync(join('.github', 'dependabot.yml'), 'utf8')) as {
    version: number
    updates: { 'package-ecosystem': string; schedule: { interval: string } }[]
  }
  expect(config.version).toBe(2)
  expect(config.updates.map((u) => [u['package-ecosystem'], u.schedule.interval])).toEqual([
    ['npm', 'weekly'],
    ['github-actions', 'weekly'],
  ])
})

describe('the checks catch a bad workflow', () => {
  const workflow = (job: string): string =>
    ['on: push', 'jobs:', '  release:', ...job.split('\n').map((l) => `    ${l}`)].join('\n')
  const steps = (...lines: string[]): string =>
    ['runs-on: ubuntu-24.04', 'steps:', ...lines].join('\n')
  const good = steps(
    '  - uses: actions/checkout@v4',
    '  - uses: org/multiarch-release@v1',
    '    with:',
    '      image: ghcr.io/acme/app',
  )

  test('a good workflow has no problem (so the failures below have the cause they name)', async () => {
    const { problems, steps } = await checkWorkflow('good.yml', workflow(good))
    expect(problems).toEqual([])
    expect(steps).toEqual([{ where: 'good.yml:7 (job release)', given: ['image'] }])
  })

  interface BadCase {
    readonly name: string
    readonly job: string
    readonly problem: RegExp
    readonly declared?: Inputs
  }
  test.each<BadCase>([
    {
      name: 'an input action.yml does not declare',
      job: good.replace('image:', 'imag:'),
      problem: /^bad\.yml:7 \(job release\): unknown input 'imag'/,
    },
    {
      name: 'an unknown input to uses: ./',
      job: good.replace('org/multiarch-release@v1', './').replace('image:', 'imag:'),
      problem: /unknown input 'imag'/,
    },
    {
      name: 'a required input left out',
      job: good.replace('image:', 'platforms:'),
      problem: /required input 'image' is missing/,
      declared: { ...DECLARED, image: { required: true } },
    },
    {
      name: 'a job without runs-on',
      job: good.replace('runs-on: ubuntu-24.04\n', ''),
      problem: /Required property is missing: runs-on/,
    },
    {
      name: 'a misspelt step key',
      job: good.replace('with:', 'width:'),
      problem: /Unexpected value 'width'/,
    },
    {
      name: 'a job that needs a job that does not exist',
      job: `needs: build\n${good}`,
      problem: /at least one job with no dependencies/,
    },
    {
      name: 'two steps with one id',
      job: steps('  - id: same', '    run: true', '  - id: same', '    run: false'),
      problem: /'same' may not be used more than once/,
    },
    {
      name: 'YAML that does not parse',
      job: `${good}\n  - [`,
      problem: /^bad\.yml: .*flow sequence/i,
    },
  ])('$name', async ({ job, problem, declared }) => {
    const { problems } = await checkWorkflow('bad.yml', workflow(job), declared)
    expect(problems).toEqual([expect.stringMatching(problem)])
  })

  test('a required input with a default needs no value, and another action is not checked', async () => {
    const other = good.replace(
      'actions/checkout@v4',
      'actions/checkout@v4\n    with: { anything: 1 }',
    )
    const declared = {
      ...DECLARED,
      'github-token': { required: true, default: '${{ github.token }}' },
    }
    expect((await checkWorkflow('ok.yml', workflow(other), declared)).problems).toEqual([])
  })
})
