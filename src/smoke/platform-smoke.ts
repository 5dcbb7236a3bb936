import type { SmokeSettings } from '../model/inputs.js'
import { formatPlatform, normalizePlatform, type Platform } from '../model/platform.js'
import { describeExpectation, expectationHolds, type HttpProbe } from '../model/smoke.js'
import { timeoutFor } from '../model/duration.js'
import type { ContainerEngine } from '../ports/engine.js'
import type { ImageConfig } from '../model/oci.js'
import { tail } from '../ports/process.js'
import {
  containerName,
  probeContainerArgs,
  smokeCommandArgs,
  type ContainerSpec,
} from './docker-run-args.js'
import { inspectBinary } from './elf.js'

export interface SmokeCheck {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
  readonly ms: number
}

export interface PlatformSmokeResult {
  readonly platform: string
  readonly ok: boolean
  readonly checks: readonly SmokeCheck[]
  readonly ms: number
}

export interface PlatformSmokeRequest {
  readonly image: string
  readonly platform: Platform
  /** What is run: image@digest of the platform's own manifest, pulled first; or a loaded local tag. */
  readonly source: { kind: 'registry'; manifestDigest: string } | { kind: 'local'; tag: string }
  readonly config: ImageConfig
  readonly smoke: SmokeSettings
  readonly runId: string
  /** Reads a file's first bytes without a container (from the registry's layers), if it can. */
  readonly readHead?: (path: string) => Promise<Buffer | undefined>
}

const POLL_MS = 250
const FIRST_POLL_MS = 25
const EXIT_CHECK_MS = 1000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

class Deadline {
  constructor(private readonly at: number) {}
  remaining(): number {
    return Math.max(0, this.at - Date.now())
  }
}

/** Runs `fn`; when the deadline passes first, calls `onTimeout` and reports a timeout. */
async function withDeadline<T>(
  deadline: Deadline,
  fn: () => Promise<T>,
  onTimeout: () => Promise<unknown>,
): Promise<{ value: T } | { timedOut: true }> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => {
      resolve('expired')
    }, deadline.remaining())
  })
  const work = fn().then((value) => ({ value }))
  const winner = await Promise.race([work, expired])
  clearTimeout(timer)
  if (winner !== 'expired') return winner
  await onTimeout()
  await work.catch(() => undefined)
  return { timedOut: true }
}

/** Where the image's first program is: the entrypoint, else the command, found on PATH. */
function programCandidates(config: ImageConfig): string[] {
  const program = config.entrypoint[0] ?? config.cmd[0]
  if (program === undefined) return []
  if (program.startsWith('/')) return [program]
  const path =
    config.env.find((e) => e.startsWith('PATH='))?.slice(5) ??
    '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  return path
    .split(':')
    .filter((dir) => dir !== '')
    .map((dir) => `${dir.replace(/\/$/, '')}/${program}`)
}

/** The first of the candidate paths that exists in the image, with its first bytes. */
async function findProgram(
  engine: ContainerEngine,
  request: PlatformSmokeRequest,
  ref: string,
  candidates: readonly string[],
): Promise<{ path: string; head: Buffer } | undefined> {
  const platform = formatPlatform(request.platform)
  for (const path of candidates) {
    const bytes =
      (await request.readHead?.(path)) ?? (await engine.readImageFile(ref, platform, path))
    if (bytes !== undefined) return { path, head: bytes.subarray(0, 512) }
  }
  return undefined
}

/** Checks that the image's program is built for the platform: QEMU would hide a wrong one. */
async function checkArchitecture(
  engine: ContainerEngine,
  request: PlatformSmokeRequest,
  ref: string,
): Promise<Omit<SmokeCheck, 'ms'>> {
  const name = 'architecture'
  const expected = normalizePlatform(request.platform).architecture
  const candidates = programCandidates(request.config)
  if (candidates.length === 0) {
    return { name, ok: true, detail: 'not checked: the image has no entrypoint or command' }
  }
  let program = await findProgram(engine, request, ref, candidates)
  if (program === undefined) {
    return {
      name,
      ok: false,
      detail: `the image's program (${candidates.join(' or ')}) is not in the image`,
    }
  }
  let kind = inspectBinary(program.head)
  // A script entrypoint is checked through its interpreter.
  if (kind.kind === 'script' && kind.interpreter.startsWith('/')) {
    const interpreter = await findProgram(engine, request, ref, [kind.interpreter])
    if (interpreter === undefined) {
      return {
        name,
        ok: false,
        detail: `${program.path} needs ${kind.interpreter}, which is not in the image`,
      }
    }
    program = interpreter
    kind = inspectBinary(interpreter.head)
  }
  if (kind.kind !== 'elf')
    return { name, ok: true, detail: `not checked: ${program.path} is not an ELF binary` }
  return kind.architecture === expected
    ? { name, ok: true, detail: `${program.path} is an ${kind.architecture} binary` }
    : {
        name,
        ok: false,
        detail: `${program.path} is built for ${kind.architecture}, not ${expected}`,
      }
}

async function runCommandCheck(
  engine: ContainerEngine,
  spec: ContainerSpec,
  words: readonly string[],
  deadline: Deadline,
): Promise<Omit<SmokeCheck, 'ms'>> {
  const name = `run ${words.join(' ')}`
  const outcome = await withDeadline(
    deadline,
    () => engine.docker(smokeCommandArgs(spec, words)),
    () => engine.docker(['rm', '--force', spec.name]),
  )
  if ('timedOut' in outcome) return { name, ok: false, detail: 'timed out' }
  const result = outcome.value
  if (result.exitCode === 0) return { name, ok: true, detail: 'exit 0' }
  const output = tail(`${result.stdout}\n${result.stderr}`, 8)
  return { name, ok: false, detail: `exit ${result.exitCode}${output ? `: ${output}` : ''}` }
}

async function probeCheck(
  engine: ContainerEngine,
  spec: ContainerSpec,
  probe: HttpProbe,
  deadline: Deadline,
): Promise<Omit<SmokeCheck, 'ms'>> {
  const name = `http ${probe.port}${probe.path}`
  const started = await engine.docker(probeContainerArgs(spec, probe.port))
  if (started.exitCode !== 0)
    return { name, ok: false, detail: `the container did not start: ${tail(started.stderr, 4)}` }
  // Why a container that stopped did so: its exit code and the end of its log.
  const exited = async (): Promise<Omit<SmokeCheck, 'ms'> | undefined> => {
    const state = await engine.docker([
      'inspect',
      '--format',
      '{{.State.Running}} {{.State.ExitCode}}',
      spec.name,
    ])
    const [running, exitCode] = state.stdout.trim().split(' ')
    if (running !== 'false') return undefined
    const logs = await engine.docker(['logs', '--tail', '20', spec.name])
    return {
      name,
      ok: false,
      detail: `the container exited (code ${exitCode ?? '?'}) before answering; its log: ${tail(`${logs.stdout}\n${logs.stderr}`, 10)}`,
    }
  }
  try {
    const port = await engine.docker(['port', spec.name, `${probe.port}/tcp`])
    const hostPort = /:(\d+)\s*$/m.exec(port.stdout)?.[1]
    if (hostPort === undefined) {
      return (
        (await exited()) ?? {
          name,
          ok: false,
          detail: `port ${probe.port} was not published: ${tail(port.stderr, 2)}`,
        }
      )
    }
    const url = `http://127.0.0.1:${hostPort}${probe.path}`
    let last = 'no answer yet'
    // Poll soon (a small server answers within milliseconds), then back off to POLL_MS.
    let interval = FIRST_POLL_MS
    let askedAt = Date.now()
    while (deadline.remaining() > 0) {
      try {
        const response = await fetch(url, {
          signal: AbortSignal.timeout(Math.max(1, Math.min(5_000, deadline.remaining()))),
        })
        const body = await response.text()
        if (expectationHolds(probe.expect, response.status, body)) {
          return { name, ok: true, detail: `${response.status} from ${probe.path}` }
        }
        last = `${response.status} ${JSON.stringify(body.trim().slice(0, 200))}`
      } catch (error) {
        last =
          error instanceof Error
            ? error.cause instanceof Error
              ? error.cause.message
              : error.message
            : String(error)
      }
      // Whether it stopped is asked at most once a second (each question starts a docker
      // process), while waiting for the next poll rather than on top of it.
      const ask = Date.now() - askedAt >= EXIT_CHECK_MS
      if (ask) askedAt = Date.now()
      const [stopped] = await Promise.all([
        ask ? exited() : undefined,
        sleep(Math.min(interval, deadline.remaining())),
      ])
      if (stopped) return stopped
      interval = Math.min(POLL_MS, interval * 2)
    }
    const logs = await engine.docker(['logs', '--tail', '20', spec.name])
    return {
      name,
      ok: false,
      detail: `timed out waiting for ${describeExpectation(probe.expect)} (last: ${last}); its log: ${tail(`${logs.stdout}\n${logs.stderr}`, 10)}`,
    }
  } finally {
    await engine.docker(['rm', '--force', spec.name])
  }
}

/** Every smoke check of one platform, run on its own manifest pulled by digest, within its timeout. */
export async function smokePlatform(
  engine: ContainerEngine,
  request: PlatformSmokeRequest,
): Promise<PlatformSmokeResult> {
  const started = Date.now()
  const platform = formatPlatform(request.platform)
  const deadline = new Deadline(started + timeoutFor(request.smoke.timeout, request.platform).ms)
  const source = request.source
  const ref = source.kind === 'registry' ? `${request.image}@${source.manifestDigest}` : source.tag
  const checks: SmokeCheck[] = []
  const timed = async (check: () => Promise<Omit<SmokeCheck, 'ms'>>): Promise<SmokeCheck> => {
    const t = Date.now()
    const result =
      deadline.remaining() > 0
        ? await check()
        : { name: 'timeout', ok: false, detail: 'no time left' }
    return { ...result, ms: Date.now() - t }
  }
  const record = async (check: () => Promise<Omit<SmokeCheck, 'ms'>>): Promise<boolean> => {
    const result = await timed(check)
    checks.push(result)
    return result.ok
  }
  const done = (): PlatformSmokeResult => ({
    platform,
    ok: checks.every((c) => c.ok),
    checks,
    ms: Date.now() - started,
  })

  if (source.kind === 'registry') {
    const pulled = await record(async () => {
      const result = await engine.docker(['pull', '--quiet', '--platform', platform, ref])
      return result.exitCode === 0
        ? { name: 'pull', ok: true, detail: source.manifestDigest }
        : { name: 'pull', ok: false, detail: tail(result.stderr, 4) }
    })
    if (!pulled) return done()
  }
  const spec = (check: string): ContainerSpec => ({
    ref,
    platform: request.platform,
    name: containerName(request.runId, request.platform, check),
    env: request.smoke.env,
  })
  // The checks are independent containers and reads of the pulled image: they run at once,
  // and are reported in a fixed order (architecture, each command, the probe).
  const probe = request.smoke.http
  checks.push(
    ...(await Promise.all([
      timed(() => checkArchitecture(engine, request, ref)),
      ...request.smoke.run.map((words, i) =>
        timed(() => runCommandCheck(engine, spec(`run${i}`), words, deadline)),
      ),
      ...(probe ? [timed(() => probeCheck(engine, spec('http'), probe, deadline))] : []),
    ])),
  )
  return done()
}
