import type { ContainerEngine, EngineInfo } from '../../src/ports/engine.js'
import { parseBuilderInspect, parseBuildxVersion, parseEngineInfo } from '../../src/ports/engine.js'
import { StepFailure } from '../../src/model/errors.js'
import { preflight } from '../../src/steps/preflight.js'
import { contextFor, memoryLogger } from '../support/context.js'
import { FakeGitHub, FakeRegistry } from '../support/fakes.js'
import { CAPABLE_ENGINE, FakeEngine } from '../support/fake-engine.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'

test.each<[string, string | undefined]>([
  ['github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3', '0.13.1'],
  ['github.com/docker/buildx v0.19.3 48d6a39', '0.19.3'],
  ['buildx: not found', undefined],
])('parseBuildxVersion(%j) = %j', (text, version) => {
  expect(parseBuildxVersion(text)).toBe(version)
})

test('parseBuilderInspect reads the name, the driver and the platforms', () => {
  const text = [
    'Name:          ci',
    'Driver:        docker-container',
    'Last Activity: 2026-11-29 12:00:00 +0000 UTC',
    '',
    'Nodes:',
    'Name:      ci0',
    'Endpoint:  unix:///var/run/docker.sock',
    'Status:    running',
    'Platforms: linux/amd64*, linux/amd64/v2, linux/arm64, linux/arm/v7',
  ].join('\n')
  expect(parseBuilderInspect(text)).toEqual({
    name: 'ci',
    driver: 'docker-container',
    platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/arm/v7'],
    nodes: 1,
  })
})

test('parseBuilderInspect of a fleet counts its nodes and joins what they build', () => {
  const node = (name: string, platforms: string) => [
    `Name:             ${name}`,
    `Endpoint:         unix:///run/${name}.sock`,
    'Status:           running',
    `Platforms:        ${platforms}`,
    'Labels:',
    ' org.mobyproject.buildkit.worker.executor:         oci',
    '',
  ]
  const text = [
    'Name:          fleet',
    'Driver:        remote',
    '',
    'Nodes:',
    ...node('fleet-amd64', 'linux/amd64*, linux/amd64/v2'),
    ...node('fleet-arm64', 'linux/arm64*, linux/arm/v7'),
  ].join('\n')
  expect(parseBuilderInspect(text)).toEqual({
    name: 'fleet',
    driver: 'remote',
    platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/arm/v7'],
    nodes: 2,
  })
})

function engineWith(info: Partial<EngineInfo>): ContainerEngine {
  const engine = new FakeEngine()
  engine.engineInfo = { ...CAPABLE_ENGINE, ...info }
  return engine
}

const git = { head: () => Promise.resolve(SHA), commitTime: () => Promise.resolve(0) }

describe('preflight refuses an engine that cannot do the job, and says how to fix it', () => {
  test.each<[string, Partial<EngineInfo>, RegExp, RegExp]>([
    [
      'buildx too old',
      { buildxVersion: '0.10.4' },
      /buildx 0\.10\.4 is too old/,
      /docker\/setup-buildx-action/,
    ],
    [
      'the docker driver without the containerd image store',
      { containerdStore: false },
      /cannot build several platforms into one image/,
      /containerd-snapshotter/,
    ],
    [
      'a builder without arm64 (no QEMU)',
      { builder: { name: 'default', driver: 'docker', platforms: ['linux/amd64'], nodes: 1 } },
      /cannot build linux\/arm64 \(it supports linux\/amd64\)/,
      /docker\/setup-qemu-action/,
    ],
  ])('%s', async (_name, info, message, remedy) => {
    const ctx = contextFor(
      { image: 'r.example.test/acme/app' },
      {
        engine: engineWith(info),
        registry: new FakeRegistry(),
        github: new FakeGitHub(),
        git,
      },
    )
    const failure = await preflight.run(ctx, {}).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(StepFailure)
    expect((failure as StepFailure).message).toMatch(message)
    expect((failure as StepFailure).remedy).toMatch(remedy)
  })

  test('a release job assembling platform-digests builds nothing, so any builder will do', async () => {
    const digest = (c: string): string => `sha256:${c.repeat(64)}`
    const inputs = {
      image: 'r.example.test/acme/app',
      'github-token': 't',
      'platform-digests': `linux/amd64=${digest('a')}\nlinux/arm64=${digest('b')}`,
    }
    const narrow = {
      containerdStore: false,
      builder: { name: 'default', driver: 'docker', platforms: ['linux/amd64'], nodes: 1 },
    }
    const ports = { registry: new FakeRegistry(), github: new FakeGitHub(), git }
    await preflight.run(contextFor(inputs, { ...ports, engine: engineWith(narrow) }), {})
    // The same engine cannot build those platforms itself.
    const building = { image: inputs.image, 'github-token': 't' }
    await expect(
      preflight.run(contextFor(building, { ...ports, engine: engineWith(narrow) }), {}),
    ).rejects.toThrow(/cannot build several platforms/)
  })

  test("a build-only run is not refused on the classic store's docker driver: it builds one platform at a time", async () => {
    const ports = { registry: new FakeRegistry(), github: new FakeGitHub(), git }
    const engine = engineWith({ containerdStore: false })
    const inputs = { image: 'r.example.test/acme/app' }
    const result = await preflight.run(
      contextFor(inputs, { ...ports, engine }, { mode: 'build' }),
      {},
    )
    expect(result).toMatchObject({
      builder: { driver: 'docker', abilities: { multiPlatform: false } },
    })
    // The same engine, releasing: refused.
    await expect(
      preflight.run(contextFor(inputs, { ...ports, engine }, { mode: 'release' }), {}),
    ).rejects.toThrow(/cannot build several platforms/)
  })

  test.each([
    [
      'a release on a two-node builder with cache: registry is warned',
      2,
      'release',
      'registry',
      true,
    ],
    ['one node: no warning', 1, 'release', 'registry', false],
    ['no cache: no warning', 2, 'release', 'none', false],
    ['a build-only run writes no cache: no warning', 2, 'build', 'gha', false],
  ] as const)('%s', async (_name, nodes, mode, cache, warned) => {
    const fleet = {
      builder: {
        name: 'fleet',
        driver: 'remote',
        platforms: ['linux/amd64', 'linux/arm64'],
        nodes,
      },
    }
    const ctx = contextFor(
      { image: 'r.example.test/acme/app', 'github-token': 't', cache },
      {
        engine: engineWith(fleet),
        registry: new FakeRegistry(),
        github: new FakeGitHub(),
        git,
      },
      { mode },
    )
    await preflight.run(ctx, {})
    const warnings = (ctx.log as ReturnType<typeof memoryLogger>).lines.filter((l) =>
      l.includes('docker/buildx#1044'),
    )
    expect(warnings).toEqual(
      warned
        ? [
            expect.stringMatching(
              new RegExp(
                `builder 'fleet' has 2 nodes, and buildx writes the ${cache} cache of one node only`,
              ),
            ),
          ]
        : [],
    )
  })

  test('a capable engine passes and its driver is recorded', async () => {
    const ctx = contextFor(
      { image: 'r.example.test/acme/app', 'github-token': 't' },
      {
        engine: engineWith({}),
        registry: new FakeRegistry(),
        github: new FakeGitHub(),
        git,
      },
    )
    const result = await preflight.run(ctx, {})
    expect(result).toMatchObject({ builder: { driver: 'docker' } })
  })
})

test.each<[string, ReturnType<typeof parseEngineInfo>]>([
  [
    JSON.stringify({
      ServerVersion: '26.1.5',
      DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']],
    }),
    { version: '26.1.5', containerdStore: true },
  ],
  [
    JSON.stringify({ ServerVersion: '24.0.7', DriverStatus: [['Backing Filesystem', 'extfs']] }),
    { version: '24.0.7', containerdStore: false },
  ],
  [JSON.stringify({ ServerErrors: ['Cannot connect to the Docker daemon'] }), undefined],
  ['not json', undefined],
])('parseEngineInfo(%s)', (json, expected) => {
  expect(parseEngineInfo(json)).toEqual(expected)
})

describe('preflight logs in with registry-username, once per registry', () => {
  const inputs = {
    image: 'r.example.test/acme/app',
    'github-token': 't',
    'registry-username': 'bot',
    'registry-password': 's3cret',
  }

  test('a registry that accepts the credentials is recorded, to log out of at the end', async () => {
    const engine = new FakeEngine()
    const ctx = contextFor(inputs, {
      engine,
      registry: new FakeRegistry(),
      github: new FakeGitHub(),
      git,
    })
    await preflight.run(ctx, {})
    expect(engine.calls.filter((c) => c.startsWith('login'))).toEqual(['login r.example.test bot'])
    expect(ctx.exits).toEqual(['log out of r.example.test'])
  })

  test('a registry that refuses them stops the run with its message and the remedy', async () => {
    const engine = new FakeEngine()
    engine.loginError =
      'Login did not succeed\nError response from daemon: Get "https://r.example.test/v2/": unauthorized: incorrect username or password\n'
    const ctx = contextFor(inputs, {
      engine,
      registry: new FakeRegistry(),
      github: new FakeGitHub(),
      git,
    })
    const failure = await preflight.run(ctx, {}).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(StepFailure)
    expect((failure as StepFailure).message).toBe(
      'the registry r.example.test rejected the credentials of registry-username \'bot\': Login did not succeed\nError response from daemon: Get "https://r.example.test/v2/": unauthorized: incorrect username or password',
    )
    expect((failure as StepFailure).remedy).toMatch(
      /^check registry-username and registry-password/,
    )
    expect(ctx.exits).toEqual([])
  })
})

describe('preflight asks its questions at once and reports as if it had asked them in turn', () => {
  /** An engine whose info is held until the test lets it answer (or fail). */
  class HeldEngine extends FakeEngine {
    answer: (info: EngineInfo | Error) => void = () => undefined
    override info(): Promise<EngineInfo> {
      this.calls.push('info')
      return new Promise((resolve, reject) => {
        this.answer = (info) => {
          if (info instanceof Error) reject(info)
          else resolve(info)
        }
      })
    }
  }
  const inputs = { image: 'r.example.test/acme/app', 'github-token': 't' }

  test('the registry and GitHub are asked while the engine has not answered yet', async () => {
    const engine = new HeldEngine()
    const asked: string[] = []
    const registry = new FakeRegistry()
    const manifest = registry.manifest.bind(registry)
    registry.manifest = (ref) => (asked.push(`registry ${ref}`), manifest(ref))
    const github = new FakeGitHub()
    github.canWrite = () => (asked.push('github canWrite'), Promise.resolve(true))
    const done = preflight.run(contextFor(inputs, { engine, registry, github, git }), {})
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(asked.sort()).toEqual([
      'github canWrite',
      'registry r.example.test/acme/app:multiarch-release-access-check',
    ])
    engine.answer(CAPABLE_ENGINE)
    await expect(done).resolves.toMatchObject({ builder: { driver: 'docker' } })
  })

  test('a later check failing first does not hide an earlier one: the engine’s failure is reported', async () => {
    const engine = new HeldEngine()
    const github = new FakeGitHub()
    let refused = false
    github.canWrite = () => ((refused = true), Promise.resolve(false))
    const done = preflight
      .run(contextFor(inputs, { engine, registry: new FakeRegistry(), github, git }), {})
      .catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(refused).toBe(true)
    engine.answer({ ...CAPABLE_ENGINE, buildxVersion: '0.10.4' })
    expect(((await done) as StepFailure).message).toMatch(/buildx 0\.10\.4 is too old/)
  })

  test('with the engine fine, the token that cannot write is reported', async () => {
    const engine = new HeldEngine()
    const github = new FakeGitHub()
    github.canWrite = () => Promise.resolve(false)
    const done = preflight
      .run(contextFor(inputs, { engine, registry: new FakeRegistry(), github, git }), {})
      .catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 20))
    engine.answer(CAPABLE_ENGINE)
    expect(((await done) as StepFailure).message).toMatch(/may read .* but not write to it/)
  })
})
