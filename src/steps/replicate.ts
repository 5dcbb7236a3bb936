import type { Run } from '../run/run.js'
import type { Candidate, Replica } from '../run/artifacts.js'
import type { ImageRepository } from '../model/image-ref.js'
import { RegistryUnauthorized, StepFailure, messageOf } from '../model/errors.js'
import { digestRef } from '../model/image-ref.js'
import { repositoryAccessRemedy } from '../model/remedies.js'
import { defineStep, notReleasing } from './step.js'

/** The repositories of a candidate's image besides the first, where it was pushed and checked. */
const further = (candidate: Candidate): readonly ImageRepository[] =>
  candidate.image.build.repositories.slice(1)

/** Copies one verified digest to one further repository and reads it back there. */
async function copyTo(ctx: Run, candidate: Candidate, to: ImageRepository): Promise<Replica> {
  const { registry } = ctx.ports
  const source = digestRef(candidate.image.build.image, candidate.digest)
  const target = digestRef(to, candidate.digest)
  // A cancelled job stops between two copies; nothing final exists yet.
  if (ctx.cancellation.signal !== undefined)
    throw new StepFailure(`the job was cancelled (${ctx.cancellation.signal}) before ${target}`)
  try {
    await registry.copyDigest(source, to)
  } catch (error) {
    throw new StepFailure(
      `copying ${candidate.digest} to ${to.name} failed, so no final tag was written in any repository: ${messageOf(error)}`,
      error instanceof RegistryUnauthorized
        ? repositoryAccessRemedy(to.name)
        : `re-run the workflow once ${to.registry} answers: the verified digest is copied again, not rebuilt`,
    )
  }
  const back = await registry.manifest(target, { expectPresent: true })
  if (back?.digest !== candidate.digest) {
    throw new StepFailure(
      `${target} was copied but reads back as ${back?.digest ?? 'nothing'}, so no final tag was written in any repository`,
    )
  }
  ctx.report.visible.push({ kind: 'candidate', ref: target })
  ctx.log.info(`Copied ${source} to ${to.name}`)
  return { candidate, repository: to }
}

export const replicate = defineStep({
  name: 'replicate',
  why: 'copy each verified digest, untagged, to every further repository of its image and read it back there, before anything is signed or tagged in any repository',
  needs: ['candidates'],
  gives: ['replicas'],
  skip: (ctx) =>
    notReleasing(ctx) ??
    (ctx.inputs.components.every((build) => build.repositories.length < 2)
      ? 'each image has one repository'
      : undefined),
  pass: () => ({ replicas: [] }),
  reveals: (ctx, { candidates }) =>
    ctx.inputs.components.flatMap((build) =>
      build.repositories.slice(1).map((to) => {
        const digest = candidates?.find((c) => c.image.build === build)?.digest
        return {
          kind: 'untagged manifest' as const,
          ref: digest ? digestRef(to, digest) : to.name,
          announced: false,
          note: `a copy of the verified digest in ${build.image.name}`,
        }
      }),
    ),
  async run(ctx, { candidates }) {
    const replicas: Replica[] = []
    // One at a time: the first failure stops the run with no final tag anywhere.
    for (const candidate of candidates)
      for (const to of further(candidate)) replicas.push(await copyTo(ctx, candidate, to))
    return { replicas }
  },
  remedy: () =>
    're-run the workflow: the verified digest is copied again (what each repository holds already is not sent), then tagged; no final tag exists in any repository yet',
})
