import type { BuildSpec } from '../../src/build/buildx-args.js'
import { buildxBuildArgs } from '../../src/build/buildx-args.js'
import { ownerLabels, type ContainerOwner } from '../../src/model/container-owner.js'
import { StepFailure } from '../../src/model/errors.js'
import type {
  ContainerFacts,
  DetachedContainer,
  EngineApi,
  EngineFacts,
  ImageFileRead,
} from '../../src/ports/engine-api.js'
import {
  DockerEngine,
  parseContainerState,
  parsePublishedPort,
  type ContainerState,
} from '../../src/ports/engine.js'
import type {
  BinaryResult,
  CommandOptions,
  CommandResult,
  Program,
} from '../../src/ports/process.js'
import { probeContainerArgs, smokeCommandArgs } from '../../src/smoke/docker-run-args.js'
import { platform, until } from '../support/smoke-world.js'

interface Call {
  readonly args: readonly string[]
  readonly options: CommandOptions | undefined
}

const done = (stdout = '', stderr = '', exitCode = 0): CommandResult => ({
  exitCode,
  stdout,
  stderr,
})

/** A docker CLI that records every call and answers from a script (exit 0, no output, by default). */
class ScriptedDocker implements Program {
  readonly calls: Call[] = []
  answer: (args: readonly string[]) => CommandResult | Promise<CommandResult> = () => done()
  binary: (args: readonly string[]) => BinaryResult = () => ({
    exitCode: 0,
    stdout: Buffer.alloc(0),
    stderr: '',
  })

  run(args: readonly string[], options?: CommandOptions): Promise<CommandResult> {
    this.calls.push({ args, options })
    return Promise.resolve(this.answer(args))
  }

  runBinary(args: readonly string[]): Promise<BinaryResult> {
    this.calls.push({ args, options: undefined })
    return Promise.resolve(this.binary(args))
  }
}

function engine() {
  const docker = new ScriptedDocker()
  return { docker, engine: new DockerEngine(docker) }
}

const SPEC = {
  ref: 'r.example.test/acme/app@sha256:abc',
  platform: platform('linux/arm64'),
  name: 'mar-42-1-linux-arm64-http-x1',
  env: [{ key: 'MODE', value: 'smoke' }],
}
const PLAN: BuildSpec = {
  platforms: [platform('linux/amd64'), platform('linux/arm64')],
  context: '.',
  file: 'Dockerfile',
  target: undefined,
  buildArgs: [],
  labels: {},
  annotations: {},
  output: { kind: 'oci-layout', dir: '/tmp/layout' },
  metadataFile: '/tmp/metadata.json',
}
const SECRET_PLAN: BuildSpec = {
  ...PLAN,
  secrets: [{ id: 'npm', env: 'MULTIARCH_RELEASE_SECRET_0' }],
  environment: { MULTIARCH_RELEASE_SECRET_0: 'tok\nen' },
}

interface IntentRow {
  readonly intent: string
  readonly call: (e: DockerEngine) => Promise<unknown>
  readonly args: readonly string[]
  readonly options?: CommandOptions
  /** The calls that follow on their own (a removal in the background). */
  readonly then?: readonly (readonly string[])[]
}

describe('each intent is one docker command', () => {
  test.each<IntentRow>([
    {
      intent: 'pull: quiet, the platform asked for',
      call: (e) => e.pull(SPEC.ref, platform('linux/arm/v6')),
      args: ['pull', '--quiet', '--platform', 'linux/arm/v6', SPEC.ref],
    },
    {
      intent: 'run: a smoke command, its container removed once it has exited',
      call: (e) => e.run(SPEC, ['app', '--version']),
      args: smokeCommandArgs(SPEC, ['app', '--version']),
      then: [['rm', '--force', SPEC.name]],
    },
    {
      intent: 'startDetached: the probe',
      call: (e) => e.startDetached(SPEC, 8080),
      args: probeContainerArgs(SPEC, 8080),
    },
    {
      intent: 'state',
      call: (e) => e.state(SPEC.name),
      args: ['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', SPEC.name],
    },
    {
      intent: 'logs',
      call: (e) => e.logs(SPEC.name, 20),
      args: ['logs', '--tail', '20', SPEC.name],
    },
    {
      intent: 'publishedPort',
      call: (e) => e.publishedPort(SPEC.name, 8080),
      args: ['port', SPEC.name, '8080/tcp'],
    },
    { intent: 'remove', call: (e) => e.remove(SPEC.name), args: ['rm', '--force', SPEC.name] },
    {
      intent: 'removeImage',
      call: (e) => e.removeImage('multiarch-release-smoke:1'),
      args: ['image', 'rm', '--force', 'multiarch-release-smoke:1'],
    },
    {
      intent: 'login: the password on standard input only',
      call: (e) => e.login('r.example.test', 'bot', 's3cret'),
      args: ['login', 'r.example.test', '--username', 'bot', '--password-stdin'],
      options: { input: 's3cret' },
    },
    {
      intent: 'logout',
      call: (e) => e.logout('r.example.test'),
      args: ['logout', 'r.example.test'],
    },
    {
      intent: 'build: streamed and stamped',
      call: (e) => e.build(PLAN, { stream: true, sourceDateEpoch: 1_700_000_000 }),
      args: buildxBuildArgs(PLAN),
      options: { stream: true, env: { SOURCE_DATE_EPOCH: '1700000000' } },
    },
    {
      intent: 'build: secret values in the environment of buildx only, with the stamp',
      call: (e) => e.build(SECRET_PLAN, { stream: true, sourceDateEpoch: 1_700_000_000 }),
      args: buildxBuildArgs(SECRET_PLAN),
      options: {
        stream: true,
        env: { MULTIARCH_RELEASE_SECRET_0: 'tok\nen', SOURCE_DATE_EPOCH: '1700000000' },
      },
    },
    {
      intent: 'build: quiet, unstamped',
      call: (e) => e.build(PLAN),
      args: buildxBuildArgs(PLAN),
      options: { stream: false },
    },
  ])('$intent', async ({ call, args, options, then = [] }) => {
    const { docker, engine: e } = engine()
    await call(e)
    await e.removalsSettled()
    expect(docker.calls).toEqual([
      { args, options },
      ...then.map((more) => ({ args: more, options: undefined })),
    ])
  })
})

test('a build with a secret value names it by id on the command line, never by value', async () => {
  const { docker, engine: e } = engine()
  await e.build(SECRET_PLAN)
  const [call] = docker.calls
  expect(call?.args).toEqual(
    expect.arrayContaining(['--secret', 'id=npm,env=MULTIARCH_RELEASE_SECRET_0']),
  )
  expect(call?.args.join(' ')).not.toContain('tok')
  expect(call?.options?.env).toEqual({ MULTIARCH_RELEASE_SECRET_0: 'tok\nen' })
})

describe("what docker answers, as the engine's intents tell it", () => {
  // Recorded from Docker 26.1.5.
  test.each<[string, ContainerState]>([
    ['true 0\n', { status: 'running' }],
    ['false 3\n', { status: 'exited', exitCode: 3 }],
    ['false\n', { status: 'exited', exitCode: undefined }],
    // `docker inspect` of a removed container: "Error: No such object" on stderr, nothing here.
    ['\n', { status: 'unknown' }],
  ])('state %j', (stdout, state) => {
    expect(parseContainerState(stdout)).toEqual(state)
  })

  test.each<[string, number | undefined]>([
    ['127.0.0.1:32827\n', 32827],
    ['0.0.0.0:32768\n[::]:32768\n', 32768],
    ['', undefined],
  ])('published port %j', (stdout, port) => {
    expect(parsePublishedPort(stdout)).toBe(port)
  })

  test('a port not published: the engine message', async () => {
    const { docker, engine: e } = engine()
    const message = "Error: No public port '9090/tcp' published for ei-fixture-port\n"
    docker.answer = () => done('', message, 1)
    expect(await e.publishedPort('ei-fixture-port', 9090)).toEqual({
      hostPort: undefined,
      error: message,
    })
    docker.answer = () => done('127.0.0.1:32827\n')
    expect(await e.publishedPort('ei-fixture-port', 8080)).toEqual({ hostPort: 32827 })
  })

  test('logs: the output and the error output of the container', async () => {
    const { docker, engine: e } = engine()
    docker.answer = () => done('listening\n', 'no config\n')
    expect(await e.logs('c', 20)).toBe('listening\n\nno config\n')
  })

  test('an action that fails gives the engine message', async () => {
    const { docker, engine: e } = engine()
    docker.answer = () => done('', 'Error response from daemon: manifest unknown\n', 1)
    expect(await e.pull(SPEC.ref, SPEC.platform)).toEqual({
      ok: false,
      error: 'Error response from daemon: manifest unknown\n',
    })
    expect(await e.login('r', 'u', 'p')).toMatchObject({ ok: false })
    expect(await e.startDetached(SPEC, 8080)).toMatchObject({ ok: false })
    docker.answer = () => done()
    expect(await e.pull(SPEC.ref, SPEC.platform)).toEqual({ ok: true })
  })

  test('build: the exit code and the log', async () => {
    const { docker, engine: e } = engine()
    docker.answer = () => done('', '#1 DONE\nERROR: failed to solve\n', 1)
    expect(await e.build(PLAN)).toEqual({
      exitCode: 1,
      stderr: '#1 DONE\nERROR: failed to solve\n',
    })
  })
})

describe('a foreground run and its stop', () => {
  /** A docker whose `run` ends only when its container is removed, as a real one does. */
  function blockingDocker() {
    const { docker, engine: e } = engine()
    let end: ((r: CommandResult) => void) | undefined
    docker.answer = (args) => {
      if (args[0] === 'run') return new Promise<CommandResult>((resolve) => (end = resolve))
      if (args[0] === 'rm') end?.(done('', '', 137))
      return done()
    }
    return { docker, engine: e }
  }

  test('runs to its end when it is not stopped', async () => {
    const { docker, engine: e } = engine()
    docker.answer = () => done('v1.2.3\n', '', 0)
    const stop = new AbortController()
    expect(await e.run(SPEC, ['app', '--version'], stop.signal)).toEqual({
      exitCode: 0,
      stdout: 'v1.2.3\n',
      stderr: '',
      stopped: false,
    })
    // A stop after the end changes nothing; the exited container is removed.
    stop.abort()
    await e.removalsSettled()
    expect(docker.calls.map((c) => c.args[0])).toEqual(['run', 'rm'])
  })

  test('the exited container is removed without holding up the run; removalsSettled waits for the removal', async () => {
    const { docker, engine: e } = engine()
    let removed: (() => void) | undefined
    docker.answer = (args) =>
      args[0] === 'rm'
        ? new Promise<CommandResult>((resolve) => {
            removed = () => {
              resolve(done())
            }
          })
        : done('ok\n')
    expect((await e.run(SPEC, ['app'])).stdout).toBe('ok\n')
    // The run has its answer while the removal is still under way.
    expect(docker.calls.map((c) => c.args)).toEqual([
      smokeCommandArgs(SPEC, ['app']),
      ['rm', '--force', SPEC.name],
    ])
    let settled = false
    const settling = e.removalsSettled().then(() => {
      settled = true
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(settled).toBe(false)
    removed?.()
    await settling
    expect(settled).toBe(true)
  })

  test('a stop removes the container, which ends the run', async () => {
    const { docker, engine: e } = blockingDocker()
    const stop = new AbortController()
    const running = e.run(SPEC, ['sleep', '1000'], stop.signal)
    await until(() => docker.calls.length === 1)
    stop.abort()
    expect(await running).toEqual({ exitCode: 137, stdout: '', stderr: '', stopped: true })
    expect(docker.calls.map((c) => c.args)).toEqual([
      smokeCommandArgs(SPEC, ['sleep', '1000']),
      ['rm', '--force', SPEC.name],
    ])
  })

  test('a stop that came before the start removes the container at once', async () => {
    const { docker, engine: e } = blockingDocker()
    const result = await e.run(SPEC, ['true'], AbortSignal.abort())
    expect(result.stopped).toBe(true)
    expect(docker.calls.map((c) => c.args[0])).toEqual(['run', 'rm'])
  })
})

describe('info', () => {
  const answers: Record<string, CommandResult> = {
    info: done(
      JSON.stringify({
        ServerVersion: '26.1.5+dfsg1',
        DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']],
      }),
    ),
    version: done('github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3\n'),
    inspect: done(
      'Name:   default\nDriver: docker\n\nNodes:\nPlatforms: linux/amd64, linux/arm64\n',
    ),
  }
  const key = (args: readonly string[]): string => (args[0] === 'info' ? 'info' : (args[1] ?? ''))

  test('asks the engine, buildx and the builder', async () => {
    const { docker, engine: e } = engine()
    docker.answer = (args) => answers[key(args)] ?? done()
    expect(await e.info('ci')).toEqual({
      serverVersion: '26.1.5+dfsg1',
      buildxVersion: '0.13.1',
      builder: {
        name: 'default',
        driver: 'docker',
        platforms: ['linux/amd64', 'linux/arm64'],
        nodes: 1,
      },
      containerdStore: true,
    })
    // asked at once, in no particular order
    expect(docker.calls.map((c) => c.args.join(' ')).sort()).toEqual([
      'buildx inspect --bootstrap ci',
      'buildx version',
      'info --format {{json .}}',
    ])
  })

  test.each<[string, string, CommandResult, RegExp, RegExp]>([
    [
      'no docker CLI',
      'info',
      done('', 'spawn docker ENOENT', 127),
      /^the docker CLI is not installed$/,
      /install Docker/,
    ],
    [
      'no engine',
      'info',
      done('', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock', 1),
      /^the Docker engine does not answer: Cannot connect/,
      /start the Docker engine/,
    ],
    [
      'no buildx',
      'version',
      done('', "docker: 'buildx' is not a docker command.", 1),
      /^docker buildx is not available: docker: 'buildx' is not a docker command\.$/,
      /install the buildx plugin/,
    ],
    [
      'no such builder',
      'inspect',
      done('', 'ERROR: no builder "ci" found', 1),
      /^the buildx builder 'ci' cannot be used: ERROR: no builder "ci" found$/,
      /create the builder first/,
    ],
  ])('%s: a failure that says what to do', async (_name, which, answer, message, remedy) => {
    const { docker, engine: e } = engine()
    docker.answer = (args) => (key(args) === which ? answer : (answers[key(args)] ?? done()))
    const failure = await e.info('ci').catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StepFailure)
    expect((failure as StepFailure).message).toMatch(message)
    expect((failure as StepFailure).remedy).toMatch(remedy)
  })
})

describe("with the engine's API socket", () => {
  /** An API that answers from `facts` (undefined: as a socket that does not answer). */
  const api = (facts: { engine?: EngineFacts; container?: ContainerFacts }): EngineApi =>
    ({
      engine: () => Promise.resolve(facts.engine),
      container: () => Promise.resolve(facts.container),
    }) as unknown as EngineApi
  const withApi = (answers: Parameters<typeof api>[0]) => {
    const docker = new ScriptedDocker()
    docker.answer = (args) =>
      args[0] === 'buildx' && args[1] === 'version'
        ? done('github.com/docker/buildx 0.29.1 0.29.1\n')
        : args[0] === 'buildx'
          ? done('Name: b\nDriver: docker-container\nPlatforms: linux/amd64\n')
          : args[0] === 'info'
            ? done(JSON.stringify({ ServerVersion: '28.5.2', DriverStatus: [] }))
            : args[0] === 'port'
              ? done('127.0.0.1:40000\n')
              : done('false 2\n')
    return { docker, engine: new DockerEngine(docker, { api: api(answers) }) }
  }

  test("the engine's facts come from the socket: no `docker info`", async () => {
    const { docker, engine: e } = withApi({
      engine: { version: '28.5.2+dfsg4', containerdStore: false },
    })
    expect(await e.info()).toMatchObject({ serverVersion: '28.5.2+dfsg4', containerdStore: false })
    expect(docker.calls.map((c) => c.args[0])).toEqual(['buildx', 'buildx'])
  })

  test('a socket that does not answer: `docker info` is asked, as without one', async () => {
    const { docker, engine: e } = withApi({})
    expect(await e.info()).toMatchObject({ serverVersion: '28.5.2', containerdStore: false })
    expect(docker.calls.map((c) => c.args[0])).toContain('info')
  })

  test("a container's state and published port come from the socket: no docker process", async () => {
    const { docker, engine: e } = withApi({
      container: { state: { status: 'running' }, ports: { '8080/tcp': [32768] } },
    })
    expect(await e.state('c')).toEqual({ status: 'running' })
    expect(await e.publishedPort('c', 8080)).toEqual({ hostPort: 32768 })
    expect(docker.calls).toEqual([])
  })

  test('a port the socket does not list, or no answer: the docker CLI is asked', async () => {
    const listed = withApi({ container: { state: { status: 'running' }, ports: {} } })
    expect(await listed.engine.publishedPort('c', 8080)).toEqual({ hostPort: 40000 })
    const silent = withApi({})
    expect(await silent.engine.state('c')).toEqual({ status: 'exited', exitCode: 2 })
    expect([...listed.docker.calls, ...silent.docker.calls].map((c) => c.args[0])).toEqual([
      'port',
      'inspect',
    ])
  })
})

describe("removals and image reads through the engine's API socket", () => {
  test('a removal the engine says is in progress is asked again over the socket; no docker process', async () => {
    const statuses = [409, 409, 204]
    const asked: string[] = []
    const api = {
      remove: (name: string) => {
        asked.push(name)
        const status = statuses.shift() ?? 204
        return Promise.resolve({
          status,
          headers: {},
          body: Buffer.from(
            status === 409 ? `removal of container ${name} is already in progress` : '',
          ),
        })
      },
    } as unknown as EngineApi
    const docker = new ScriptedDocker()
    const e = new DockerEngine(docker, { api })
    await e.remove('c') // two waits of 0.5 s between the three asks
    expect(asked).toEqual(['c', 'c', 'c'])
    expect(docker.calls).toEqual([])
  })

  test('readImageFile reads through the socket and removes its container there; unanswered, it asks the CLI', async () => {
    const removed: string[] = []
    let answer: ImageFileRead = { kind: 'read', file: Buffer.from('ELF'), container: 'c9' }
    const api = {
      imageFile: () => Promise.resolve(answer),
      remove: (name: string) => {
        removed.push(name)
        return Promise.resolve({ status: 204, headers: {}, body: Buffer.alloc(0) })
      },
    } as unknown as EngineApi
    const docker = new ScriptedDocker()
    const e = new DockerEngine(docker, { api })
    expect((await e.readImageFile('r@sha256:1', 'linux/arm64', '/bin/app'))?.toString()).toBe('ELF')
    await e.removalsSettled()
    expect(removed).toEqual(['c9'])
    expect(docker.calls).toEqual([])
    answer = { kind: 'unanswered' }
    await e.readImageFile('r@sha256:1', 'linux/arm64', '/bin/app')
    expect(docker.calls.map((c) => c.args[0])).toEqual(['create', 'cp'])
  })
})

describe("the probe's container through the engine's socket", () => {
  const SELF_OWNER: ContainerOwner = { run: '500-1', repository: 'acme/app', process: 'h/b/1/1' }
  test('started over the socket with the labels, the env and the platform: no docker process', async () => {
    const asked: DetachedContainer[] = []
    const api = {
      startDetached: (c: DetachedContainer) => {
        asked.push(c)
        return Promise.resolve({ ok: true })
      },
    } as unknown as EngineApi
    const docker = new ScriptedDocker()
    const e = new DockerEngine(docker, { api, owner: SELF_OWNER })
    expect(await e.startDetached({ ...SPEC, expires: 1_700_000_000_000 }, 8080)).toEqual({
      ok: true,
    })
    expect(docker.calls).toEqual([])
    expect(asked).toEqual([
      {
        ref: SPEC.ref,
        name: SPEC.name,
        platform: 'linux/arm64',
        env: ['MODE=smoke'],
        labels: ownerLabels(SELF_OWNER, 1_700_000_000_000),
        port: 8080,
      },
    ])
  })

  test("the run's labelled containers are listed over the socket: no docker ps", async () => {
    const labels = ownerLabels(SELF_OWNER, 1_700_000_000_000)
    const api = {
      containersLabelled: () =>
        Promise.resolve([
          { id: 'a1', name: 'mar-500-1-x', labels },
          { id: 'b2', name: 'unlabelled', labels: {} },
        ]),
    } as unknown as EngineApi
    const docker = new ScriptedDocker()
    const found = await new DockerEngine(docker, { api }).labelledContainers()
    expect(found).toEqual([
      { id: 'a1', name: 'mar-500-1-x', owner: SELF_OWNER, expires: 1_700_000_000_000 },
    ])
    expect(docker.calls).toEqual([])
  })

  test('a socket that does not answer: `docker run --detach`, as without one', async () => {
    const api = { startDetached: () => Promise.resolve(undefined) } as unknown as EngineApi
    const docker = new ScriptedDocker()
    const e = new DockerEngine(docker, { api })
    expect(await e.startDetached(SPEC, 8080)).toEqual({ ok: true })
    expect(docker.calls.map((c) => c.args)).toEqual([probeContainerArgs(SPEC, 8080)])
  })
})

describe('reading an image in the engine', () => {
  test("localImageConfig: the loaded image's config", async () => {
    const { docker, engine: e } = engine()
    docker.answer = () =>
      done(
        JSON.stringify({
          Os: 'linux',
          Architecture: 'arm',
          Variant: 'v7',
          Config: { Entrypoint: ['/bin/busybox'], Cmd: ['httpd'], Env: ['PATH=/bin'] },
        }),
      )
    expect(await e.localImageConfig('t:1')).toMatchObject({
      os: 'linux',
      architecture: 'arm',
      variant: 'v7',
      entrypoint: ['/bin/busybox'],
      cmd: ['httpd'],
      env: ['PATH=/bin'],
    })
    expect(docker.calls[0]?.args).toEqual(['image', 'inspect', '--format', '{{json .}}', 't:1'])
    docker.answer = () => done('', 'Error: No such image: t:1', 1)
    await expect(e.localImageConfig('t:1')).rejects.toThrow(
      'inspecting the loaded image t:1 failed: Error: No such image: t:1',
    )
  })

  /** A tar stream of one file, as `docker cp … -` writes it. */
  function tarOf(content: string): Buffer {
    const header = Buffer.alloc(512)
    header.write('app', 0, 'latin1')
    header.write(content.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1')
    header.write('0', 156, 'latin1')
    const body = Buffer.alloc(512)
    body.write(content, 'latin1')
    return Buffer.concat([header, body, Buffer.alloc(1024)])
  }

  test('readImageFile copies the file out of a created container, which is removed', async () => {
    const { docker, engine: e } = engine()
    docker.answer = (args) => (args[0] === 'create' ? done('c0ffee\n') : done())
    docker.binary = () => ({ exitCode: 0, stdout: tarOf('#!/bin/sh\n'), stderr: '' })
    expect((await e.readImageFile(SPEC.ref, 'linux/arm64', '/app'))?.toString()).toBe('#!/bin/sh\n')
    expect(docker.calls.map((c) => c.args)).toEqual([
      ['create', '--pull', 'never', '--platform', 'linux/arm64', SPEC.ref],
      ['cp', '-L', 'c0ffee:/app', '-'],
      ['rm', '--force', 'c0ffee'],
    ])
  })

  test('readImageFile: a file not in the image is undefined; the container is removed', async () => {
    const { docker, engine: e } = engine()
    docker.answer = (args) => (args[0] === 'create' ? done('c0ffee\n') : done())
    docker.binary = () => ({
      exitCode: 1,
      stdout: Buffer.alloc(0),
      stderr: 'Error response from daemon: Could not find the file /app in container c0ffee',
    })
    expect(await e.readImageFile(SPEC.ref, 'linux/arm64', '/app')).toBeUndefined()
    expect(docker.calls.at(-1)?.args).toEqual(['rm', '--force', 'c0ffee'])
  })

  test('readImageFile: an image that cannot be created is an error', async () => {
    const { docker, engine: e } = engine()
    docker.answer = () => done('', 'Error: No such image', 1)
    await expect(e.readImageFile(SPEC.ref, 'linux/arm64', '/app')).rejects.toThrow(
      `creating a container of ${SPEC.ref} for linux/arm64 failed: Error: No such image`,
    )
  })
})

test('a container whose removal an earlier, killed client left in progress is removed on a later try', async () => {
  const { docker, engine: e } = engine()
  let removals = 0
  docker.answer = (args) =>
    args[0] === 'rm' && ++removals === 1
      ? done(
          '',
          `Error response from daemon: removal of container ${SPEC.name} is already in progress\n`,
          1,
        )
      : done()
  await e.remove(SPEC.name)
  expect(docker.calls.map((c) => c.args)).toEqual([
    ['rm', '--force', SPEC.name],
    ['rm', '--force', SPEC.name],
  ])
})

test('any other failure to remove is not asked again (a container already gone)', async () => {
  const { docker, engine: e } = engine()
  docker.answer = () => done('', 'Error response from daemon: No such container: x\n', 1)
  await e.remove(SPEC.name)
  expect(docker.calls).toHaveLength(1)
})
