import {
  checkIndexPlatforms,
  describePlatformCheck,
  isAttestation,
} from '../../src/model/manifest.js'
import type { Descriptor } from '../../src/model/oci.js'
import { parsePlatform, type Platform } from '../../src/model/platform.js'

const entry = (platform: string, digest = `sha256:${platform.replace(/\W/g, '')}`): Descriptor => {
  const [os = '', architecture = '', variant] = platform.split('/')
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest,
    size: 1,
    platform: variant ? { os, architecture, variant } : { os, architecture },
  }
}
const attestation: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: 'sha256:att',
  size: 1,
  platform: { os: 'unknown', architecture: 'unknown' },
  annotations: {
    'vnd.docker.reference.type': 'attestation-manifest',
    'vnd.docker.reference.digest': 'sha256:x',
  },
}
const wanted = (...names: string[]): Platform[] => names.map((n) => parsePlatform(n) as Platform)

describe('checkIndexPlatforms', () => {
  test.each<[string, Descriptor[], Platform[], string[], number]>([
    [
      'exact',
      [entry('linux/amd64'), entry('linux/arm64')],
      wanted('linux/amd64', 'linux/arm64'),
      [],
      0,
    ],
    [
      'attestations ignored',
      [entry('linux/amd64'), attestation, entry('linux/arm64'), attestation],
      wanted('linux/amd64', 'linux/arm64'),
      [],
      2,
    ],
    [
      'arm64/v8 in the index equals linux/arm64',
      [entry('linux/amd64'), entry('linux/arm64/v8')],
      wanted('linux/amd64', 'linux/arm64'),
      [],
      0,
    ],
    [
      'arm64 missing',
      [entry('linux/amd64'), attestation],
      wanted('linux/amd64', 'linux/arm64'),
      ['platform linux/arm64 is missing from the index'],
      1,
    ],
    [
      'unexpected platform',
      [entry('linux/amd64'), entry('linux/arm64'), entry('linux/s390x')],
      wanted('linux/amd64', 'linux/arm64'),
      ['platform linux/s390x is in the index but was not requested'],
      0,
    ],
    [
      'duplicated platform',
      [entry('linux/amd64'), entry('linux/amd64', 'sha256:other')],
      wanted('linux/amd64'),
      ['platform linux/amd64 appears more than once in the index'],
      0,
    ],
    [
      'arm v6 is not arm v7',
      [entry('linux/arm/v6')],
      wanted('linux/arm/v7'),
      [
        'platform linux/arm/v6 is in the index but was not requested',
        'platform linux/arm is missing from the index',
      ].sort(),
      0,
    ],
  ])('%s', (_name, manifests, requested, problems, attestations) => {
    const check = checkIndexPlatforms({ manifests }, requested)
    expect(describePlatformCheck(check).sort()).toEqual([...problems].sort())
    expect(check.attestations).toBe(attestations)
  })
})

test.each<[string, Descriptor, boolean]>([
  ['annotated attestation', attestation, true],
  ['unknown/unknown without annotation', { ...attestation, annotations: {} }, true],
  ['a platform', entry('linux/amd64'), false],
])('isAttestation: %s', (_name, d, expected) => {
  expect(isAttestation(d)).toBe(expected)
})
