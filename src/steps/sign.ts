import { digestRef, tagRef, type ImageRepository } from '../model/image-ref.js'
import { imageReport } from '../run/report.js'
import { defineStep, notReleasing } from './step.js'

export const sign = defineStep({
  name: 'sign',
  why: 'sign every verified digest in every repository of its image and verify the signature before any final tag or Release exists',
  needs: ['candidates', 'replicas'],
  gives: [],
  skip: (ctx) =>
    notReleasing(ctx) ?? (ctx.inputs.signing.kind === 'none' ? 'sign is none' : undefined),
  reveals: (ctx, { candidates }) =>
    ctx.inputs.components.flatMap((build) =>
      build.repositories.map((repository) => ({
        kind: 'signature' as const,
        ref: `${repository.name}@${candidates?.find((c) => c.image.build === build)?.digest ?? '<the verified digest>'}`,
        announced: false,
        note: `cosign (${ctx.inputs.signing.kind}) stores it in the registry next to the image`,
      })),
    ),
  async run(ctx, { candidates, replicas }) {
    const { signer } = ctx.ports
    if (!signer) throw new Error('signing asks for a signer')
    // cosign keeps a signature in the repository of the image it signs: each copy is signed.
    const signed: { name: string; repository: ImageRepository; digest: string }[] = [
      ...candidates.map((c) => ({
        name: c.image.build.name,
        repository: c.image.build.image,
        digest: c.digest,
      })),
      ...replicas.map((r) => ({
        name: r.candidate.image.build.name,
        repository: r.repository,
        digest: r.candidate.digest,
      })),
    ]
    for (const { name, repository, digest } of signed) {
      const target = {
        ref: digestRef(repository, digest),
        plainHttp: /^(localhost|127\.|\[::1\])/.test(repository.registry),
      }
      await signer.sign(target)
      // Verified as a deployment would, before anything is final.
      await signer.verify(target)
      // cosign keeps a signature under a tag named after the digest, beside the image.
      imageReport(ctx.report, name).signatures.push(
        tagRef(repository, `${digest.replace(':', '-')}.sig`),
      )
      ctx.log.info(`Signed and verified ${target.ref}`)
    }
    return {}
  },
  remedy: () =>
    'fix the signing setup (cosign-key, cosign-password, or id-token: write for keyless) and re-run the workflow; no final tag and no Release exist yet',
})
