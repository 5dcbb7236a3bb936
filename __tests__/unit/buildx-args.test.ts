import {
  candidateStrategy,
  driverAbilities,
  type DriverAbilities,
} from '../../src/build/strategy.js'
import { buildxBuildArgs, failedPlatform, type BuildSpec } from '../../src/build/buildx-args.js'
import { BASE_PLAN as base, platforms } from '../support/build-plan.js'

const head = ['buildx', 'build', '--progress', 'plain']

describe('buildxBuildArgs', () => {
  test.each<[string, Partial<BuildSpec>, string[]]>([
    [
      'build only: no output flag',
      {},
      [
        ...head,
        '--platform',
        'linux/amd64,linux/arm64',
        '--file',
        './Dockerfile',
        '--metadata-file',
        '/tmp/m.json',
        '.',
      ],
    ],
    [
      'an OCI layout for the registry client to push by digest (the docker driver)',
      { output: { kind: 'oci-layout', dir: '/tmp/run/layout-app' } },
      [
        ...head,
        '--platform',
        'linux/amd64,linux/arm64',
        '--file',
        './Dockerfile',
        '--output',
        'type=oci,dest=/tmp/run/layout-app,tar=false',
        '--metadata-file',
        '/tmp/m.json',
        '.',
      ],
    ],
    [
      'push by digest',
      { output: { kind: 'push-by-digest', image: 'r/app' } },
      [
        ...head,
        '--platform',
        'linux/amd64,linux/arm64',
        '--file',
        './Dockerfile',
        '--output',
        'type=image,name=r/app,push-by-digest=true,name-canonical=true,push=true',
        '--metadata-file',
        '/tmp/m.json',
        '.',
      ],
    ],
    [
      'load one platform',
      { platforms: platforms('linux/arm64'), output: { kind: 'load', tag: 'app:smoke' } },
      [
        ...head,
        '--platform',
        'linux/arm64',
        '--file',
        './Dockerfile',
        '--tag',
        'app:smoke',
        '--load',
        '--metadata-file',
        '/tmp/m.json',
        '.',
      ],
    ],
    [
      'target, build args with = and spaces, builder',
      {
        target: 'runtime',
        builder: 'ci',
        buildArgs: [
          { key: 'A', value: 'x=y z' },
          { key: 'B', value: '' },
        ],
      },
      [
        ...head,
        '--builder',
        'ci',
        '--platform',
        'linux/amd64,linux/arm64',
        '--file',
        './Dockerfile',
        '--target',
        'runtime',
        '--build-arg',
        'A=x=y z',
        '--build-arg',
        'B=',
        '--metadata-file',
        '/tmp/m.json',
        '.',
      ],
    ],
    [
      'labels always, annotations on index and manifests only when pushing',
      {
        labels: { 'org.opencontainers.image.version': '1.0.0' },
        annotations: { k: 'v' },
        output: { kind: 'oci-layout', dir: '/l' },
      },
      [
        ...head,
        '--platform',
        'linux/amd64,linux/arm64',
        '--file',
        './Dockerfile',
        '--label',
        'org.opencontainers.image.version=1.0.0',
        '--annotation',
        'index:k=v',
        '--annotation',
        'manifest:k=v',
        '--output',
        'type=oci,dest=/l,tar=false',
        '--metadata-file',
        '/tmp/m.json',
        '.',
      ],
    ],
    [
      "one platform to an OCI layout: the exporter may make no index, so buildx annotates the manifest only (the action annotates the layout's top)",
      {
        platforms: platforms('linux/arm64'),
        annotations: { k: 'v' },
        output: { kind: 'oci-layout', dir: '/l' },
      },
      [
        ...head,
        '--platform',
        'linux/arm64',
        '--file',
        './Dockerfile',
        '--annotation',
        'manifest:k=v',
        '--output',
        'type=oci,dest=/l,tar=false',
        '--metadata-file',
        '/tmp/m.json',
        '.',
      ],
    ],
    [
      'one platform without attestations: a plain manifest, so no index annotations',
      {
        platforms: platforms('linux/arm64'),
        provenance: 'false',
        annotations: { k: 'v' },
        output: { kind: 'oci-layout', dir: '/l' },
      },
      [
        ...head,
        '--platform',
        'linux/arm64',
        '--file',
        './Dockerfile',
        '--provenance',
        'false',
        '--annotation',
        'manifest:k=v',
        '--output',
        'type=oci,dest=/l,tar=false',
        '--metadata-file',
        '/tmp/m.json',
        '.',
      ],
    ],
    [
      'provenance off',
      { provenance: 'false' },
      [
        ...head,
        '--platform',
        'linux/amd64,linux/arm64',
        '--file',
        './Dockerfile',
        '--provenance',
        'false',
        '--metadata-file',
        '/tmp/m.json',
        '.',
      ],
    ],
    [
      'a variant platform and a context with a space',
      { platforms: platforms('linux/arm/v6'), context: 'my app', file: 'my app/Dockerfile' },
      [
        ...head,
        '--platform',
        'linux/arm/v6',
        '--file',
        'my app/Dockerfile',
        '--metadata-file',
        '/tmp/m.json',
        'my app',
      ],
    ],
  ])('%s', (_name, change, expected) => {
    expect(buildxBuildArgs({ ...base, ...change })).toEqual(expected)
  })
})

describe('failedPlatform', () => {
  test.each([
    [
      'an arm64 RUN step',
      '#9 [linux/amd64 2/2] RUN true\n#9 DONE 0.1s\n------\n > [linux/arm64 2/2] RUN false:\n------\nERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1',
      'linux/arm64',
    ],
    ['a variant', '------\n > [linux/arm/v7 3/4] RUN make:\n------\nERROR: x', 'linux/arm/v7'],
    [
      'no platform named',
      'ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file',
      undefined,
    ],
    [
      'a scratch stage whose RUN vertex names no platform',
      '#6 [2/2] RUN x\n#6 CACHED\n#8 [2/2] RUN x\n#8 ERROR: process "x" did not complete successfully: exit code: 1\n------\n > [2/2] RUN x:\n------\nERROR: failed to solve',
      undefined,
    ],
    [
      'the failing vertex named its platform earlier',
      '#8 [linux/arm/v7 2/2] RUN make\n#8 0.3 make: error\n#8 ERROR: process "make" did not complete successfully\nERROR: failed to solve',
      'linux/arm/v7',
    ],
  ])('%s', (_name, stderr, platform) => {
    expect(failedPlatform(stderr)).toBe(platform)
  })
})

describe('driver abilities and the candidate strategy: never a tag before promotion', () => {
  type Strategy = ReturnType<typeof candidateStrategy>
  test.each<[string, boolean, DriverAbilities, Strategy]>([
    [
      'docker',
      true,
      { pushByDigest: false, multiPlatformLoad: true, multiPlatform: true, ociExport: true },
      'oci-layout',
    ],
    [
      'docker',
      false,
      { pushByDigest: false, multiPlatformLoad: false, multiPlatform: false, ociExport: false },
      'load-and-save',
    ],
    [
      'docker-container',
      false,
      { pushByDigest: true, multiPlatformLoad: false, multiPlatform: true, ociExport: true },
      'push-by-digest',
    ],
    [
      'kubernetes',
      false,
      { pushByDigest: true, multiPlatformLoad: false, multiPlatform: true, ociExport: true },
      'push-by-digest',
    ],
    [
      'remote',
      true,
      { pushByDigest: true, multiPlatformLoad: false, multiPlatform: true, ociExport: true },
      'push-by-digest',
    ],
  ])('%s driver (containerd store: %s)', (driver, containerd, abilities, strategy) => {
    expect(driverAbilities(driver, containerd)).toEqual(abilities)
    expect(candidateStrategy(driverAbilities(driver, containerd))).toBe(strategy)
  })
})
