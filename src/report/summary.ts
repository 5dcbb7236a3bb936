import type { ImageRun, PlatformResult, RunContext } from '../context.js'
import type { ReleaseError } from '../model/errors.js'
import type { RemovedContainer } from '../model/container-owner.js'
import { formatPlatform } from '../model/platform.js'
import type { SmokeCheck } from '../smoke/platform-smoke.js'
import { code, link, table, text } from './markdown.js'
import { seconds } from './progress.js'
import { renderGantt } from './timeline.js'

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

const platformsOf = (ctx: RunContext): string[] => [
  ...new Set(ctx.images.flatMap((run) => run.build.platforms.map(formatPlatform))),
]

/** What was built, counted: "2 platforms", or "3 components, 2 platforms". */
function extent(ctx: RunContext): string {
  const platforms = plural(platformsOf(ctx).length, 'platform')
  return ctx.images.length > 1
    ? `${plural(ctx.images.length, 'component')}, ${platforms}`
    : platforms
}

/** The first line: did it work, what came out, and on failure where it stopped. */
function resultLine(ctx: RunContext, failure?: ReleaseError): string {
  const version = ctx.plan?.version ?? ''
  if (failure) {
    const what =
      ctx.mode === 'build'
        ? 'Build'
        : ctx.mode === 'rollback'
          ? `Rollback to ${version}`
          : ctx.mode === 'build-platform'
            ? `Platform build ${version}`
            : `Release ${version}`
    return `❌ ${text(what.trim())} failed in ${text(failure.step)} — visible: ${failure.visible}`
  }
  if (ctx.skipped !== undefined) return `⏭️ Nothing released — ${text(ctx.skipped)}`
  const tags = ctx.visible.filter((v) => v.kind === 'tag').length
  const reused = ctx.images.every((run) => run.reused) ? ', reused the verified digest' : ''
  switch (ctx.mode) {
    case 'build':
      return ctx.trigger.kind === 'build' && ctx.trigger.reason !== undefined
        ? `✅ Built ${extent(ctx)} — nothing pushed: ${text(ctx.trigger.reason)}`
        : `✅ Built ${extent(ctx)} — nothing pushed (build-only run)`
    case 'build-platform':
      return `✅ Built and checked ${text(platformsOf(ctx).join(', '))} — candidate pushed for the release job`
    case 'rollback': {
      const latest = ctx.timeline.some((s) => s.name === 'mark-latest' && s.outcome === 'done')
      return `✅ Rolled back to ${text(version)} — ${plural(ctx.moves.length, 'tag')} moved${latest ? ', Release marked latest' : ''}`
    }
    case 'release': {
      const release = ctx.releaseDone
        ? 'Release already published'
        : ctx.visible.some((v) => v.kind === 'release')
          ? 'Release published'
          : 'no Release'
      return `✅ Released ${text(version)} — ${extent(ctx)}, ${plural(tags, 'tag')}, ${release}${reused}`
    }
  }
  // A kind of run added later still gets a result line.
  return `✅ ${text(String(ctx.mode))} run finished`
}

/** Checks named as column headings: Run `--version`, HTTP `8080/health`. */
function checkHeading(name: string): string {
  const [, kind, rest = ''] = /^(run|http) ([\s\S]*)$/.exec(name) ?? []
  if (kind === 'run') return `Run ${code(rest)}`
  if (kind === 'http') return `HTTP ${code(rest)}`
  return text(name.charAt(0).toUpperCase() + name.slice(1))
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

function smokeCell(result: PlatformResult | undefined): string {
  const smoke = result?.smoke
  if (smoke === undefined) return '—'
  const checks = smoke.checks
  if (smoke.ok)
    return checks ? `passed: ${plural(checks.length, 'check')}` : `passed: ${text(smoke.detail)}`
  const failed = checks?.find((c) => !c.ok)
  return `failed: ${text(failed ? `${failed.name}: ${failed.detail}` : smoke.detail)}`
}

/** One row per component × platform; a column per check that ran anywhere, in the order they ran. */
function platformTable(ctx: RunContext): string[] {
  const several = ctx.images.length > 1
  const rows = ctx.images.flatMap((run) =>
    run.build.platforms.map(formatPlatform).map((platform) => ({
      run,
      platform,
      result: run.platforms.get(platform),
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
    rows.map(({ run, platform, result }) => {
      const checks = result?.smoke?.checks ?? []
      const digest = result?.manifestDigest
      return [
        ...(several ? [text(run.build.name)] : []),
        text(platform),
        digest ? `\`${digest.slice(0, 19)}…\` ✅` : '—',
        ...checkNames.map((name) => mark(checkNamed(checks, name))),
        smokeCell(result),
        result?.smoke ? seconds(result.smoke.ms) : '—',
      ]
    }),
  )
}

/** The image that a tag reference belongs to. */
function imageOf(ctx: RunContext, ref: string): ImageRun | undefined {
  return ctx.images.find((run) => ref.startsWith(`${run.build.image.name}:`))
}

/** Each final tag and the digest it points at; floating tags left at a newer version say so. */
function tagTable(ctx: RunContext): string[] {
  const rows = ctx.visible.flatMap((v) =>
    v.kind === 'tag' ? [[code(v.ref), code(imageOf(ctx, v.ref)?.candidate?.digest ?? '?')]] : [],
  )
  for (const run of ctx.images) {
    for (const kept of run.keptFloating) {
      rows.push([code(`${run.build.image.name}:${kept.tag}`), `stays: ${text(kept.reason)}`])
    }
  }
  const latest = ctx.latest
    ? [
        `GitHub's Latest: ${ctx.latest.latest ? 'this Release' : 'unchanged'} (${text(ctx.latest.reason)})`,
        '',
      ]
    : []
  return rows.length > 0 ? ['### Tags', '', ...table(['Tag', 'Digest'], rows), '', ...latest] : []
}

/** Build cache use and attestations, per image. */
function notes(ctx: RunContext): string[] {
  return ctx.images.flatMap((run) => {
    const found = [
      run.cache && run.cache.steps > 0
        ? `build cache: ${run.cache.cached} of ${run.cache.steps} steps cached`
        : '',
      run.attestations !== undefined
        ? `attestations: ${run.attestations} (provenance/SBOM manifests, not platforms)`
        : '',
    ].filter((n) => n !== '')
    const name = ctx.images.length > 1 ? `${text(run.build.name)}: ` : ''
    return found.length > 0 ? [`${name}${found.join('; ')}`, ''] : []
  })
}

function releaseLine(ctx: RunContext): string[] {
  const label = ctx.release?.tagName || ctx.plan?.gitTag || 'Release'
  const published = ctx.visible.find((v) => v.kind === 'release')
  if (published) return [`Release: ${link(label, published.url)}`, '']
  const draft = ctx.visible.find((v) => v.kind === 'draft')
  if (draft) return [`Draft Release (not visible to users): ${link(label, draft.url)}`, '']
  return []
}

function stepTable(ctx: RunContext): string[] {
  return table(
    ['Step', 'Outcome', 'Time'],
    ctx.timeline.map((step) => [
      text(step.name),
      text(
        step.outcome === 'skipped'
          ? `skipped: ${step.note ?? ''}`
          : (step.outcome ?? 'not finished'),
      ),
      step.endedAt ? seconds(step.endedAt - step.startedAt) : '',
    ]),
  )
}

/**
 * The job summary in Markdown, read at a glance: the result line (on failure, the cause and the
 * remedy), the platform × check table, the tags with their digest, the Release, and the steps
 * as a Mermaid Gantt chart above their table.
 */
export function renderSummary(ctx: RunContext, failure?: ReleaseError): string {
  const lines = [`## ${resultLine(ctx, failure)}`, '']
  if (failure) {
    lines.push(`**Cause:** ${text(failure.reason)}`, '', `**Remedy:** ${text(failure.remedy)}`, '')
  }
  lines.push('### Platforms', '', ...platformTable(ctx), '', ...notes(ctx))
  for (const run of ctx.images) {
    if (run.candidate) {
      lines.push(
        `Candidate: ${code(run.candidate.ref, 'paragraph')} (${code(run.candidate.digest, 'paragraph')})`,
        '',
      )
    }
  }
  if (ctx.moves.length > 0) {
    lines.push(
      ...table(
        ['Tag', 'From', 'To'],
        ctx.moves.map((m) => [code(m.ref), text(m.from), text(m.to)]),
      ),
      '',
    )
  }
  lines.push(...tagTable(ctx), ...releaseLine(ctx))
  const gantt = renderGantt(ctx.timeline)
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
  const rows = removed.map((c) => [code(c.name), text(c.repository), text(c.run), text(c.reason)])
  return (
    [
      `### ${text(heading)}`,
      '',
      ...table(['Container', 'Repository', 'Run', 'Why'], rows),
      '',
    ].join('\n') + '\n'
  )
}
