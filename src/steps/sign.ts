import { digestRef } from '../model/image-ref.js'
import { notReleasing, type Step } from './step.js'

export const sign: Step = {
  name: 'sign',
  why: 'sign every verified digest and verify the signature before any final tag or Release exists',
  skip: (ctx) =>
    notReleasing(ctx) ?? (ctx.inputs.signing.kind === 'none' ? 'sign is none' : undefined),
  reveals: (ctx) =>
    ctx.images.map((run) => ({
      kind: 'signature',
      ref: `${run.build.image.name}@${run.candidate?.digest ?? '<the verified digest>'}`,
      announced: false,
      note: `cosign (${ctx.inputs.signing.kind}) stores it in the registry next to the image`,
    })),
  async run(ctx) {
    const { signer } = ctx.ports
    if (!signer) throw new Error('signing asks for a signer')
    for (const run of ctx.images) {
      if (!run.candidate) throw new Error('the checks must pass before signing')
      const target = {
        ref: digestRef(run.build.image, run.candidate.digest),
        plainHttp: /^(localhost|127\.|\[::1\])/.test(run.build.image.registry),
      }
      await signer.sign(target)
      // Verified as a deployment would, before anything is final.
      await signer.verify(target)
      ctx.log.info(`Signed and verified ${target.ref}`)
    }
  },
  remedy: () =>
    'fix the signing setup (cosign-key, cosign-password, or id-token: write for keyless) and re-run the workflow; no final tag and no Release exist yet',
}
