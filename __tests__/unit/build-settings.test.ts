import { buildxBuildArgs, type BuildSpec } from '../../src/build/buildx-args.js'
import {
  buildSettingsIdentity,
  buildSettingsOf,
  imageLabels,
} from '../../src/build/build-settings.js'
import { buildIdentity, type BuildIdentityParts } from '../../src/model/build-identity.js'
import type { BuildSecrets } from '../../src/model/inputs.js'
import { parsePlatform, type Platform } from '../../src/model/platform.js'
import { onlyImage as one, parseValues as parse } from '../support/inputs.js'
import { BASE_PLAN as base, platforms } from '../support/build-plan.js'

const head = ['buildx', 'build', '--progress', 'plain', '--platform', 'linux/amd64,linux/arm64']
const tail = ['--metadata-file', '/tmp/m.json', '.']
const pushed = { output: { kind: 'push-by-digest', image: 'r/a' } } as const

describe("buildx's argv for build-push-action's inputs", () => {
  test.each<[string, Partial<BuildSpec>, string[]]>([
    [
      'build contexts, in order',
      {
        buildContexts: [
          { name: 'alpine', source: 'docker-image://alpine:3.20' },
          { name: 'docs', source: 'docs' },
        ],
      },
      [
        ...head,
        '--file',
        './Dockerfile',
        '--build-context',
        'alpine=docker-image://alpine:3.20',
        '--build-context',
        'docs=docs',
        ...tail,
      ],
    ],
    [
      'secrets: an id and where buildx finds the value, never the value',
      {
        secrets: [
          { id: 'npm', env: 'MULTIARCH_RELEASE_SECRET_0' },
          { id: 'aws', file: 'creds/aws' },
        ],
        environment: { MULTIARCH_RELEASE_SECRET_0: 'hunter2' },
      },
      [
        ...head,
        '--file',
        './Dockerfile',
        '--secret',
        'id=npm,env=MULTIARCH_RELEASE_SECRET_0',
        '--secret',
        'id=aws,src=creds/aws',
        ...tail,
      ],
    ],
    [
      'ssh: the default agent and a key',
      {
        ssh: [
          { id: 'default', path: undefined },
          { id: 'github', path: '/tmp/key' },
        ],
      },
      [...head, '--file', './Dockerfile', '--ssh', 'default', '--ssh', 'github=/tmp/key', ...tail],
    ],
    [
      "RUN's network, hosts, shared memory and limits; no-cache and pull",
      {
        noCache: true,
        pull: true,
        network: 'none',
        addHosts: [
          { host: 'docker', ip: '10.180.0.1' },
          { host: 'v6', ip: '::1' },
        ],
        shmSize: '2g',
        ulimits: [
          { name: 'nofile', soft: 1024, hard: 2048 },
          { name: 'core', soft: -1, hard: undefined },
        ],
      },
      [
        ...head,
        '--file',
        './Dockerfile',
        '--no-cache',
        '--pull',
        '--network',
        'none',
        '--add-host',
        'docker:10.180.0.1',
        '--add-host',
        'v6:::1',
        '--shm-size',
        '2g',
        '--ulimit',
        'nofile=1024:2048',
        '--ulimit',
        'core=-1',
        ...tail,
      ],
    ],
    [
      'false and undefined settings add no flag',
      { noCache: false, pull: false, network: undefined, shmSize: undefined },
      [...head, '--file', './Dockerfile', ...tail],
    ],
    [
      "the user's annotations at their levels, one flag per level; a key they give replaces the action's everywhere",
      {
        ...pushed,
        annotations: { 'org.opencontainers.image.title': 'app', k: 'v' },
        userAnnotations: [
          {
            levels: ['index'],
            platform: undefined,
            key: 'org.opencontainers.image.title',
            value: 'App',
          },
          {
            levels: ['manifest', 'manifest-descriptor'],
            platform: undefined,
            key: 'org.opencontainers.image.description',
            value: 'x=y',
          },
          {
            levels: ['manifest'],
            platform: parsePlatform('linux/arm64') as Platform,
            key: 'arch.note',
            value: 'slow',
          },
        ],
      },
      [
        ...head,
        '--file',
        './Dockerfile',
        '--annotation',
        'index:k=v',
        '--annotation',
        'manifest:k=v',
        '--annotation',
        'index:org.opencontainers.image.title=App',
        '--annotation',
        'manifest:org.opencontainers.image.description=x=y',
        '--annotation',
        'manifest-descriptor:org.opencontainers.image.description=x=y',
        '--annotation',
        'manifest[linux/arm64]:arch.note=slow',
        '--output',
        'type=image,name=r/a,push-by-digest=true,name-canonical=true,push=true',
        ...tail,
      ],
    ],
    [
      "a plain manifest (one platform, no attestations): only the user's manifest level",
      {
        ...pushed,
        platforms: platforms('linux/arm64'),
        provenance: 'false',
        userAnnotations: [
          { levels: ['index'], platform: undefined, key: 'a', value: '1' },
          { levels: ['index', 'manifest'], platform: undefined, key: 'b', value: '2' },
        ],
      },
      [
        'buildx',
        'build',
        '--progress',
        'plain',
        '--platform',
        'linux/arm64',
        '--file',
        './Dockerfile',
        '--provenance',
        'false',
        '--annotation',
        'manifest:b=2',
        '--output',
        'type=image,name=r/a,push-by-digest=true,name-canonical=true,push=true',
        ...tail,
      ],
    ],
    [
      'a build that pushes nothing annotates nothing',
      { userAnnotations: [{ levels: ['manifest'], platform: undefined, key: 'a', value: '1' }] },
      [...head, '--file', './Dockerfile', ...tail],
    ],
  ])('%s', (_name, change, expected) => {
    expect(buildxBuildArgs({ ...base, ...change })).toEqual(expected)
  })
})

describe('buildSettingsOf', () => {
  const secrets: BuildSecrets = {
    values: [
      { id: 'npm', value: 'n-token' },
      { id: 'pem', value: '-----BEGIN-----\nabc\n-----END-----' },
    ],
    files: [{ id: 'aws', path: 'creds/aws' }],
    envs: [{ id: 'gh', variable: 'GH_TOKEN' }],
    ssh: [{ id: 'default', path: undefined }],
  }

  test('each value goes into its own variable of buildx, which the argv names; files and variables by name', () => {
    const build = one(parse({ image: 'r.io/a/b' }))
    const settings = buildSettingsOf(build, secrets)
    expect(settings.secrets).toEqual([
      { id: 'npm', env: 'MULTIARCH_RELEASE_SECRET_0' },
      { id: 'pem', env: 'MULTIARCH_RELEASE_SECRET_1' },
      { id: 'aws', file: 'creds/aws' },
      { id: 'gh', env: 'GH_TOKEN' },
    ])
    expect(settings.environment).toEqual({
      MULTIARCH_RELEASE_SECRET_0: 'n-token',
      MULTIARCH_RELEASE_SECRET_1: '-----BEGIN-----\nabc\n-----END-----',
    })
    const argv = buildxBuildArgs({ ...base, ...settings }).join(' ')
    expect(argv).not.toContain('n-token')
    expect(argv).not.toContain('BEGIN')
    expect(argv).toContain('--ssh default')
  })

  test("an image's settings come from its inputs, or from its component's own fields", () => {
    const inputs = parse({
      labels: 'a=1',
      'no-cache': 'true',
      components: [
        '- name: api',
        '  image: r.io/api',
        '- name: web',
        '  image: r.io/web',
        '  no-cache: false',
        '  network: none',
        '  labels: {a: "2", b: "3"}',
        '  build-contexts: [docs=docs]',
      ].join('\n'),
    })
    const [api, web] = inputs.components.map((c) => buildSettingsOf(c, inputs.buildSecrets))
    expect([api?.noCache, api?.network, web?.noCache, web?.network]).toEqual([
      true,
      undefined,
      false,
      'none',
    ])
    expect(web?.buildContexts).toEqual([{ name: 'docs', source: 'docs' }])
    expect(inputs.components.map((c) => c.labels)).toEqual([{ a: '1' }, { a: '2', b: '3' }])
  })

  test("the user's labels win over the release's for every key they may give", () => {
    const own = {
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.title': 'app',
    }
    const build = one(
      parse({ image: 'r.io/a/b', labels: 'org.opencontainers.image.title=App\nx=1' }),
    )
    expect(imageLabels(own, build)).toEqual({
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.title': 'App',
      x: '1',
    })
  })
})

describe('the build identity of the build settings', () => {
  const parts: BuildIdentityParts = {
    commit: 'c'.repeat(40),
    version: '1.0.0',
    platforms: ['linux/amd64'],
    context: '.',
    file: 'Dockerfile',
    target: undefined,
    buildArgs: [],
    provenance: undefined,
    sbom: undefined,
    driver: 'docker',
    labels: {},
    annotations: {},
    secretIds: [],
  }
  const identityWith = (values: Record<string, string>, secrets?: BuildSecrets): string => {
    const inputs = parse({ image: 'r.io/a/b', ...values })
    return buildIdentity({
      ...parts,
      ...buildSettingsIdentity(one(inputs), secrets ?? inputs.buildSecrets),
    })
  }

  test('a build without settings keeps the identity it had before they existed', () => {
    expect(identityWith({})).toBe(buildIdentity(parts))
  })

  test('secret ids change the identity, secret values never do', () => {
    const secrets = (value: string): BuildSecrets => ({
      values: [{ id: 'npm', value }],
      files: [],
      envs: [],
      ssh: [],
    })
    expect(identityWith({}, secrets('one'))).toBe(identityWith({}, secrets('two')))
    expect(identityWith({}, secrets('one'))).not.toBe(identityWith({}))
    const { secretIds } = buildSettingsIdentity(one(parse({ image: 'r.io/a/b' })), secrets('one'))
    expect(secretIds).toEqual(['npm'])
  })

  test.each([
    ['build-contexts', { 'build-contexts': 'base=docker-image://alpine' }],
    ['annotations', { annotations: 'index:a=1' }],
    ['network', { network: 'none' }],
    ['add-hosts', { 'add-hosts': 'db:10.0.0.1' }],
    ['shm-size', { 'shm-size': '1g' }],
    ['ulimit', { ulimit: 'nofile=10:20' }],
  ])('%s changes the identity', (_name, values) => {
    expect(identityWith(values)).not.toBe(identityWith({}))
  })

  test('no-cache and pull say how to build, not what: the identity stays', () => {
    expect(identityWith({ 'no-cache': 'true', pull: 'true' })).toBe(identityWith({}))
  })
})
