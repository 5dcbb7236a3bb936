import type { Run } from '../run/run.js'
import type { ImageReport, PlatformReport } from '../run/report.js'
import type { ReleaseError } from '../model/errors.js'
import type { RemovedContainer } from '../model/container-owner.js'
import { formatPlatform } from '../model/platform.js'
import type { SmokeCheck } from '../smoke/platform-smoke.js'
import { code, escaped, link, table } from './markdown.js'
import { formatSeconds } from '../model/progress.js'
import { renderGantt } from './timeline.js'

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

const platformsOf = (ctx: Run): string[] => [
  ...new Set(ctx.report.images.flatMap((image) => image.build.platforms.map(formatPlatform))),
]

/** What was built, counted: "2 platforms", or "3 components, 2 platforms". */
function extent(ctx: Run): string {
  const platforms = plural(platformsOf(ctx).length, 'platform')
  return ctx.report.images.length > 1
    ? `${plural(ctx.report.images.length, 'component')}, ${platforms}`
    : platforms
}

/** The first line: did it work, what came out, and on failure where it stopped. */
function resultLine(ctx: Run, failure?: ReleaseError): string {
  const version = ctx.report.version ?? ''
  if (failure) {
    const what =
      ctx.mode === 'build'
        ? 'Build'
        : ctx.mode === 'rollback'
          ? `Rollback to ${version}`
          : ctx.mode === 'build-platform'
            ? `Platform build ${version}`
            : `Release ${version}`
    return `❌ ${escaped(what.trim())} failed in ${escaped(failure.step)} — visible: ${failure.visible}`
  }
  if (ctx.report.skipped !== undefined)
    return `⏭️ Nothing released — ${escaped(ctx.report.skipped)}`
  const tags = ctx.report.visible.filter((v) => v.kind === 'tag').length
  const reused = ctx.report.images.every((image) => image.reused)
    ? ', reused the verified digest'
    : ''
  switch (ctx.mode) {
    case 'build':
      return ctx.trigger.kind === 'build' && ctx.trigger.reason !== undefined
        ? `✅ Built ${extent(ctx)} — nothing pushed: ${escaped(ctx.trigger.reason)}`
        : `✅ Built ${extent(ctx)} — nothing pushed (build-only run)`
    case 'build-platform':
      return `✅ Built and checked ${escaped(platformsOf(ctx).join(', '))} — candidate pushed for the release job`
    case 'rollback': {
      const latest = ctx.report.timeline.some(
        (s) => s.name === 'mark-latest' && s.outcome === 'done',
      )
      return `✅ Rolled back to ${escaped(version)} — ${plural(ctx.report.moves.length, 'tag')} moved${latest ? ', Release marked latest' : ''}`
    }
    case 'release': {
      const release = ctx.report.releaseDone
        ? 'Release already published'
        : ctx.report.visible.some((v) => v.kind === 'release')
          ? 'Release published'
          : ctx.report.awaitingReview
            ? 'Release left a draft awaiting review'
            : 'no Release'
      return `✅ Released ${escaped(version)} — ${extent(ctx)}, ${plural(tags, 'tag')}, ${release}${reused}`
    }
  }
  // A kind of run added later still gets a result line.
  return `✅ ${escaped(String(ctx.mode))} run finished`
}

/** Checks named as column headings: Run `--version`, HTTP `8080/health`. */
function checkHeading(name: string): string {
  const [, kind, rest = ''] = /^(run|http) ([\s\S]*)$/.exec(name) ?? []
  if (kind === 'run') return `Run ${code(rest)}`
  if (kind === 'http') return `HTTP ${code(rest)}`
  return escaped(name.charAt(0).toUpperCase() + name.slice(1))
}

/** The check of that name; a failed one first (two smoke-run lines may be the same command). */
const checkNamed = (checks: readonly SmokeCheck[], name: string): SmokeCheck | undefined =>
  checks.find((c) => c.name === name && !c.ok) ?? checks.find((c) => c.name === name)

/** ✅ passed, ❌ failed, — not run; an architecture check with nothing to inspect did not check. */
function mark(check: SmokeCheck | undefined): string {
  if (check === undefined) return '—'
  if (!check.ok) return '❌'
  return check.detail.startsWith('not checked') ? '—' : '✅'
}

function smokeCell(result: PlatformReport | undefined): string {
  const smoke = result?.smoke
  if (smoke === undefined) return '—'
  const checks = smoke.checks
  if (smoke.ok)
    return checks ? `passed: ${plural(checks.length, 'check')}` : `passed: ${escaped(smoke.detail)}`
  const failed = checks?.find((c) => !c.ok)
  return `failed: ${escaped(failed ? `${failed.name}: ${failed.detail}` : smoke.detail)}`
}

/** One row per component × platform; a column per check that ran anywhere, in the order they ran. */
function platformTable(ctx: Run): string[] {
  const several = ctx.report.images.length > 1
  const rows = ctx.report.images.flatMap((image) =>
    image.build.platforms.map(formatPlatform).map((platform) => ({
      image,
      platform,
      result: image.platforms.get(platform),
    })),
  )
  const checkNames = [
    ...new Set(rows.flatMap((r) => (r.result?.smoke?.checks ?? []).map((c) => c.name))),
  ]
  const header = [
    ...(several ? ['Component'] : []),
    'Platform',
    'Manifest',
    ...checkNames.map(checkHeading),
    'Smoke',
    'Duration',
  ]
  return table(
    header,
    rows.map(({ image, platform, result }) => {
      const checks = result?.smoke?.checks ?? []
      const digest = result?.manifestDigest
      return [
        ...(several ? [escaped(image.build.name)] : []),
        escaped(platform),
        digest ? `\`${digest.slice(0, 19)}…\` ✅` : '—',
        ...checkNames.map((name) => mark(checkNamed(checks, name))),
        smokeCell(result),
        result?.smoke ? formatSeconds(result.smoke.ms) : '—',
      ]
    }),
  )
}

/** The image that a tag reference belongs to. */
function imageOf(ctx: Run, ref: string): ImageReport | undefined {
  return ctx.report.images.find((image) =>
    image.build.repositories.some((r) => ref.startsWith(`${r.name}:`)),
  )
}

/** Each final tag and the digest it points at; floating tags left at a newer version say so. */
function tagTable(ctx: Run): string[] {
  const rows = ctx.report.visible.flatMap((v) =>
    v.kind === 'tag' ? [[code(v.ref), code(imageOf(ctx, v.ref)?.candidate?.digest ?? '?')]] : [],
  )
  for (const image of ctx.report.images) {
    for (const kept of image.kept) {
      rows.push([code(kept.ref), `stays: ${escaped(kept.reason)}`])
    }
    for (const signature of image.signatures)
      rows.push([code(signature), 'cosign signature of the digest (stays, as asked for)'])
  }
  const latest = ctx.report.latest
    ? [
        `GitHub's Latest: ${ctx.report.latest.latest ? 'this Release' : 'unchanged'} (${escaped(ctx.report.latest.reason)})`,
        '',
      ]
    : []
  return rows.length > 0 ? ['### Tags', '', ...table(['Tag', 'Digest'], rows), '', ...latest] : []
}

/** Build cache use and attestations, per image. */
function notes(ctx: Run): string[] {
  return ctx.report.images.flatMap((image) => {
    const found = [
      image.cache && image.cache.steps > 0
        ? `build cache: ${image.cache.cached} of ${image.cache.steps} steps cached`
        : '',
      image.attestations !== undefined
        ? `attestations: ${image.attestations} (provenance/SBOM manifests, not platforms)`
        : '',
    ].filter((n) => n !== '')
    const name = ctx.report.images.length > 1 ? `${escaped(image.build.name)}: ` : ''
    return found.length > 0 ? [`${name}${found.join('; ')}`, ''] : []
  })
}

function releaseLine(ctx: Run): string[] {
  const label = ctx.report.gitTag || 'Release'
  const published = ctx.report.visible.find((v) => v.kind === 'release')
  if (published) return [`Release: ${link(label, published.url)}`, '']
  const review = ctx.report.awaitingReview
  if (review) {
    return [
      `Draft Release awaiting review (release-draft: publish it on GitHub when ready): ${link(label, review.url)}`,
      '',
    ]
  }
  const draft = ctx.report.visible.find((v) => v.kind === 'draft')
  if (draft) return [`Draft Release (not visible to users): ${link(label, draft.url)}`, '']
  return []
}

function stepTable(ctx: Run): string[] {
  return table(
    ['Step', 'Outcome', 'Time'],
    ctx.report.timeline.map((step) => [
      escaped(step.name),
      escaped(
        step.outcome === 'skipped'
          ? `skipped: ${step.note ?? ''}`
          : (step.outcome ?? 'not finished'),
      ),
      step.endedAt ? formatSeconds(step.endedAt - step.startedAt) : '',
    ]),
  )
}

/**
 * The job summary in Markdown, read at a glance: the result line (on failure, the cause and the
 * remedy), the platform × check table, the tags with their digest, the Release, and the steps
 * as a Mermaid Gantt chart above their table.
 */
export function renderSummary(ctx: Run, failure?: ReleaseError): string {
  const lines = [`## ${resultLine(ctx, failure)}`, '']
  if (failure) {
    lines.push(
      `**Cause:** ${escaped(failure.reason)}`,
      '',
      `**Remedy:** ${escaped(failure.remedy)}`,
      '',
    )
  }
  lines.push('### Platforms', '', ...platformTable(ctx), '', ...notes(ctx))
  for (const image of ctx.report.images) {
    if (image.candidate) {
      lines.push(
        `Candidate: ${code(image.candidate.ref, 'paragraph')} (${code(image.candidate.digest, 'paragraph')})`,
        '',
      )
      const further = image.build.repositories.slice(1)
      if (further.length > 0)
        lines.push(
          `Repositories: ${image.build.repositories.map((r) => code(r.name, 'paragraph')).join(', ')}`,
          '',
        )
    }
  }
  if (ctx.report.moves.length > 0) {
    lines.push(
      ...table(
        ['Tag', 'From', 'To'],
        ctx.report.moves.map((m) => [code(m.ref), escaped(m.from), escaped(m.to)]),
      ),
      '',
    )
  }
  lines.push(...tagTable(ctx), ...releaseLine(ctx))
  const gantt = renderGantt(ctx.report.timeline)
  lines.push('### Steps', '', ...(gantt.length > 0 ? [...gantt, ''] : []), ...stepTable(ctx))
  return lines.join('\n') + '\n'
}

/** The ::error annotation of a failed run: a title naming the step, the message with the remedy. */
export function failureAnnotation(failure: ReleaseError): { title: string; message: string } {
  return { title: `multiarch-release: ${failure.step} failed`, message: failure.message }
}

/**
 * Containers the run removed that runs of the action had left (killed during their smoke
 * tests); empty when there were none. `heading` says who removed them (the run, its post step).
 */
export function removedContainersSection(
  removed: readonly RemovedContainer[],
  heading = 'Left-over containers removed',
): string {
  if (removed.length === 0) return ''
  const rows = removed.map((c) => [
    code(c.name),
    escaped(c.repository),
    escaped(c.run),
    escaped(c.reason),
  ])
  return (
    [
      `### ${escaped(heading)}`,
      '',
      ...table(['Container', 'Repository', 'Run', 'Why'], rows),
      '',
    ].join('\n') + '\n'
  )
}
