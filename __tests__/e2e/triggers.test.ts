import { jest } from '@jest/globals'
import { docker } from '../support/engine-stack.js'
import { workflowRunPayload } from '../support/events.js'
import { addCommit } from '../support/fixture-repo.js'
import { fakeSha } from '../support/github-standin/index.js'
import { listTags, resolveDigest } from '../support/registry-http.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    expect(w.github.violations).toEqual([])
    await w.github.close().catch(() => undefined)
  }
})

async function world(
  label: string,
  files: Record<string, string> = {},
  base?: ReleaseWorld,
): Promise<ReleaseWorld> {
  const w = await releaseWorld(label, files, base?.image, base?.github)
  worlds.push(w)
  return w
}

/** A pull request merged as the world's commit, with labels. */
function mergedPull(w: ReleaseWorld, number: number, labels: string[]): void {
  w.github.seedPull('acme', 'app', {
    number,
    commits: [w.repo.sha],
    merge_commit_sha: w.repo.sha,
    merged_at: '2026-01-02T03:04:05Z',
    state: 'closed',
    labels,
  })
}

const releases = (w: ReleaseWorld) => w.github.releases('acme', 'app')

function revisionLabel(image: string, tag: string): string {
  const config = JSON.parse(
    docker(['buildx', 'imagetools', 'inspect', `${image}:${tag}`, '--format', '{{json .Image}}']),
  ) as Record<string, { config: { Labels: Record<string, string> } }>
  return Object.values(config)[0]?.config.Labels['org.opencontainers.image.revision'] ?? ''
}

describe('pull requests build only', () => {
  test("a fork's pull request builds and smoke-tests every platform, pushes nothing, calls no GitHub API", async () => {
    const w = await world('fork-pr')
    const run = await w.run(
      { 'smoke-run': 'true', 'github-token': '' },
      {
        eventName: 'pull_request',
        ref: 'refs/pull/5/merge',
        payload: {
          number: 5,
          pull_request: {
            number: 5,
            head: { repo: { full_name: 'mallory/app', fork: true } },
            base: { repo: { full_name: 'acme/app' } },
          },
        },
      },
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({ published: 'false', digest: '', version: '0.0.0-pr.5' })
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      expect(run.stdout).toContain(`[${platform} `)
      expect(run.stdout).toMatch(new RegExp(`${platform}: run true: ok`))
      expect(run.stdout).toMatch(new RegExp(`${platform}: architecture: ok`))
    }
    expect(await listTags(w.image.path)).toEqual([])
    expect(w.github.requests).toEqual([])
  })
})

describe('workflow_run after CI', () => {
  test('releases the commit CI tested (C), not the head of main (D)', async () => {
    const w = await world('workflow-run')
    const c = w.repo.sha
    const d = fakeSha('main-moved-on')
    w.github.seedCommits('acme', 'app', [{ sha: d, parents: [c], message: 'later' }])
    w.github.setBranch('acme', 'app', 'main', d)
    const run = await w.run(
      {},
      { eventName: 'workflow_run', sha: d, payload: workflowRunPayload(c) },
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.version).toBe('0.1.0')
    expect(revisionLabel(w.image.name, '0.1.0')).toBe(c)
    const [release] = releases(w)
    expect(release).toMatchObject({ tag_name: 'v0.1.0', target_commitish: c, draft: false })
    expect(w.github.tags('acme', 'app')['v0.1.0']).toBe(c)
  })

  test('with the workspace checked out at D, the run fails and shows the checkout that fixes it', async () => {
    const w = await world('workflow-run-wrong-checkout')
    const c = w.repo.sha
    const d = addCommit(w.repo.dir, { 'www/health': 'later\n' })
    const run = await w.run(
      {},
      { eventName: 'workflow_run', sha: d, payload: workflowRunPayload(c) },
    )
    expect(run.exitCode).toBe(1)
    const error = run.errors.join('\n')
    expect(error).toMatch(
      /the workspace is at commit [0-9a-f]{12}, but this run releases commit [0-9a-f]{12}; building the workspace would ship the wrong code/,
    )
    expect(error).toContain('ref: ${{ github.event.workflow_run.head_sha }}')
    expect(await listTags(w.image.path)).toEqual([])
    expect(releases(w)).toEqual([])
  })

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['a failed CI run', { conclusion: 'failure' }, /CI concluded 'failure', not 'success'/],
    [
      'a pull-request-triggered CI run',
      { event: 'pull_request', head_branch: 'feature' },
      /ran for a 'pull_request' event, not a push/,
    ],
    [
      'a fork-triggered CI run',
      { head_repository: { full_name: 'mallory/app' } },
      /from mallory\/app, not from acme\/app/,
    ],
  ])('%s releases nothing', async (_name, change, reason) => {
    const w = await world('workflow-run-skip')
    const run = await w.run(
      {},
      { eventName: 'workflow_run', payload: workflowRunPayload(w.repo.sha, change) },
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.published).toBe('false')
    expect(run.outputs['skipped-reason']).toMatch(reason)
    expect(run.stdout).not.toContain('buildx build')
    expect(await listTags(w.image.path)).toEqual([])
    expect(w.github.requests).toEqual([])
  })
})

describe('release intent from the merged pull request', () => {
  test('type:minor + channel:rc with v1.4.2 and v1.5.0-rc.1 tagged gives 1.5.0-rc.2: tags 1.5.0-rc.2 and rc, a prerelease, latest untouched', async () => {
    const stable = await world('labels')
    const first = await stable.run({ version: '1.4.2' })
    expect(first.exitCode).toBe(0)
    const latestBefore = await resolveDigest(stable.image.path, 'latest')
    stable.github.setTag('acme', 'app', 'v1.5.0-rc.1', fakeSha('first-rc'))

    const next = await world('labels', { 'www/health': 'rc\n' }, stable)
    mergedPull(next, 42, ['type:minor', 'channel:rc', 'area:api'])
    const run = await next.run()
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.version).toBe('1.5.0-rc.2')
    expect(run.outputs.tags).toBe(`${next.image.name}:1.5.0-rc.2\n${next.image.name}:rc`)
    expect(await resolveDigest(next.image.path, 'rc')).toBe(run.outputs.digest)
    expect(await resolveDigest(next.image.path, 'latest')).toBe(latestBefore)
    const release = releases(next).find((r) => r.tag_name === 'v1.5.0-rc.2')
    expect(release).toMatchObject({
      draft: false,
      prerelease: true,
      target_commitish: next.repo.sha,
    })
    expect(next.github.latestRelease('acme', 'app')?.tag_name).toBe('v1.4.2')
    expect(run.stdout).toContain('Pull request #42 was merged as')
  })

  test('type:docs releases nothing and says why', async () => {
    const w = await world('labels-docs')
    mergedPull(w, 7, ['type:docs'])
    const run = await w.run()
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({
      published: 'false',
      'skipped-reason': 'pull request #7 is labelled type:docs',
    })
    expect(run.stdout).not.toContain('buildx build')
    expect(await listTags(w.image.path)).toEqual([])
    expect(releases(w)).toEqual([])
    expect(run.summary).toContain('| build | skipped: pull request #7 is labelled type:docs |')
  })

  test('conflicting labels fail before the build and list the labels found and allowed', async () => {
    const w = await world('labels-conflict')
    mergedPull(w, 9, ['type:minor', 'type:major'])
    const run = await w.run()
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /Step 'plan' failed: conflicting release labels: pull request #9 has type:minor, type:major; allowed: type:patch/,
    )
    expect(await listTags(w.image.path)).toEqual([])
  })

  test('a pushed v tag releases that version, whatever the labels say', async () => {
    const w = await world('tag-push')
    const run = await w.run({}, { ref: 'refs/tags/v2.3.4' })
    expect(run.errors).toEqual([])
    expect(run.outputs.version).toBe('2.3.4')
    expect((run.outputs.tags ?? '').split('\n')).toEqual(
      ['2.3.4', '2.3', '2', 'latest'].map((t) => `${w.image.name}:${t}`),
    )
  })

  test('a release event is refused with the reason', async () => {
    const w = await world('release-event')
    const run = await w.run({}, { eventName: 'release', payload: { action: 'published' } })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(/a 'release' event cannot publish images/)
    expect(w.github.requests).toEqual([])
  })
})
