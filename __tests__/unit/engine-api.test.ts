import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EngineApi, engineSocket } from '../../src/ports/engine-api.js'

describe('engineSocket: the socket the docker CLI would use, or none', () => {
  const config = (content?: object): string => {
    const dir = mkdtempSync(join(tmpdir(), 'docker-config-'))
    if (content) writeFileSync(join(dir, 'config.json'), JSON.stringify(content))
    return dir
  }

  test.each<[string, NodeJS.ProcessEnv, string | undefined]>([
    ['DOCKER_HOST on a unix socket', { DOCKER_HOST: 'unix:///run/e.sock' }, '/run/e.sock'],
    ['DOCKER_HOST over TCP', { DOCKER_HOST: 'tcp://10.0.0.1:2376' }, undefined],
    ['DOCKER_HOST over ssh', { DOCKER_HOST: 'ssh://me@host' }, undefined],
    ['a context by DOCKER_CONTEXT', { DOCKER_CONTEXT: 'remote' }, undefined],
    [
      'the default context by DOCKER_CONTEXT',
      { DOCKER_CONTEXT: 'default' },
      '/var/run/docker.sock',
    ],
  ])('%s', (_name, env, socket) => {
    expect(engineSocket({ ...env, DOCKER_CONFIG: config() })).toBe(socket)
  })

  test("a context the config file chooses: none; the config's default context: the default socket", () => {
    expect(engineSocket({ DOCKER_CONFIG: config({ currentContext: 'remote' }) })).toBeUndefined()
    expect(engineSocket({ DOCKER_CONFIG: config({ currentContext: 'default' }) })).toBe(
      '/var/run/docker.sock',
    )
    expect(engineSocket({ DOCKER_CONFIG: config() })).toBe('/var/run/docker.sock')
  })
})

describe('EngineApi on a unix socket', () => {
  let server: Server
  let socket: string
  const paths: string[] = []
  let answers: Record<string, [number, string]> = {}
  /** Answers by method and path, with headers: for what is not a GET. */
  let routes: Record<string, [number, string, Record<string, string>?]> = {}
  const bodies: string[] = []

  beforeAll(async () => {
    socket = join(mkdtempSync(join(tmpdir(), 'engine-api-')), 'docker.sock')
    server = createServer((req, res) => {
      paths.push(`${req.method === 'GET' ? '' : `${req.method ?? ''} `}${req.url ?? ''}`)
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        bodies.push(body)
        const route = routes[`${req.method ?? ''} ${req.url ?? ''}`]
        if (route) {
          const [status, text, headers = {}] = route
          res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : text)
          return
        }
        const [status, text] = answers[req.url ?? ''] ?? [404, '{"message":"page not found"}']
        res.writeHead(status, { 'content-type': 'application/json' }).end(text)
      })
    })
    await new Promise<void>((resolve) => server.listen(socket, resolve))
  })
  afterAll(() => {
    server.close()
  })
  beforeEach(() => {
    paths.length = 0
    bodies.length = 0
    answers = {}
    routes = {}
  })

  // Shapes as Docker 26 (containerd store) and Docker 28 (classic store) answer them.
  test.each<[string, object, boolean]>([
    [
      'the containerd image store',
      {
        ServerVersion: '26.1.5+dfsg1',
        DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']],
      },
      true,
    ],
    [
      'the classic image store',
      { ServerVersion: '28.5.2+dfsg4', DriverStatus: [['Backing Filesystem', 'extfs']] },
      false,
    ],
  ])("the engine's version and %s from GET /info", async (_name, info, containerdStore) => {
    answers['/info'] = [200, JSON.stringify(info)]
    const facts = await new EngineApi(socket).engine()
    expect(facts).toEqual({
      version: (info as { ServerVersion: string }).ServerVersion,
      containerdStore,
    })
  })

  test("a running container's published ports, and an exited one's code", async () => {
    answers['/containers/mar-1-http/json'] = [
      200,
      JSON.stringify({
        State: { Status: 'running', Running: true, ExitCode: 0 },
        NetworkSettings: {
          Ports: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '32771' }], '9090/tcp': null },
        },
      }),
    ]
    answers['/containers/mar-1-run0/json'] = [
      200,
      JSON.stringify({
        State: { Status: 'exited', Running: false, ExitCode: 3 },
        NetworkSettings: { Ports: {} },
      }),
    ]
    const api = new EngineApi(socket)
    expect(await api.container('mar-1-http')).toEqual({
      state: { status: 'running' },
      ports: { '8080/tcp': [32771], '9090/tcp': [] },
    })
    expect(await api.container('mar-1-run0')).toEqual({
      state: { status: 'exited', exitCode: 3 },
      ports: {},
    })
  })

  test('a name is one path segment, whatever it holds', async () => {
    await new EngineApi(socket).container('a/../../info')
    expect(paths).toEqual(['/containers/a%2F..%2F..%2Finfo/json'])
  })

  test.each<[string, [number, string] | undefined]>([
    ['no such container (404)', undefined],
    ['an engine error (500)', [500, '{"message":"boom"}']],
    ['a body that is not JSON', [200, 'not json']],
    ['an answer without a state', [200, '{}']],
  ])('%s: undefined, so the docker CLI is asked', async (_name, answer) => {
    if (answer) answers['/containers/c/json'] = answer
    expect(await new EngineApi(socket).container('c')).toBeUndefined()
  })

  test('no engine on the socket: undefined', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'engine-api-')), 'none.sock')
    expect(await new EngineApi(missing).engine()).toBeUndefined()
  })

  test('an engine that does not answer in time: undefined after the timeout', async () => {
    const silent = join(mkdtempSync(join(tmpdir(), 'engine-api-')), 'silent.sock')
    const hung = createServer(() => undefined)
    await new Promise<void>((resolve) => hung.listen(silent, resolve))
    try {
      expect(await new EngineApi(silent, 50).engine()).toBeUndefined()
    } finally {
      hung.closeAllConnections()
      hung.close()
    }
  })

  /** A tar holding one file, as the engine's archive endpoint sends it. */
  const tarOf = (name: string, content: string): string => {
    const header = Buffer.alloc(512)
    header.write(name, 0)
    header.write(content.length.toString(8).padStart(11, '0'), 124)
    header.write('0', 156)
    const data = Buffer.alloc(Math.ceil(content.length / 512) * 512)
    data.write(content)
    return Buffer.concat([header, data, Buffer.alloc(1024)]).toString('latin1')
  }
  const statHeader = (stat: object): Record<string, string> => ({
    'x-docker-container-path-stat': Buffer.from(JSON.stringify(stat)).toString('base64'),
  })
  const CREATE = 'POST /containers/create?platform=linux%2Farm64'

  test('imageFile: a container created with the labels, a symlink followed to its target, the file read', async () => {
    routes[CREATE] = [201, '{"Id":"c1","Warnings":[]}']
    routes['HEAD /containers/c1/archive?path=%2Fusr%2Fbin%2Fapp'] = [
      200,
      '',
      statHeader({ name: 'app', mode: 0x8000000 | 0o777, linkTarget: '../../opt/app/bin/app' }),
    ]
    routes['GET /containers/c1/archive?path=%2Fopt%2Fapp%2Fbin%2Fapp'] = [200, tarOf('app', 'ELF!')]
    const read = await new EngineApi(socket).imageFile(
      'r/app@sha256:1',
      'linux/arm64',
      '/usr/bin/app',
      {
        owner: 'run-1',
      },
    )
    expect(read.kind === 'read' && read.file?.toString()).toBe('ELF!')
    expect(read.container).toBe('c1')
    expect(JSON.parse(bodies[0] ?? '')).toEqual({
      Image: 'r/app@sha256:1',
      Labels: { owner: 'run-1' },
    })
  })

  test('imageFile: a path that is not in the image is read as undefined, and the container is named for removal', async () => {
    routes[CREATE] = [201, '{"Id":"c2"}']
    routes['HEAD /containers/c2/archive?path=%2Fbin%2Fapp'] = [404, '']
    expect(
      await new EngineApi(socket).imageFile('r@sha256:1', 'linux/arm64', '/bin/app', {}),
    ).toEqual({
      kind: 'read',
      file: undefined,
      container: 'c2',
    })
  })

  test('imageFile: an image the engine cannot create a container of is left to the docker CLI', async () => {
    routes[CREATE] = [404, '{"message":"No such image"}']
    expect(
      await new EngineApi(socket).imageFile('r@sha256:1', 'linux/arm64', '/bin/app', {}),
    ).toEqual({
      kind: 'unanswered',
    })
  })

  test("remove: DELETE with force, and the engine's status", async () => {
    routes['DELETE /containers/c3?force=1'] = [
      409,
      '{"message":"removal of container c3 is already in progress"}',
    ]
    const answer = await new EngineApi(socket).remove('c3')
    expect(answer?.status).toBe(409)
    expect(answer?.body.toString()).toMatch(/already in progress/)
  })

  const PROBE = {
    ref: 'r/app@sha256:2',
    name: 'mar-1-linux-arm64-http-x',
    platform: 'linux/arm64',
    env: ['MODE=smoke'],
    labels: { owner: 'run-1' },
    port: 8080,
  }
  const CREATE_PROBE =
    'POST /containers/create?name=mar-1-linux-arm64-http-x&platform=linux%2Farm64'

  test('startDetached: created with the port published on loopback only, then started', async () => {
    routes[CREATE_PROBE] = [201, '{"Id":"p1"}']
    routes['POST /containers/mar-1-linux-arm64-http-x/start'] = [204, '']
    expect(await new EngineApi(socket).startDetached(PROBE)).toEqual({ ok: true })
    expect(paths).toEqual([CREATE_PROBE, 'POST /containers/mar-1-linux-arm64-http-x/start'])
    expect(JSON.parse(bodies[0] ?? '')).toEqual({
      Image: 'r/app@sha256:2',
      Env: ['MODE=smoke'],
      Labels: { owner: 'run-1' },
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    })
  })

  test.each<[string, Record<string, [number, string]>, string]>([
    [
      'an image the engine does not hold',
      { [CREATE_PROBE]: [404, '{"message":"No such image: r/app@sha256:2"}'] },
      'Error response from daemon: No such image: r/app@sha256:2',
    ],
    [
      'an entrypoint that cannot start',
      {
        [CREATE_PROBE]: [201, '{"Id":"p1"}'],
        'POST /containers/mar-1-linux-arm64-http-x/start': [
          400,
          '{"message":"failed to create task: exec: \\"/app\\": no such file or directory"}',
        ],
      },
      'Error response from daemon: failed to create task: exec: "/app": no such file or directory',
    ],
  ])(
    "startDetached: %s fails with the engine's own message, as the CLI prints it",
    async (_name, answers, error) => {
      routes = answers
      expect(await new EngineApi(socket).startDetached(PROBE)).toEqual({ ok: false, error })
    },
  )

  test('startDetached: no engine on the socket is undefined, for the CLI to try', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'engine-api-')), 'none.sock')
    expect(await new EngineApi(missing).startDetached(PROBE)).toBeUndefined()
  })

  test('containersLabelled: the filter as docker ps --filter label= sends it; names without their slash', async () => {
    const label = 'dev.multiarch-release.run'
    const query = `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`
    answers[query] = [
      200,
      JSON.stringify([
        { Id: 'a1', Names: ['/mar-1-linux-arm64-http-x'], Labels: { [label]: '1-1', other: 'x' } },
        { Id: 'b2', Names: [], Labels: null },
        { Names: ['/no-id'] },
      ]),
    ]
    expect(await new EngineApi(socket).containersLabelled(label)).toEqual([
      { id: 'a1', name: 'mar-1-linux-arm64-http-x', labels: { [label]: '1-1', other: 'x' } },
      { id: 'b2', name: '', labels: {} },
    ])
    expect(paths).toEqual([query])
  })
})
