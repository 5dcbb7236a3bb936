// What each engine and registry operation of a smoke test costs on this machine by itself, one
// at a time (issue 19): the floor under each phase of the action's smoke step, and what the
// alternatives to today's calls (the engine's API socket, a kill instead of a forced removal)
// would save.
import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { promisify } from 'node:util'
import { buildxPlugin } from '../../src/ports/docker-cli.js'
import { engineSocket } from '../../src/ports/engine-api.js'
import { HttpRegistry } from '../../src/ports/registry/http.js'
import { median } from './stats.js'

const run = promisify(execFile)

export interface Primitive {
  readonly name: string
  readonly platform?: string
  readonly medianMs: number
  readonly samples: readonly number[]
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await action()
  return performance.now() - started
}

const docker = (...args: string[]): Promise<{ stdout: string }> => run('docker', args)

/** One request to the engine's API socket (what the CLI does after starting up). */
function engineApi(method: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // The socket of the stack measured, as the action finds it (DOCKER_HOST, else the default).
    const socketPath = engineSocket() ?? '/var/run/docker.sock'
    const req = request({ socketPath, method, path }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => {
        resolve(body)
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Polls the URL every 5 ms until it answers 2xx. */
async function firstAnswer(url: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    try {
      const res = await fetch(url)
      await res.arrayBuffer()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`${url} never answered`)
}

/** Each platform's manifest digest in the index of a tag. */
async function platformDigests(ref: string): Promise<Record<string, string>> {
  const { stdout } = await docker('buildx', 'imagetools', 'inspect', '--raw', ref)
  const index = JSON.parse(stdout) as {
    manifests: { digest: string; platform?: { os: string; architecture: string } }[]
  }
  return Object.fromEntries(
    index.manifests
      .filter((m) => m.platform && m.platform.os !== 'unknown')
      .map((m) => [`${m.platform?.os}/${m.platform?.architecture}`, m.digest]),
  )
}

/** What preflight asks the engine today, one question at a time. */
export async function measureEngineQuestions(reps: number): Promise<Primitive[]> {
  const questions: [string, string, string[]][] = [
    ['preflight: docker info --format {{json .}}', 'docker', ['info', '--format', '{{json .}}']],
    ['preflight: docker buildx version', 'docker', ['buildx', 'version']],
    [
      'preflight: docker buildx inspect --bootstrap',
      'docker',
      ['buildx', 'inspect', '--bootstrap'],
    ],
    ['preflight: docker buildx inspect (no --bootstrap)', 'docker', ['buildx', 'inspect']],
    ['preflight: git rev-parse HEAD', 'git', ['rev-parse', 'HEAD']],
  ]
  // What the action runs instead of `docker buildx …`: the plugin itself (src/ports/docker-cli.ts).
  const plugin = buildxPlugin()
  if (plugin !== undefined)
    questions.push(
      ['preflight: buildx plugin: version (no docker CLI)', plugin, ['version']],
      [
        'preflight: buildx plugin: inspect --bootstrap (no docker CLI)',
        plugin,
        ['inspect', '--bootstrap'],
      ],
    )
  const results: Primitive[] = []
  for (const [name, program, args] of questions) {
    const samples: number[] = []
    for (let i = 0; i < reps; i++) samples.push(await timed(() => run(program, args)))
    results.push({ name, medianMs: median(samples), samples })
  }
  const samples: number[] = []
  for (let i = 0; i < reps; i++) samples.push(await timed(() => engineApi('GET', '/info')))
  results.push({
    name: 'preflight: engine API socket: GET /info (no process)',
    medianMs: median(samples),
    samples,
  })
  return results
}

/**
 * The operations, `reps` times each, on a released image (its `latest` tag): each platform's
 * manifest is held by the engine already (the build put it there).
 */
export async function measurePrimitives(
  image: string,
  platforms: readonly string[],
  reps: number,
  label: string,
): Promise<Primitive[]> {
  const digests = await platformDigests(`${image}:latest`)
  const results: Primitive[] = []
  const record = async (
    name: string,
    platform: string | undefined,
    action: () => Promise<unknown>,
  ): Promise<void> => {
    const samples: number[] = []
    for (let i = 0; i < reps; i++) samples.push(await timed(action))
    results.push({
      name: `${label}: ${name}`,
      ...(platform ? { platform } : {}),
      medianMs: median(samples),
      samples,
    })
  }
  await record('docker CLI start (docker --version, no engine call)', undefined, () =>
    docker('--version'),
  )
  await record('docker version (one engine call)', undefined, () =>
    docker('version', '--format', '{{.Server.Version}}'),
  )
  await record('engine API socket: GET /version (no process)', undefined, () =>
    engineApi('GET', '/version'),
  )
  for (const platform of platforms) {
    const digest = digests[platform]
    if (!digest) throw new Error(`${image}:latest has no ${platform} manifest`)
    const ref = `${image}@${digest}`
    await record('docker pull by digest (held by the engine)', platform, () =>
      docker('pull', '--quiet', '--platform', platform, ref),
    )
    await record('docker run --rm … true', platform, () =>
      docker('run', '--rm', '--pull', 'never', '--platform', platform, ref, 'true'),
    )
    // The probe, phase by phase: a detached start, the port, the first answer, the removal.
    const phases: Record<string, number[]> = {
      'docker run -d -p 127.0.0.1::8080': [],
      'docker port': [],
      'first HTTP answer after docker port (5 ms polls)': [],
      'docker rm -f (running)': [],
      'docker kill (running; removal left to --rm)': [],
      'docker inspect (container state)': [],
      'engine API socket: GET /containers/{id}/json': [],
    }
    const add = (name: string, ms: number): void => {
      phases[name]?.push(ms)
    }
    for (let i = 0; i < reps; i++) {
      for (const stop of ['rm', 'kill'] as const) {
        let id = ''
        add(
          'docker run -d -p 127.0.0.1::8080',
          await timed(async () => {
            const args = ['run', '-d', ...(stop === 'kill' ? ['--rm'] : []), '--pull', 'never']
            id = (
              await docker(...args, '--platform', platform, '-p', '127.0.0.1::8080', ref)
            ).stdout.trim()
          }),
        )
        let port = ''
        add(
          'docker port',
          await timed(async () => {
            port =
              (await docker('port', id, '8080/tcp')).stdout.split('\n')[0]?.split(':').pop() ?? ''
          }),
        )
        add(
          'first HTTP answer after docker port (5 ms polls)',
          await timed(() => firstAnswer(`http://127.0.0.1:${port}/health`)),
        )
        if (stop === 'rm') {
          add(
            'docker inspect (container state)',
            await timed(() => docker('inspect', '--format', '{{.State.Running}}', id)),
          )
          add(
            'engine API socket: GET /containers/{id}/json',
            await timed(() => engineApi('GET', `/containers/${id}/json`)),
          )
          add('docker rm -f (running)', await timed(() => docker('rm', '-f', id)))
        } else {
          add('docker kill (running; removal left to --rm)', await timed(() => docker('kill', id)))
          // Untimed: the removal the engine does on its own after the kill.
          await docker('rm', '-f', id).catch(() => undefined)
        }
      }
    }
    for (const [name, samples] of Object.entries(phases))
      results.push({ name: `${label}: ${name}`, platform, medianMs: median(samples), samples })
    await record(
      'architecture: docker create + docker cp -L /bin/busybox + docker rm',
      platform,
      async () => {
        const id = (
          await docker('create', '--pull', 'never', '--platform', platform, ref)
        ).stdout.trim()
        await run('docker', ['cp', '-L', `${id}:/bin/busybox`, '-'], {
          encoding: 'buffer',
          maxBuffer: 64 << 20,
        })
        await docker('rm', '-f', id)
      },
    )
    const registry = new HttpRegistry()
    await record(
      "architecture: the action's read of /bin/busybox from the layer blobs",
      platform,
      () => registry.fileHead(ref, '/bin/busybox'),
    )
  }
  return results
}
