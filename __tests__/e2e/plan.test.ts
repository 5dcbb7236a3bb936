import { jest } from '@jest/globals'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { ReleasePreview } from '../../src/plan/preview.js'
import { PIPELINE } from '../../src/pipeline.js'
import { STACK } from '../support/engine-stack.js'
import { workflowRunPayload } from '../support/events.js'
import { node24 } from '../support/node24.js'
import { listTags } from '../support/registry-http.js'
import { TOKEN, releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { REGISTRY, REPO_ROOT, requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

/** The command line as npx runs it: package.json's multiarch-release bin. */
const CLI = join(
  REPO_ROOT,
  (
    JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>
    }
  ).bin['multiarch-release'] ?? 'missing bin',
)

beforeAll(requireStack)

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    expect(w.github.violations).toEqual([])
    await w.github.close().catch(() => undefined)
  }
})

async function world(label: string): Promise<ReleaseWorld> {
  const w = await releaseWorld(label)
  worlds.push(w)
  return w
}

/** Everything a plan must leave as it was: the image's repository and GitHub's releases and refs (every namespace). */
async function stateOf(w: ReleaseWorld): Promise<unknown> {
  const response = await fetch(`http://${REGISTRY}/v2/_catalog?n=100000`)
  const { repositories } = (await response.json()) as { repositories: string[] | null }
  return {
    catalog: (repositories ?? []).filter((r) => r === w.image.path),
    tags: await listTags(w.image.path),
    releases: w.github.releases('acme', 'app'),
    gitTags: w.github.tags('acme', 'app'),
    branches: w.github.branches('acme', 'app'),
    refs: w.github.refs('acme', 'app'),
  }
}

const planOf = (outputs: Record<string, string>): ReleasePreview =>
  JSON.parse(outputs.plan ?? '') as ReleasePreview

const outcomes = (plan: ReleasePreview): [string, string, string | undefined][] =>
  plan.steps.map((s) => [s.name, s.outcome, s.reason])

/** The plan's step lines (" 3. build  runs: …"), as the log prints them. */
const stepLines = (stdout: string): string[] =>
  stdout.split('\n').filter((l) => /^\s+\d+\. [a-z-]+ +(runs|skipped|fails|not reached)/.test(l))

describe('mode plan on a workflow_run event', () => {
  test('prints the version, the tags and every step with its reason, and changes nothing', async () => {
    const w = await world('plan-workflow-run')
    const before = await stateOf(w)
    const run = await w.run(
      { mode: 'plan', 'smoke-run': 'true' },
      { eventName: 'workflow_run', payload: workflowRunPayload(w.repo.sha) },
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)

    // Nothing was written: no repository, no tag, no draft, no git tag; GitHub was only read.
    expect(await stateOf(w)).toEqual(before)
    expect(await listTags(w.image.path)).toEqual([])
    expect(w.github.requests.length).toBeGreaterThan(0)
    expect(w.github.requests.filter((r) => r.method !== 'GET')).toEqual([])
    expect(run.stdout).not.toContain('buildx build')

    const refs = ['0.1.0', '0.1', '0', 'latest'].map((t) => `${w.image.name}:${t}`)
    expect(run.outputs.version).toBe('0.1.0')
    expect(run.outputs.tags).toBe(refs.join('\n'))
    expect(run.outputs.published).toBe('false')

    const plan = planOf(run.outputs)
    expect(plan).toMatchObject({
      kind: 'release',
      event: 'workflow_run',
      commit: w.repo.sha,
      version: '0.1.0',
      channel: 'stable',
      gitTag: 'v0.1.0',
      failures: [],
      images: [{ image: w.image.name, platforms: ['linux/amd64', 'linux/arm64'], tags: refs }],
    })
    // Every step of the pipeline, in order, with its own why.
    expect(plan.steps.map((s) => [s.name, s.why])).toEqual(PIPELINE.map((s) => [s.name, s.why]))
    const skippedHere: Record<string, string> = {
      replicate: 'each image has one repository',
      sign: 'sign is none',
    }
    expect(outcomes(plan)).toEqual(
      PIPELINE.map((s) =>
        s.name in skippedHere
          ? [s.name, 'skipped', skippedHere[s.name]]
          : [s.name, 'runs', undefined],
      ),
    )
    // What becomes visible when: an untagged manifest, an invisible draft, the version tag
    // before the floating tags, and the Release last; no candidate or marker tag at all.
    const visible = plan.steps.flatMap((s) =>
      s.reveals.map((r) => [s.name, r.kind, r.announced] as const),
    )
    expect(visible).toEqual([
      ['build', 'untagged manifest', false],
      ['draft-release', 'draft', false],
      ['promote', 'version tag', true],
      ['promote', 'floating tag', true],
      ['promote', 'floating tag', true],
      ['promote', 'floating tag', true],
      ['publish', 'release', true],
    ])
    const promoted = plan.steps.find((s) => s.name === 'promote')?.reveals.map((r) => r.ref)
    expect(promoted).toEqual(refs)
    // Every tag the run would write is a final tag: the candidate and the record are no tags.
    const tagged = plan.steps.flatMap((s) => s.reveals.filter((r) => r.kind.endsWith('tag')))
    expect(tagged.map((r) => r.ref)).toEqual(refs)
    expect(`${run.stdout}\n${run.summary}`).not.toMatch(/candidate-|verified-|:candidate\b/)

    // The log: the plan as text.
    expect(run.stdout).toContain(
      'multiarch-release: plan for 0.1.0 (a preview: nothing is built, pushed, tagged or published)',
    )
    expect(run.stdout).toContain(
      `Decision: a 'workflow_run' event releases commit ${w.repo.sha.slice(0, 12)}: stable channel, git tag v0.1.0`,
    )
    expect(run.stdout).toContain(`  tags: ${refs.join(', ')}`)
    expect(run.stdout).toContain('  platforms: linux/amd64, linux/arm64')
    expect(stepLines(run.stdout).map((l) => l.trim().split(/\s+/).slice(0, 3))).toEqual(
      PIPELINE.map((s, i) => [`${i + 1}.`, s.name, s.name in skippedHere ? 'skipped:' : 'runs:']),
    )
    expect(run.stdout).toMatch(/after draft-release: +draft v0\.1\.0 \(unannounced\): a new draft/)
    expect(run.stdout).toMatch(/after publish: +release v0\.1\.0: the latest Release/)

    // The job summary: a section with the steps table.
    expect(run.summary).toContain('## multiarch-release: plan for 0.1.0')
    expect(run.summary).toContain('| Step | Runs or skipped (why) | Becomes visible |')
    expect(run.summary).toContain('| sign | skipped: sign is none |  |')
    expect(run.summary).toMatch(
      /\| promote \| runs: copy each verified digest[^|]*\| version tag `/,
    )
  })

  test('the command line prints the same plan, and changes nothing', async () => {
    const w = await world('plan-cli')
    const payload = workflowRunPayload(w.repo.sha)
    const action = await w.run(
      { mode: 'plan', platforms: 'linux/amd64,linux/arm64' },
      { eventName: 'workflow_run', payload },
    )
    expect(action.exitCode).toBe(0)
    w.github.clearRequests()
    const before = await stateOf(w)

    const dir = await mkdtemp(join(tmpdir(), 'plan-cli-'))
    const eventPath = join(dir, 'event.json')
    await writeFile(eventPath, JSON.stringify(payload))
    const argv = [
      CLI,
      'plan',
      '--image',
      w.image.name,
      '--platforms',
      'linux/amd64,linux/arm64',
      '--event-name',
      'workflow_run',
      '--event-path',
      eventPath,
      '--repository',
      'acme/app',
      '--api-url',
      w.github.apiUrl,
      '--token',
      TOKEN,
      '--workspace',
      w.repo.dir,
    ]
    const env = {
      ...STACK.env,
      HOME: process.env.HOME ?? '/root',
      MULTIARCH_RELEASE_BACKOFF_MS: '50',
    }
    const cli = await promisify(execFile)(node24(), argv, { env, cwd: dir })
    expect(cli.stderr).toBe('')
    // The log reads as text: no workflow commands, no token.
    expect(cli.stdout).not.toMatch(/^::/m)
    expect(cli.stdout).not.toContain(TOKEN)
    expect(cli.stdout).toContain('multiarch-release: plan for 0.1.0 (a preview')
    expect(cli.stdout).toContain(
      `Decision: a 'workflow_run' event releases commit ${w.repo.sha.slice(0, 12)}: stable channel, git tag v0.1.0`,
    )
    expect(cli.stdout).toContain(
      `  tags: ${['0.1.0', '0.1', '0', 'latest'].map((t) => `${w.image.name}:${t}`).join(', ')}`,
    )
    expect(stepLines(cli.stdout)).toHaveLength(PIPELINE.length)
    expect(stepLines(cli.stdout)).toEqual(stepLines(action.stdout))

    // --json: the plan output on stdout, the same plan the action gives.
    const json = await promisify(execFile)(node24(), [...argv, '--json'], { env, cwd: dir })
    const cliPlan = JSON.parse(json.stdout) as ReleasePreview
    const actionPlan = planOf(action.outputs)
    expect(outcomes(cliPlan)).toEqual(outcomes(actionPlan))
    expect(cliPlan.images).toEqual(actionPlan.images)
    expect(json.stderr).toContain('multiarch-release: plan for 0.1.0')

    expect(await stateOf(w)).toEqual(before)
    expect(w.github.requests.filter((r) => r.method !== 'GET')).toEqual([])
  })

  test('the command line refuses an unknown flag, naming it, before anything runs', async () => {
    const failed = await promisify(execFile)(node24(), [CLI, 'plan', '--imgae', 'x'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    )
    expect(failed?.code).toBe(2)
    expect(failed?.stderr).toMatch(
      /^multiarch-release: unknown flag --imgae; valid flags: .*--image/,
    )
  })
})

describe('mode plan after an earlier run', () => {
  test('a re-run after a completed release reuses the verified digest and says why each step is skipped', async () => {
    const w = await world('plan-rerun')
    const payload = workflowRunPayload(w.repo.sha)
    const release = await w.run({}, { eventName: 'workflow_run', payload })
    expect(release.errors).toEqual([])
    expect(release.exitCode).toBe(0)
    const digest = release.outputs.digest ?? ''
    expect(digest).toMatch(/^sha256:/)
    const before = await stateOf(w)
    w.github.clearRequests()

    const run = await w.run({ mode: 'plan' }, { eventName: 'workflow_run', payload })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(await stateOf(w)).toEqual(before)
    expect(w.github.requests.filter((r) => r.method !== 'GET')).toEqual([])

    expect(run.outputs).toMatchObject({ version: '0.1.0', published: 'true', digest })
    const plan = planOf(run.outputs)
    expect(plan.images[0]?.reused).toEqual({
      from: 'version tag',
      ref: `${w.image.name}:0.1.0`,
      digest,
    })
    expect(plan.alreadyVisible).toEqual(
      expect.arrayContaining([
        `tag ${w.image.name}:0.1.0`,
        expect.stringMatching(/^published Release .*\/releases\/tag\/v0\.1\.0$/),
      ]),
    )
    expect(outcomes(plan)).toEqual([
      ['preflight', 'runs', undefined],
      ['plan', 'runs', undefined],
      [
        'build',
        'skipped',
        'the digest of this commit was already verified (version tag): no rebuild',
      ],
      ['assert-manifest', 'runs', undefined],
      [
        'smoke',
        'skipped',
        'the digest was reused from the version tag: it passed every check before',
      ],
      ['mark-verified', 'skipped', 'the digest was reused from the version tag'],
      ['replicate', 'skipped', 'each image has one repository'],
      ['sign', 'skipped', 'sign is none'],
      [
        'draft-release',
        'skipped',
        'the Release of this version is already published for this commit',
      ],
      ['lease', 'skipped', 'the Release of this version is already published for this commit'],
      ['promote', 'runs', undefined],
      ['publish', 'skipped', 'the Release of this version is already published for this commit'],
      ['cleanup', 'runs', undefined],
    ])
    // Promotion would write nothing: every tag already points at the released digest.
    const promote = plan.steps.find((s) => s.name === 'promote')
    expect(promote?.reveals.map((r) => r.note)).toEqual(
      Array(4).fill('already points at this digest: nothing to write'),
    )
    expect(run.stdout).toContain(
      `  reuses: ${digest} from the version tag ${w.image.name}:0.1.0 (verified by an earlier run): no rebuild`,
    )
    expect(run.stdout).toMatch(
      /^\s+6\. mark-verified\s+skipped: the digest was reused from the version tag$/m,
    )
    expect(run.summary).toContain(
      '| draft-release | skipped: the Release of this version is already published for this commit |  |',
    )
  })
})

describe('mode plan on events that release nothing', () => {
  test('a failed CI run: the plan says every step is skipped and why; a release event: refused', async () => {
    const w = await world('plan-skip')
    const skipped = await w.run(
      { mode: 'plan' },
      {
        eventName: 'workflow_run',
        payload: workflowRunPayload(w.repo.sha, { conclusion: 'failure' }),
      },
    )
    expect(skipped.errors).toEqual([])
    expect(skipped.exitCode).toBe(0)
    const reason = "nothing to release: CI concluded 'failure', not 'success'"
    expect(skipped.outputs['skipped-reason']).toBe(reason)
    expect(planOf(skipped.outputs).steps.map((s) => [s.outcome, s.reason])).toEqual(
      PIPELINE.map(() => ['skipped', reason]),
    )
    expect(skipped.summary).toContain('## multiarch-release: plan: nothing to release')

    const refused = await w.run({ mode: 'plan' }, { eventName: 'release', payload: {} })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors.join('\n')).toMatch(
      /^The run would be refused: a 'release' event cannot publish images/,
    )
    expect(planOf(refused.outputs).kind).toBe('refuse')
    expect(w.github.requests).toEqual([])
    expect(await listTags(w.image.path)).toEqual([])
  })
})

describe('mode plan on a pull request', () => {
  test('shows the build-only plan and asks GitHub nothing', async () => {
    const w = await world('plan-pr')
    const before = await stateOf(w)
    const run = await w.run(
      { mode: 'plan' },
      {
        eventName: 'pull_request',
        ref: 'refs/pull/5/merge',
        payload: { number: 5, pull_request: { number: 5 } },
      },
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(await stateOf(w)).toEqual(before)
    expect(w.github.requests).toEqual([])
    expect(run.outputs).toMatchObject({ version: '0.0.0-pr.5', tags: '' })
    const plan = planOf(run.outputs)
    expect(plan.kind).toBe('build')
    const skipped = Object.fromEntries(
      plan.steps.filter((s) => s.outcome === 'skipped').map((s) => [s.name, s.reason]),
    )
    expect(skipped).toEqual({
      'assert-manifest': 'build-only run: nothing was pushed',
      smoke: 'no smoke-run or smoke-http for this run',
      'mark-verified': 'build-only run',
      replicate: 'build-only run',
      sign: 'build-only run',
      'draft-release': 'build-only run',
      lease: 'build-only run',
      promote: 'build-only run',
      publish: 'build-only run',
      cleanup: 'build-only run',
    })
    expect(plan.steps.flatMap((s) => s.reveals)).toEqual([])
    expect(run.summary).toContain('## multiarch-release: plan for 0.0.0-pr.5 (build only)')
  })
})

describe('mode plan without an image input', () => {
  test("names the default image: the workflow's repository on its server's container registry", async () => {
    const w = await world('plan-default-image')
    const run = await w.run(
      { mode: 'plan', image: '' },
      { eventName: 'workflow_run', payload: workflowRunPayload(w.repo.sha) },
    )
    // The stand-in is the GitHub server (GitHub Enterprise Server's rule: containers.<host>).
    const host = new URL(w.github.serverUrl).hostname
    const plan = planOf(run.outputs)
    expect(plan.images.map((i) => i.image)).toEqual([`containers.${host}/acme/app`])
    expect(run.outputs.tags?.split('\n')[0]).toBe(`containers.${host}/acme/app:0.1.0`)
    expect(run.stdout).toContain(`containers.${host}/acme/app`)
  })
})
