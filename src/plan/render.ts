import { code, escaped, table } from '../report/markdown.js'
import type { ActionOutputs } from '../report/outputs.js'
import type { Reveal } from '../steps/step.js'
import type { PlannedStep, ReleasePreview } from './preview.js'

/** The plan's title: the version, or why there is none. */
export function planTitle(preview: ReleasePreview): string {
  if (preview.kind === 'refuse') return 'multiarch-release: plan: the run would be refused'
  if (preview.version === '') return 'multiarch-release: plan: nothing to release'
  return `multiarch-release: plan for ${preview.version}${preview.kind === 'build' ? ' (build only)' : ''}`
}

/** One sentence on what the event makes of the run. */
function decision(preview: ReleasePreview): string {
  const commit = preview.commit.slice(0, 12)
  switch (preview.kind) {
    case 'release':
      return `a '${preview.event}' event releases commit ${commit}: ${preview.channel} channel, git tag ${preview.gitTag}`
    case 'build':
      return `a '${preview.event}' event builds commit ${commit} only`
    case 'skip':
      return `a '${preview.event}' event releases nothing: ${preview.skipped ?? ''}`
    case 'refuse':
      return `a '${preview.event}' event is refused: ${preview.failures[0]?.cause ?? ''}`
  }
}

const revealText = (r: Reveal): string =>
  `${r.kind} ${r.ref}${r.announced ? '' : ' (unannounced)'}${r.note ? `: ${r.note}` : ''}`

function stepText(step: PlannedStep): string {
  switch (step.outcome) {
    case 'runs':
      return `runs: ${step.why}${step.reason ? ` (${step.reason})` : ''}`
    case 'skipped':
      return `skipped: ${step.reason ?? ''}`
    case 'fails':
      return `fails: ${step.reason ?? ''}`
    case 'not reached':
      return `not reached: ${step.reason ?? ''}`
  }
}

function stoppedAt(preview: ReleasePreview): string | undefined {
  const [first] = preview.failures
  if (!first || preview.kind === 'refuse') return undefined
  return `The run would stop at ${first.step}: ${first.cause}\nRemedy: ${first.remedy}`
}

/** The error a plan ends with when the run would fail; undefined when it would not. */
export function planFailure(preview: ReleasePreview): string | undefined {
  const [first] = preview.failures
  if (!first) return undefined
  return preview.kind === 'refuse'
    ? `The run would be refused: ${first.cause}\nRemedy: ${first.remedy}`
    : stoppedAt(preview)
}

/** The plan as the log shows it. */
export function renderPlanText(preview: ReleasePreview): string {
  const lines = [
    `${planTitle(preview)} (a preview: nothing is built, pushed, tagged or published)`,
    `Decision: ${decision(preview)}`,
  ]
  if (preview.kind === 'refuse') lines.push(`Remedy: ${preview.failures[0]?.remedy ?? ''}`)
  for (const image of preview.images) {
    lines.push(`Image ${image.name}: ${image.image}`, `  platforms: ${image.platforms.join(', ')}`)
    if (image.tags.length > 0) lines.push(`  tags: ${image.tags.join(', ')}`)
    if (image.reused) {
      lines.push(
        `  reuses: ${image.reused.digest} from the ${image.reused.from} ${image.reused.ref} (verified by an earlier run): no rebuild`,
      )
    }
  }
  if (preview.alreadyVisible.length > 0)
    lines.push(`Already visible: ${preview.alreadyVisible.join('; ')}`)
  for (const note of preview.notes) lines.push(`Note: ${note}`)
  const stop = stoppedAt(preview)
  if (stop) lines.push(stop)
  lines.push('Steps, in order:')
  const width = Math.max(...preview.steps.map((s) => s.name.length))
  for (const [i, step] of preview.steps.entries()) {
    lines.push(`  ${String(i + 1).padStart(2)}. ${step.name.padEnd(width)}  ${stepText(step)}`)
  }
  const reveals = preview.steps.filter((s) => s.reveals.length > 0)
  if (reveals.length > 0) {
    lines.push('Becomes visible, in order:')
    for (const step of reveals) {
      for (const [i, r] of step.reveals.entries()) {
        const label = i === 0 ? `after ${step.name}:` : ''
        lines.push(`  ${label.padEnd(width + 7)}${revealText(r)}`)
      }
    }
  }
  return lines.join('\n')
}

const capitalized = (sentence: string): string =>
  sentence.charAt(0).toUpperCase() + sentence.slice(1)

const revealCell = (r: Reveal): string =>
  `${escaped(r.kind)} ${code(r.ref)}${r.announced ? '' : ' (unannounced)'}${r.note ? `: ${escaped(r.note)}` : ''}`

/** The plan as the job summary shows it. */
export function renderPlanMarkdown(preview: ReleasePreview): string {
  const lines = [
    `## ${escaped(planTitle(preview))}`,
    '',
    'A preview: nothing was built, pushed, tagged or published.',
    '',
    `${escaped(capitalized(decision(preview)))}.`,
    '',
  ]
  if (preview.kind === 'refuse')
    lines.push(`Remedy: ${escaped(preview.failures[0]?.remedy ?? '')}`, '')
  lines.push(
    ...table(
      ['Image', 'Platforms', 'Tags'],
      preview.images.map((image) => [
        code(image.image),
        escaped(image.platforms.join(', ')),
        [
          ...image.tags.map((t) => code(t)),
          ...(image.reused
            ? [`reuses ${code(image.reused.digest)} from the ${escaped(image.reused.from)}`]
            : []),
        ].join('<br>'),
      ]),
    ),
    '',
  )
  if (preview.alreadyVisible.length > 0)
    lines.push(`Already visible: ${escaped(preview.alreadyVisible.join('; '))}.`, '')
  for (const note of preview.notes) lines.push(`Note: ${escaped(note)}.`, '')
  const stop = stoppedAt(preview)
  if (stop) lines.push(escaped(stop), '')
  lines.push(
    ...table(
      ['Step', 'Runs or skipped (why)', 'Becomes visible'],
      preview.steps.map((step) => [
        escaped(step.name),
        escaped(stepText(step)),
        step.reveals.map(revealCell).join('<br>'),
      ]),
    ),
  )
  return lines.join('\n') + '\n'
}

/** A plan's outputs: what the run would release, and the plan itself as JSON. */
export function planOutputs(base: ActionOutputs, preview: ReleasePreview): ActionOutputs {
  return {
    ...base,
    version: preview.version,
    'skipped-reason': preview.skipped ?? '',
    tags: preview.images.flatMap((image) => image.tags).join('\n'),
    components: JSON.stringify(
      Object.fromEntries(
        preview.images.map((image) => [
          image.name,
          {
            image: image.image,
            digest: image.reused?.digest ?? '',
            platforms: image.platforms,
            tags: image.tags,
          },
        ]),
      ),
    ),
    plan: JSON.stringify(preview),
  }
}
