import { jest } from '@jest/globals'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'
import {
  codeBlocks,
  ganttTasks,
  links,
  parseSummary,
  plain,
  records,
  tableStarting,
  tables,
} from '../support/summary-markdown.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const world of worlds.splice(0)) {
    expect(world.github.violations).toEqual([])
    await world.github.close()
  }
})

async function world(label: string): Promise<ReleaseWorld> {
  const w = await releaseWorld(label)
  worlds.push(w)
  return w
}

const PLATFORMS = ['linux/amd64', 'linux/arm64']

/** The columns of the platform table between Manifest and Smoke: one per check. */
const checkColumns = (header: readonly string[]): string[] =>
  header.slice(header.indexOf('Manifest') + 1, header.indexOf('Smoke'))

describe('the job summary of a real run, read as Markdown', () => {
  test('a release: a row per platform with every check passed, each tag with the digest the action output, the Release link and the timeline', async () => {
    const w = await world('summary-ok')
    const run = await w.run({
      version: '1.0.0',
      platforms: PLATFORMS.join(','),
      'smoke-run': 'true\necho hello',
      'smoke-http': '8080/health',
      'smoke-http-expect': 'ok',
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    const root = parseSummary(run.summary)

    expect(plain(root.children[0] ?? root)).toMatch(
      /^✅ Released 1\.0\.0 — 2 platforms, 4 tags, Release published$/,
    )

    const platforms = tableStarting(root, 'Platform')
    expect(checkColumns(platforms.header)).toEqual([
      'Pull',
      'Architecture',
      'Run true',
      'Run echo hello',
      'HTTP 8080/health',
    ])
    const rows = records(platforms)
    expect(rows.map((r) => r.Platform)).toEqual(PLATFORMS)
    for (const row of rows) {
      expect(row.Manifest).toMatch(/^sha256:[0-9a-f]{12}… ✅$/)
      for (const column of checkColumns(platforms.header)) expect(row[column]).toBe('✅')
      expect(row.Smoke).toBe('passed: 5 checks')
      expect(row.Duration).toMatch(/^\d+\.\d s$/)
    }

    // Every tag the action output, with the digest it output.
    const digest = run.outputs.digest ?? ''
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    const tags = tableStarting(root, 'Tag', 'Digest')
    expect(tags.rows).toEqual((run.outputs.tags ?? '').split('\n').map((tag) => [tag, digest]))

    const [release] = w.github.releases('acme', 'app')
    expect(release?.html_url).toBeTruthy()
    expect(links(root).map((l) => [plain(l), l.url])).toEqual([['v1.0.0', release?.html_url]])

    // The timeline: a task per step that ran, in order, none failed.
    const [chart] = codeBlocks(root, 'mermaid')
    expect(chart?.value.split('\n')[0]).toBe('gantt')
    const steps = records(tableStarting(root, 'Step', 'Outcome', 'Time'))
    const ran = steps.filter((s) => !(s.Outcome ?? '').startsWith('skipped'))
    expect(ran.map((s) => s.Outcome)).toEqual(ran.map(() => 'done'))
    const tasks = ganttTasks(chart?.value ?? '')
    expect(tasks.map((t) => t.name)).toEqual(ran.map((s) => s.Step))
    for (const [i, task] of tasks.entries()) {
      expect(task.tags).toEqual(['done'])
      expect(task.start).toBeLessThanOrEqual(task.end)
      expect(task.start).toBeGreaterThanOrEqual(tasks[i - 1]?.end ?? 0)
    }

    // The log: the build and each platform's smoke test say how far they got.
    expect(run.stdout).toMatch(/^build 1\/1 linux\/amd64, linux\/arm64 done in \d+\.\d s$/m)
    const smokeGroup = run.stdout.slice(
      run.stdout.indexOf('::group::Smoke tests'),
      run.stdout.indexOf('::endgroup::', run.stdout.indexOf('::group::Smoke tests')),
    )
    const progress = [...smokeGroup.matchAll(/^smoke (\d)\/2 (linux\/\w+) passed in \d+\.\d s$/gm)]
    expect(progress.map((m) => m[1])).toEqual(['1', '2'])
    expect(progress.map((m) => m[2]).sort()).toEqual(PLATFORMS)
  })

  test('smoke failing on arm64: one ::error annotation titled with the step, carrying the remedy; the summary shows ❌ where it failed, the cause and the same remedy', async () => {
    const w = await world('summary-fail')
    const command = 'sh -c "test $(uname -m) != aarch64"'
    const run = await w.run({
      version: '1.0.0',
      platforms: PLATFORMS.join(','),
      'smoke-run': command,
    })
    expect(run.exitCode).toBe(1)

    const annotations = run.stdout.split('\n').filter((l) => l.startsWith('::error'))
    expect(annotations).toHaveLength(1)
    expect(annotations[0]).toMatch(/^::error title=multiarch-release%3A smoke failed::/)
    const [message = ''] = run.errors
    expect(message).toMatch(/^Step 'smoke' failed: smoke test failed on linux\/arm64: run sh -c/)
    expect(message).toMatch(/^Visible to users: untagged manifests only\.$/m)
    const remedy = /^Remedy: (.+)$/m.exec(message)?.[1] ?? ''
    expect(remedy).toMatch(/re-run the workflow/)

    const root = parseSummary(run.summary)
    expect(plain(root.children[0] ?? root)).toBe(
      '❌ Release 1.0.0 failed in smoke — visible: untagged manifests only',
    )
    const [cause, remedyParagraph] = root.children.slice(1, 3).map((n) => plain(n))
    expect(cause).toMatch(
      /^Cause: smoke test failed on linux\/arm64: run sh -c test \$\(uname -m\) != aarch64: exit 1/,
    )
    expect(remedyParagraph).toBe(`Remedy: ${remedy}`)

    const platforms = tableStarting(root, 'Platform')
    const runColumn = 'Run sh -c test $(uname -m) != aarch64'
    expect(checkColumns(platforms.header)).toEqual(['Pull', 'Architecture', runColumn])
    const rows: Record<string, Record<string, string>> = Object.fromEntries(
      records(platforms).map((r) => [r.Platform ?? '', r]),
    )
    expect(Object.keys(rows)).toEqual(PLATFORMS)
    expect(rows['linux/amd64']).toMatchObject({ Pull: '✅', Architecture: '✅', [runColumn]: '✅' })
    expect(rows['linux/arm64']).toMatchObject({ Pull: '✅', Architecture: '✅', [runColumn]: '❌' })
    expect(rows['linux/arm64']?.Smoke).toMatch(/^failed: run sh -c .*: exit 1/)

    // Nothing final: no tag table, no Release link; the failed step is the crit task, and the last.
    expect(tables(root).filter((t) => t.header.join() === 'Tag,Digest')).toEqual([])
    expect(links(root)).toEqual([])
    const tasks = ganttTasks(codeBlocks(root, 'mermaid')[0]?.value ?? '')
    expect(tasks.at(-1)).toMatchObject({ name: 'smoke', tags: ['crit'] })
    expect(tasks.filter((t) => t.tags.includes('crit'))).toHaveLength(1)
    expect(run.stdout).toMatch(/^smoke \d\/2 linux\/arm64 failed in \d+\.\d s: run sh -c/m)
  })
})
