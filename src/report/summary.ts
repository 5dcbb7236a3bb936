import type { RunContext } from '../context.js'
import { visibility } from '../context.js'
import type { ReleaseError } from '../model/errors.js'
import { formatPlatform } from '../model/platform.js'

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, '<br>')

/** The job summary in Markdown: result, platforms, what is visible, and the step timeline. */
export function renderSummary(ctx: RunContext, failure?: ReleaseError): string {
  const lines: string[] = []
  const what = ctx.mode === 'build' ? 'Build' : ctx.mode === 'rollback' ? 'Rollback to' : 'Release'
  const version = ctx.plan?.version ? ` ${ctx.plan.version}` : ''
  lines.push(`## multiarch-release: ${what}${version} ${failure ? 'failed' : 'succeeded'}`, '')
  if (failure) {
    lines.push('| Failed step | Cause | Visible to users | Remedy |', '| --- | --- | --- | --- |')
    lines.push(
      `| ${failure.step} | ${escapeCell(failure.reason)} | ${failure.visible} | ${escapeCell(failure.remedy)} |`,
      '',
    )
  } else {
    lines.push(`Visible to users: ${visibility(ctx)}.`, '')
  }
  // A component × platform matrix; the component column only when there are several.
  const several = ctx.images.length > 1
  lines.push(
    `| ${several ? 'Component | ' : ''}Platform | Manifest | Smoke | Duration |`,
    `| ${several ? '--- | ' : ''}--- | --- | --- | --- |`,
  )
  for (const run of ctx.images) {
    for (const platform of run.build.platforms.map(formatPlatform)) {
      const result = run.platforms.get(platform)
      const smoke = result?.smoke
        ? `${result.smoke.ok ? 'passed' : 'failed'}: ${escapeCell(result.smoke.detail)}`
        : 'not run'
      const ms = result?.smoke ? `${(result.smoke.ms / 1000).toFixed(1)} s` : ''
      const manifest = result?.manifestDigest ? `\`${result.manifestDigest.slice(0, 19)}…\`` : ''
      lines.push(
        `| ${several ? `${run.build.name} | ` : ''}${platform} | ${manifest} | ${smoke} | ${ms} |`,
      )
    }
  }
  lines.push('')
  for (const run of ctx.images) {
    const name = several ? `${run.build.name}: ` : ''
    const notes = [
      run.cache && run.cache.steps > 0
        ? `build cache: ${run.cache.cached} of ${run.cache.steps} steps cached`
        : '',
      run.attestations !== undefined
        ? `attestations: ${run.attestations} (provenance/SBOM manifests, not platforms)`
        : '',
    ].filter((n) => n !== '')
    if (notes.length > 0) lines.push(`${name}${notes.join('; ')}`, '')
  }
  for (const run of ctx.images) {
    if (run.candidate)
      lines.push(`Candidate: \`${run.candidate.ref}\` (\`${run.candidate.digest}\`)`, '')
  }
  if (ctx.moves.length > 0) {
    lines.push('| Tag | From | To |', '| --- | --- | --- |')
    for (const move of ctx.moves) lines.push(`| \`${move.ref}\` | ${move.from} | ${move.to} |`)
    lines.push('')
  }
  const tags = ctx.visible.flatMap((v) => (v.kind === 'tag' ? [v.ref] : []))
  if (tags.length > 0) lines.push('Tags:', '', ...tags.map((t) => `- \`${t}\``), '')
  const release = ctx.visible.find((v) => v.kind === 'release')
  if (release && release.kind === 'release') lines.push(`Release: ${release.url}`, '')
  lines.push('| Step | Outcome | Time |', '| --- | --- | --- |')
  for (const step of ctx.timeline) {
    const seconds = step.endedAt ? `${((step.endedAt - step.startedAt) / 1000).toFixed(1)} s` : ''
    const outcome =
      step.outcome === 'skipped' ? `skipped: ${step.note ?? ''}` : (step.outcome ?? 'not finished')
    lines.push(`| ${step.name} | ${escapeCell(outcome)} | ${seconds} |`)
  }
  return lines.join('\n') + '\n'
}
