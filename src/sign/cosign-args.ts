import type { Signing } from '../model/inputs.js'

/** GitHub Actions' OIDC issuer: keyless signatures name it as the identity's issuer. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com'

export interface CosignTarget {
  /** image@sha256:… — a signature belongs to a digest, never to a tag. */
  readonly ref: string
  /** A registry on loopback speaks plain HTTP. */
  readonly plainHttp: boolean
}

type Signed = Exclude<Signing, { kind: 'none' }>

/** `cosign sign` for a digest: never interactive; the key comes from a file, its password from the environment. */
export function cosignSignArgs(signing: Signed, target: CosignTarget, keyPath: string): string[] {
  return [
    'sign',
    '--yes',
    ...(signing.kind === 'key' ? ['--key', keyPath] : []),
    ...(signing.tlogUpload ? [] : ['--tlog-upload=false']),
    ...(target.plainHttp ? ['--allow-http-registry'] : []),
    target.ref,
  ]
}

/**
 * `cosign verify` for a reference: with the public key, or for keyless, the certificate the
 * workflows of this repository get from GitHub's OIDC issuer.
 */
export function cosignVerifyArgs(
  signing: Signed,
  target: CosignTarget,
  publicKeyPath: string,
  repository: { serverUrl: string; owner: string; repo: string },
): string[] {
  const identity =
    signing.kind === 'key'
      ? ['--key', publicKeyPath]
      : [
          '--certificate-identity-regexp',
          `^${repository.serverUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${repository.owner}/${repository.repo}/`,
          '--certificate-oidc-issuer',
          GITHUB_OIDC_ISSUER,
        ]
  return [
    'verify',
    ...identity,
    ...(signing.tlogUpload ? [] : ['--insecure-ignore-tlog=true']),
    ...(target.plainHttp ? ['--allow-http-registry'] : []),
    target.ref,
  ]
}
