import { digestRef, tagRef } from '../model/image-ref.js'
import { imageReport } from '../run/report.js'
import { defineStep, notReleasing } from './step.js'

export const sign = defineStep({
  name: 'sign',
  why: 'sign every verified digest and verify the signature before any final tag or Release exists',
  needs: ['candidates'],
  gives: [],
  skip: (ctx) =>
    notReleasing(ctx) ?? (ctx.inputs.signing.kind === 'none' ? 'sign is none' : undefined),
  reveals: (ctx, { candidates }) =>
    ctx.inputs.components.map((build) => ({
      kind: 'signature',
      ref: `${build.image.name}@${candidates?.find((c) => c.image.build === build)?.digest ?? '<the verified digest>'}`,
      announced: false,
      note: `cosign (${ctx.inputs.signing.kind}) stores it in the registry next to the image`,
    })),
  async run(ctx, { candidates }) {
    const { signer } = ctx.ports
    if (!signer) throw new Error('signing asks for a signer')
    for (const { image, digest } of candidates) {
      const target = {
        ref: digestRef(image.build.image, digest),
        plainHttp: /^(localhost|127\.|\[::1\])/.test(image.build.image.registry),
      }
      await signer.sign(target)
      // Verified as a deployment would, before anything is final.
      await signer.verify(target)
      // cosign keeps a signature under a tag named after the digest, beside the image.
      imageReport(ctx.report, image.build.name).signatures.push(
        tagRef(image.build.image, `${digest.replace(':', '-')}.sig`),
      )
      ctx.log.info(`Signed and verified ${target.ref}`)
    }
    return {}
  },
  remedy: () =>
    'fix the signing setup (cosign-key, cosign-password, or id-token: write for keyless) and re-run the workflow; no final tag and no Release exist yet',
})
