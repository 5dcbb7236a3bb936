import { cacheFlags, cacheUse } from '../../src/build/buildx-args.js'
import type { Signing } from '../../src/model/inputs.js'
import { cosignSignArgs, cosignVerifyArgs, GITHUB_OIDC_ISSUER } from '../../src/sign/cosign-args.js'

type Signed = Exclude<Signing, { kind: 'none' }>
const key: Signed = {
  kind: 'key',
  key: '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----',
  password: 'p',
  tlogUpload: true,
}
const keyNoTlog: Signed = { ...key, tlogUpload: false }
const keyless: Signed = { kind: 'keyless', tlogUpload: true }
const remote = { ref: 'ghcr.io/acme/app@sha256:abc', plainHttp: false }
const loopback = { ref: '127.0.0.1:5000/acme/app@sha256:abc', plainHttp: true }
const repo = { serverUrl: 'https://github.com', owner: 'acme', repo: 'app' }

describe('cosign argv', () => {
  test.each<[string, string[], string[]]>([
    [
      'key, public registry',
      cosignSignArgs(key, remote, '/t/cosign.key'),
      ['sign', '--yes', '--key', '/t/cosign.key', remote.ref],
    ],
    [
      'key, no transparency log, loopback',
      cosignSignArgs(keyNoTlog, loopback, '/t/cosign.key'),
      [
        'sign',
        '--yes',
        '--key',
        '/t/cosign.key',
        '--tlog-upload=false',
        '--allow-http-registry',
        loopback.ref,
      ],
    ],
    [
      'keyless: no key, the OIDC token identifies the workflow',
      cosignSignArgs(keyless, remote, '/t/cosign.key'),
      ['sign', '--yes', remote.ref],
    ],
    [
      'verify with the public key',
      cosignVerifyArgs(key, remote, '/t/cosign.pub', repo),
      ['verify', '--key', '/t/cosign.pub', remote.ref],
    ],
    [
      'verify without the transparency log',
      cosignVerifyArgs(keyNoTlog, loopback, '/t/cosign.pub', repo),
      [
        'verify',
        '--key',
        '/t/cosign.pub',
        '--insecure-ignore-tlog=true',
        '--allow-http-registry',
        loopback.ref,
      ],
    ],
    [
      "verify keyless: this repository's workflows, GitHub's issuer",
      cosignVerifyArgs(keyless, remote, '/t/cosign.pub', repo),
      [
        'verify',
        '--certificate-identity-regexp',
        '^https://github\\.com/acme/app/',
        '--certificate-oidc-issuer',
        GITHUB_OIDC_ISSUER,
        remote.ref,
      ],
    ],
  ])('%s', (_name, args, expected) => {
    expect(args).toEqual(expected)
  })
})

describe('cache flags', () => {
  test.each<[Parameters<typeof cacheFlags>, ReturnType<typeof cacheFlags>]>([
    [['none', 'r/app', 'app', true], { cacheFrom: [], cacheTo: [] }],
    [
      ['registry', 'r/app', 'app', true],
      {
        cacheFrom: ['type=registry,ref=r/app:buildcache'],
        cacheTo: ['type=registry,ref=r/app:buildcache,mode=max'],
      },
    ],
    [
      ['registry', 'r/app', 'app', false],
      { cacheFrom: ['type=registry,ref=r/app:buildcache'], cacheTo: [] },
    ],
    [
      ['gha', 'r/app', 'web', true],
      { cacheFrom: ['type=gha,scope=web'], cacheTo: ['type=gha,scope=web,mode=max'] },
    ],
  ])('%j', (args, expected) => {
    expect(cacheFlags(...args)).toEqual(expected)
  })
})

test.each<[string, string, { cached: number; steps: number }]>([
  [
    'every step cached',
    '#5 [linux/amd64 1/2] COPY a /a\n#5 CACHED\n#6 [linux/arm64 1/2] COPY a /a\n#6 CACHED\n#7 [linux/amd64 2/2] RUN x\n#7 CACHED\n#8 [internal] load build context\n#8 DONE 0.0s',
    { cached: 3, steps: 3 },
  ],
  [
    'one step built',
    '#5 [1/2] COPY a /a\n#5 CACHED\n#6 [2/2] RUN x\n#6 0.1 hello\n#6 DONE 0.2s',
    { cached: 1, steps: 2 },
  ],
  ['no Dockerfile step', '#1 [internal] load build definition\n#1 DONE', { cached: 0, steps: 0 }],
])('cacheUse: %s', (_name, progress, expected) => {
  expect(cacheUse(progress)).toEqual(expected)
})
