import { createHash } from 'node:crypto'
import type { Run } from '../../src/run/run.js'
import type { ImageReport, StepRecord } from '../../src/run/report.js'
import { ReleaseError } from '../../src/model/errors.js'
import { formatPlatform } from '../../src/model/platform.js'
import { parseSmokeCommand } from '../../src/model/smoke.js'
import { finalTags } from '../../src/model/tags.js'
import { failureAnnotation, renderSummary } from '../../src/report/summary.js'
import { progress } from '../../src/model/progress.js'
import type { SmokeCheck } from '../../src/smoke/platform-smoke.js'
import { timelineOf } from '../../bench/support/subjects.js'
import { mermaidName } from '../../src/report/timeline.js'
import { contextFor } from '../support/context.js'
import {
  codeBlocks,
  ganttTasks,
  headings,
  links,
  paragraphs,
  parseSummary,
  plain,
  records,
  tableStarting,
  tables,
} from '../support/summary-markdown.js'

const REGISTRY = 'r.example.test/acme'
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5)
const digestOf = (seed: string): string =>
  `sha256:${createHash('sha256').update(seed).digest('hex')}`
const RELEASE_URL = 'https://github.example.test/acme/app/releases/tag/v1.2.3'

type Outcome = NonNullable<StepRecord['outcome']>

/** Steps one after another from T0, each taking its milliseconds. */
function timeline(steps: readonly [string, Outcome, number, string?][]): StepRecord[] {
  let at = T0
  return steps.map(([name, outcome, ms, note]) => {
    const record: StepRecord = { name, startedAt: at, endedAt: at + ms, outcome, note }
    at += ms + 7
    return record
  })
}

const RELEASE_STEPS = [
  'preflight',
  'plan',
  'build',
  'assert-manifest',
  'smoke',
  'mark-verified',
  'sign',
  'draft-release',
  'promote',
  'publish',
  'cleanup',
] as const

/** Every release step done, except the ones given another outcome; the first failure ends it. */
function releaseTimeline(
  changed: Partial<Record<(typeof RELEASE_STEPS)[number], [Outcome, string?]>> = {},
): StepRecord[] {
  const steps: [string, Outcome, number, string?][] = []
  for (const [i, name] of RELEASE_STEPS.entries()) {
    const [outcome, note] = changed[name] ?? ['done']
    steps.push([name, outcome, outcome === 'skipped' ? 0 : 300 + 100 * i, note])
    if (outcome === 'failed') break
  }
  return timeline(steps)
}

/** The checks smokePlatform runs for an image's settings, in its order; a failed pull stops it. */
function checksFor(run: ImageReport, failing?: { check: string; detail: string }): SmokeCheck[] {
  const { smoke } = run.build
  const names = [
    'pull',
    'architecture',
    ...smoke.run.map((words) => `run ${words.join(' ')}`),
    ...(smoke.http ? [`http ${smoke.http.port}${smoke.http.path}`] : []),
  ]
  const checks: SmokeCheck[] = []
  for (const name of names) {
    const fails = failing?.check === name
    checks.push({ name, ok: !fails, detail: fails ? failing.detail : 'ok', ms: 150 })
    if (fails && name === 'pull') break
  }
  return checks
}

/** The state after build, assertion and smoke: a candidate per image, a manifest and checks per platform. */
function verify(ctx: Run, failing: Record<string, { check: string; detail: string }> = {}): void {
  for (const run of ctx.report.images) {
    const digest = digestOf(run.build.name)
    run.candidate = { ref: `${run.build.image.name}@${digest}`, digest }
    ctx.report.visible.push({ kind: 'candidate', ref: run.candidate.ref })
    for (const [i, platform] of run.build.platforms.map(formatPlatform).entries()) {
      const checks = checksFor(run, failing[`${run.build.name} ${platform}`])
      const ok = checks.every((c) => c.ok)
      run.platforms.set(platform, {
        platform,
        manifestDigest: digestOf(`${run.build.name} ${platform}`),
        smoke: { ok, detail: 'free text', ms: 1000 + 500 * i, checks },
      })
    }
  }
}

/** Every image's tags promoted, in the plan's order. */
function promote(ctx: Run): void {
  const tags = finalTags('1.2.3', { kind: 'stable' }, ctx.inputs.tagScheme)
  for (const { tag, kind } of typeof tags === 'string' ? [] : tags) {
    for (const run of ctx.report.images) {
      ctx.report.visible.push({
        kind: 'tag',
        ref: `${run.build.image.name}:${tag}`,
        floating: kind === 'floating',
      })
    }
  }
}

function publish(ctx: Run): void {
  ctx.report.visible.push({ kind: 'release', id: 7, url: RELEASE_URL })
}

/** A release stopped by its smoke step: one check of one component's platform failed. */
function smokeStopped(
  values: Record<string, string>,
  component: string,
  platform: string,
  failing: { check: string; detail: string },
): { ctx: Run; failure: ReleaseError } {
  const ctx = releaseContext(values)
  verify(ctx, { [`${component} ${platform}`]: failing })
  ctx.report.timeline.push(...releaseTimeline({ smoke: ['failed', 'smoke test failed'] }))
  const where = ctx.report.images.length > 1 ? `component ${component}, ${platform}` : platform
  const failure = new ReleaseError(
    'smoke',
    `smoke test failed on ${where}: ${failing.check}: ${failing.detail}`,
    'untagged manifests only',
    'fix the image for the platform named above and re-run the workflow',
  )
  return { ctx, failure }
}

function releaseContext(values: Record<string, string>): Run {
  const ctx = contextFor(
    { image: `${REGISTRY}/app`, 'smoke-run': '--version', 'smoke-http': '8080/health', ...values },
    {},
  )
  ctx.report.version = '1.2.3'
  ctx.report.gitTag = 'v1.2.3'
  return ctx
}

const COMPONENTS = [
  '- name: api',
  `  image: ${REGISTRY}/api`,
  '- name: worker',
  `  image: ${REGISTRY}/worker`,
  '  smoke-run: [work --once]',
].join('\n')

/** api runs --version and the probe; worker its own command and the probe: the union, in order. */
const COMPONENT_CHECKS = [
  'Pull',
  'Architecture',
  'Run --version',
  'HTTP 8080/health',
  'Run work --once',
]

const HOSTILE_RUN = 'sh -c "echo a|b: `c` *d* $HOME <e>"'
const HOSTILE_WORDS = [parseSmokeCommand(HOSTILE_RUN)].flat().join(' ')
const HOSTILE_DETAIL = 'exit 2: a|b: c\n| not | a | row |\n# not a heading'

interface PlatformExpectation {
  readonly row: Record<string, string>
}

interface Scenario {
  readonly ctx: Run
  readonly failure?: ReleaseError
  /** The heading: its mark and what it must say. */
  readonly result: RegExp
  /** The platform table's check columns, after Platform and Manifest, before Smoke and Duration. */
  readonly checkColumns: string[]
  readonly platforms: PlatformExpectation[]
  /** Tag → digest rows; empty when no tag is final. */
  readonly tags: [string, string][]
  readonly releaseUrl?: string
}

const ok = (columns: string[]): Record<string, string> =>
  Object.fromEntries(columns.map((c) => [c, '✅']))

function scenarios(): [string, Scenario][] {
  const success = releaseContext({})
  verify(success)
  promote(success)
  publish(success)
  success.report.timeline.push(...releaseTimeline({ sign: ['skipped', 'sign is none'] }))
  const successChecks = ['Pull', 'Architecture', 'Run --version', 'HTTP 8080/health']
  const successDigest = success.report.images[0]?.candidate?.digest ?? ''

  const { ctx: smokeFails, failure: smokeFailure } = smokeStopped({}, 'app', 'linux/arm64', {
    check: 'run --version',
    detail: 'exit 1: bad arch',
  })

  const promoteFails = releaseContext({})
  verify(promoteFails)
  promoteFails.report.visible.push({ kind: 'draft', id: 3, url: `${RELEASE_URL}-draft` })
  const versionTag = { tag: '1.2.3' }
  promoteFails.report.visible.push({
    kind: 'tag',
    ref: `${REGISTRY}/app:${versionTag?.tag ?? ''}`,
    floating: false,
  })
  promoteFails.report.timeline.push(...releaseTimeline({ promote: ['failed', 'denied'] }))
  const promoteFailure = new ReleaseError(
    'promote',
    `${REGISTRY}/app:latest: denied: requested access to the resource is denied`,
    'tags promoted',
    're-run the workflow: the image is already promoted, the run will only publish the release',
  )

  // A re-run: the verified digest is reused, so build and smoke are skipped.
  const rerun = releaseContext({})
  verify(rerun)
  for (const run of rerun.report.images) {
    run.reused = 'verified record'
    for (const result of run.platforms.values()) delete result.smoke
  }
  promote(rerun)
  publish(rerun)
  rerun.report.timeline.push(
    ...releaseTimeline({
      build: [
        'skipped',
        'the digest of this commit was already verified (verified record): no rebuild',
      ],
      smoke: [
        'skipped',
        'the digest was reused from the verified record: it passed every check before',
      ],
      'mark-verified': ['skipped', 'already verified'],
      sign: ['skipped', 'sign is none'],
    }),
  )

  const { ctx: several, failure: severalFailure } = smokeStopped(
    { image: '', components: COMPONENTS },
    'worker',
    'linux/amd64',
    { check: 'architecture', detail: 'built for arm64' },
  )

  const released = releaseContext({ image: '', components: COMPONENTS })
  verify(released)
  promote(released)
  publish(released)
  released.report.timeline.push(...releaseTimeline())
  const digestOfImage = (name: string): string =>
    released.report.images.find((r) => r.build.name === name)?.candidate?.digest ?? ''

  const hostile = releaseContext({ 'smoke-run': HOSTILE_RUN, 'smoke-http': '' })
  verify(hostile, { 'app linux/arm64': { check: `run ${HOSTILE_WORDS}`, detail: HOSTILE_DETAIL } })
  hostile.report.timeline.push(
    ...releaseTimeline({ build: ['skipped', 'a|b: *not* `code` <br> #7'] }).slice(0, 4),
    ...timeline([['smoke: #1 | `x`', 'failed', 250, 'x']]),
  )
  const hostileFailure = new ReleaseError(
    'smoke: #1 | `x`',
    `smoke test failed on linux/arm64: run ${HOSTILE_WORDS}: ${HOSTILE_DETAIL}`,
    'untagged manifests only',
    'fix *it* | then `re-run`',
  )

  return [
    [
      'a published release',
      {
        ctx: success,
        result: /^✅ Released 1\.2\.3 — 2 platforms, 4 tags, Release published$/,
        checkColumns: successChecks,
        platforms: ['linux/amd64', 'linux/arm64'].map((platform) => ({
          row: { Platform: platform, ...ok(successChecks), Smoke: 'passed: 4 checks' },
        })),
        tags: ['1.2.3', '1.2', '1', 'latest'].map((t) => [`${REGISTRY}/app:${t}`, successDigest]),
        releaseUrl: RELEASE_URL,
      },
    ],
    [
      'smoke failing on one platform: ❌ at the failed check, the other checks still reported',
      {
        ctx: smokeFails,
        failure: smokeFailure,
        result: /^❌ Release 1\.2\.3 failed in smoke — visible: untagged manifests only$/,
        checkColumns: successChecks,
        platforms: [
          { row: { Platform: 'linux/amd64', ...ok(successChecks), Smoke: 'passed: 4 checks' } },
          {
            row: {
              Platform: 'linux/arm64',
              Pull: '✅',
              Architecture: '✅',
              'Run --version': '❌',
              'HTTP 8080/health': '✅',
              Smoke: 'failed: run --version: exit 1: bad arch',
            },
          },
        ],
        tags: [],
      },
    ],
    [
      'promotion failing in a middle step: the tag that is out, the draft, no Release',
      {
        ctx: promoteFails,
        failure: promoteFailure,
        result: /^❌ Release 1\.2\.3 failed in promote — visible: tags promoted$/,
        checkColumns: successChecks,
        platforms: ['linux/amd64', 'linux/arm64'].map((platform) => ({
          row: { Platform: platform, ...ok(successChecks) },
        })),
        tags: [[`${REGISTRY}/app:1.2.3`, promoteFails.report.images[0]?.candidate?.digest ?? '']],
        releaseUrl: `${RELEASE_URL}-draft`,
      },
    ],
    [
      'a re-run with build and smoke skipped',
      {
        ctx: rerun,
        result:
          /^✅ Released 1\.2\.3 — 2 platforms, 4 tags, Release published, reused the verified digest$/,
        checkColumns: [],
        platforms: ['linux/amd64', 'linux/arm64'].map((platform) => ({
          row: { Platform: platform, Smoke: '—', Duration: '—' },
        })),
        tags: ['1.2.3', '1.2', '1', 'latest'].map((t) => [
          `${REGISTRY}/app:${t}`,
          rerun.report.images[0]?.candidate?.digest ?? '',
        ]),
        releaseUrl: RELEASE_URL,
      },
    ],
    [
      'several components: a row per component and platform, the union of their checks',
      {
        ctx: several,
        failure: severalFailure,
        result: /^❌ Release 1\.2\.3 failed in smoke — visible: untagged manifests only$/,
        checkColumns: COMPONENT_CHECKS,
        platforms: [
          ...['linux/amd64', 'linux/arm64'].map((platform) => ({
            row: {
              Component: 'api',
              Platform: platform,
              ...ok(['Pull', 'Architecture', 'Run --version', 'HTTP 8080/health']),
              'Run work --once': '—',
            },
          })),
          {
            row: {
              Component: 'worker',
              Platform: 'linux/amd64',
              Pull: '✅',
              Architecture: '❌',
              'Run --version': '—',
              'HTTP 8080/health': '✅',
              'Run work --once': '✅',
              Smoke: 'failed: architecture: built for arm64',
            },
          },
          {
            row: {
              Component: 'worker',
              Platform: 'linux/arm64',
              ...ok(['Pull', 'Architecture', 'Run work --once', 'HTTP 8080/health']),
              'Run --version': '—',
            },
          },
        ],
        tags: [],
      },
    ],
    [
      "several components released: each image's tags with its own digest",
      {
        ctx: released,
        result: /^✅ Released 1\.2\.3 — 2 components, 2 platforms, 8 tags, Release published$/,
        checkColumns: COMPONENT_CHECKS,
        platforms: ['api', 'worker'].flatMap((component) =>
          ['linux/amd64', 'linux/arm64'].map((platform) => ({
            row: { Component: component, Platform: platform, Smoke: 'passed: 4 checks' },
          })),
        ),
        tags: ['1.2.3', '1.2', '1', 'latest'].flatMap((t) =>
          ['api', 'worker'].map((name): [string, string] => [
            `${REGISTRY}/${name}:${t}`,
            digestOfImage(name),
          ]),
        ),
        releaseUrl: RELEASE_URL,
      },
    ],
    [
      'hostile names with | : ` * $ < > # and line breaks stay text, in their own cells',
      {
        ctx: hostile,
        failure: hostileFailure,
        result:
          /^❌ Release 1\.2\.3 failed in smoke: #1 \| `x` — visible: untagged manifests only$/,
        checkColumns: ['Pull', 'Architecture', `Run ${HOSTILE_WORDS}`],
        platforms: [
          {
            row: {
              Platform: 'linux/amd64',
              ...ok(['Pull', 'Architecture', `Run ${HOSTILE_WORDS}`]),
            },
          },
          {
            row: {
              Platform: 'linux/arm64',
              [`Run ${HOSTILE_WORDS}`]: '❌',
              Smoke: `failed: run ${HOSTILE_WORDS}: ${HOSTILE_DETAIL}`,
            },
          },
        ],
        tags: [],
      },
    ],
  ]
}

describe('renderSummary, read as GitHub reads it (CommonMark + GFM)', () => {
  test.each(scenarios())('%s', (_name, scenario) => {
    const { ctx, failure } = scenario
    const markdown = renderSummary(ctx, failure)
    const root = parseSummary(markdown)

    // The result line comes first.
    expect(root.children[0]?.type).toBe('heading')
    expect(plain(root.children[0] ?? root)).toMatch(scenario.result)
    expect(headings(root).filter((h) => h.depth <= 2)).toHaveLength(1)

    // On failure, the cause and the remedy as the user wrote them, right after it.
    const texts = paragraphs(root).map((p) => plain(p))
    if (failure) {
      expect(root.children.slice(1, 3).map((n) => plain(n))).toEqual([
        `Cause: ${failure.reason}`,
        `Remedy: ${failure.remedy}`,
      ])
    } else {
      expect(texts.filter((t) => /^(Cause|Remedy):/.test(t))).toEqual([])
    }

    // A row per component × platform, a column per check that ran.
    const several = ctx.report.images.length > 1
    const platformTable = tableStarting(root, ...(several ? ['Component'] : []), 'Platform')
    expect(platformTable.header).toEqual([
      ...(several ? ['Component'] : []),
      'Platform',
      'Manifest',
      ...scenario.checkColumns,
      'Smoke',
      'Duration',
    ])
    const rows = records(platformTable)
    expect(rows).toHaveLength(scenario.platforms.length)
    for (const [i, { row }] of scenario.platforms.entries()) {
      expect(rows[i]).toMatchObject(row)
      const run = ctx.report.images.find((r) => r.build.name === (row.Component ?? r.build.name))
      const result = run?.platforms.get(row.Platform ?? '')
      expect(rows[i]?.Manifest).toBe(`${result?.manifestDigest?.slice(0, 19) ?? ''}… ✅`)
      if (result?.smoke) expect(rows[i]?.Duration).toBe(`${(result.smoke.ms / 1000).toFixed(1)} s`)
    }

    // Each final tag with the digest it points at.
    const tagTables = tables(root).filter((t) => t.header.join() === 'Tag,Digest')
    expect(tagTables.flatMap((t) => t.rows)).toEqual(scenario.tags)

    // The Release (or the draft) as a link.
    expect(links(root).map((l) => l.url)).toEqual(scenario.releaseUrl ? [scenario.releaseUrl] : [])

    // The timeline: a Mermaid gantt with a task per step that ran, the failed one crit.
    const [chart, ...more] = codeBlocks(root, 'mermaid')
    expect(more).toEqual([])
    const lines = (chart?.value ?? '').split('\n').map((l) => l.trim())
    expect(lines[0]).toBe('gantt')
    expect(lines).toContain('dateFormat x')
    const ran = ctx.report.timeline.filter((s) => s.outcome !== 'skipped')
    const tasks = ganttTasks(chart?.value ?? '')
    expect(tasks.map((t) => [t.start, t.end])).toEqual(ran.map((s) => [s.startedAt, s.endedAt]))
    for (const [i, task] of tasks.entries()) {
      expect(task.start).toBeLessThanOrEqual(task.end)
      expect(task.name).not.toMatch(/[:#;%]/)
      expect(task.name).toMatch(/\S/)
      expect(task.tags).toEqual([ran[i]?.outcome === 'failed' ? 'crit' : 'done'])
    }
    expect(new Set(tasks.map((t) => t.id)).size).toBe(tasks.length)

    // The step table stays, one row per step, with the outcome and the time.
    const stepTable = tableStarting(root, 'Step', 'Outcome', 'Time')
    expect(stepTable.rows).toEqual(
      ctx.report.timeline.map((s) => [
        s.name,
        s.outcome === 'skipped' ? `skipped: ${s.note ?? ''}` : (s.outcome ?? ''),
        `${(((s.endedAt ?? 0) - s.startedAt) / 1000).toFixed(1)} s`,
      ]),
    )
  })

  test.each(scenarios())(
    '%s: the lines other code reads keep their format',
    (_name, { ctx, failure }) => {
      const markdown = renderSummary(ctx, failure)
      // bench/support reads each step's start and end from the raw text of the timeline.
      const ran = ctx.report.timeline.filter((s) => s.outcome !== 'skipped')
      expect(timelineOf(markdown, 1000)).toEqual(
        ran.map((s) => ({
          name: mermaidName(s.name),
          startMs: s.startedAt - 1000,
          endMs: Math.max(s.startedAt, s.endedAt ?? s.startedAt) - 1000,
        })),
      )
      // The e2e tests find a platform's row by `| linux/arm64 | \`sha256:` and `| passed: `.
      for (const run of ctx.report.images) {
        for (const [platform, result] of run.platforms) {
          const prefix = ctx.report.images.length > 1 ? `| ${run.build.name} ` : ''
          expect(markdown).toContain(`${prefix}| ${platform} | \`sha256:`)
          if (result.smoke) {
            expect(markdown).toMatch(
              new RegExp(
                `^${prefix.replace('|', '\\|')}\\| ${platform} \\| .* \\| ${result.smoke.ok ? 'passed' : 'failed'}: `,
                'm',
              ),
            )
          }
        }
      }
    },
  )
})

describe('result lines of the other kinds of run', () => {
  test.each<[string, (ctx: Run) => void, RegExp]>([
    [
      'a build-only run',
      (ctx) => {
        Object.assign(ctx, { mode: 'build' })
      },
      /^✅ Built 2 platforms — nothing pushed \(build-only run\)$/,
    ],
    [
      'a build-platform run',
      (ctx) => {
        Object.assign(ctx, { mode: 'build-platform' })
      },
      /^✅ Built and checked linux\/amd64, linux\/arm64 — candidate pushed for the release job$/,
    ],
    [
      'a rollback',
      (ctx) => {
        Object.assign(ctx, { mode: 'rollback' })
        ctx.report.moves.push({
          ref: `${REGISTRY}/app:latest`,
          from: '1.3.0 (sha256:1)',
          to: '1.2.3 (sha256:2)',
        })
        ctx.report.timeline.push(...timeline([['mark-latest', 'done', 100]]))
      },
      /^✅ Rolled back to 1\.2\.3 — 1 tag moved, Release marked latest$/,
    ],
    [
      'a release skipped on purpose',
      (ctx) => {
        ctx.report.skipped = 'pull request #7 is labelled type:docs'
      },
      /^⏭️ Nothing released — pull request #7 is labelled type:docs$/,
    ],
  ])('%s', (_name, arrange, result) => {
    const ctx = releaseContext({})
    arrange(ctx)
    const root = parseSummary(renderSummary(ctx))
    expect(plain(headings(root)[0] ?? root)).toMatch(result)
  })

  test('a rollback lists each moved tag: from where, to where', () => {
    const ctx = releaseContext({})
    Object.assign(ctx, { mode: 'rollback' })
    const move = { ref: `${REGISTRY}/app:latest`, from: '1.3.0 (sha256:1)', to: '1.2.3 (sha256:2)' }
    ctx.report.moves.push(move)
    const table = tableStarting(parseSummary(renderSummary(ctx)), 'Tag', 'From', 'To')
    expect(table.rows).toEqual([[move.ref, move.from, move.to]])
  })
})

test('an architecture check that found nothing to inspect is not shown as passed', () => {
  const ctx = releaseContext({ 'smoke-run': '', 'smoke-http': '' })
  verify(ctx)
  for (const result of ctx.report.images[0]?.platforms.values() ?? []) {
    const checks = result.smoke?.checks?.map((c) =>
      c.name === 'architecture'
        ? { ...c, detail: 'not checked: the image has no entrypoint or command' }
        : c,
    )
    if (result.smoke && checks) result.smoke = { ...result.smoke, checks }
  }
  const table = tableStarting(parseSummary(renderSummary(ctx)), 'Platform')
  expect(records(table).map((r) => [r.Pull, r.Architecture])).toEqual([
    ['✅', '—'],
    ['✅', '—'],
  ])
})

describe('the failure annotation', () => {
  test('names the step in its title and carries the cause, what is visible and the remedy', () => {
    const failure = new ReleaseError('promote', 'denied', 'tags promoted', 're-run the workflow')
    const { title, message } = failureAnnotation(failure)
    expect(title).toBe('multiarch-release: promote failed')
    expect(message.split('\n')).toEqual([
      "Step 'promote' failed: denied",
      'Visible to users: tags promoted.',
      'Remedy: re-run the workflow',
    ])
  })
})

describe('progress lines', () => {
  test('count the parts in the order they finish, with their time and what failed', () => {
    const line = progress('smoke', 3)
    expect([
      line('linux/arm64', 'passed', 4200),
      line('component web, linux/amd64', 'failed', 812, 'run true'),
      line('linux/riscv64', 'passed', 49),
    ]).toEqual([
      'smoke 1/3 linux/arm64 passed in 4.2 s',
      'smoke 2/3 component web, linux/amd64 failed in 0.8 s: run true',
      'smoke 3/3 linux/riscv64 passed in 0.0 s',
    ])
  })
})
