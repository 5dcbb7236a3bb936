import { Cancelled, cancellationOf } from '../model/errors.js'
import type { SmokeSettings } from '../model/inputs.js'
import { formatPlatform, type Platform } from '../model/platform.js'
import type { CheckOutcome, SmokeCheck } from '../model/smoke.js'
import { timeoutFor } from '../model/duration.js'
import type { ContainerEngine } from '../ports/engine.js'
import type { ImageConfig } from '../model/oci.js'
import { tail } from '../ports/process.js'
import { checkArchitecture } from './architecture.js'
import { Deadline, systemClock, type Clock } from './clock.js'
import { containerName, type ContainerSpec } from './docker-run-args.js'
import { probeCheck } from './probe.js'

export type { SmokeCheck } from '../model/smoke.js'

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

/** One smoke command in its own container; at the deadline the container is removed. */
async function runCommandCheck(
  engine: ContainerEngine,
  spec: ContainerSpec,
  words: readonly string[],
  deadline: Deadline,
): Promise<CheckOutcome> {
  const name = `run ${words.join(' ')}`
  const result = await engine.run(spec, words, deadline.signal())
  if (result.stopped) return { name, ok: false, detail: 'timed out' }
  if (result.exitCode === 0) return { name, ok: true, detail: 'exit 0' }
  const output = tail(`${result.stdout}\n${result.stderr}`, 8)
  return { name, ok: false, detail: `exit ${result.exitCode}${output ? `: ${output}` : ''}` }
}

/** Every smoke check of one platform, run on its own manifest pulled by digest, within its timeout. */
export async function smokePlatform(
  engine: ContainerEngine,
  request: PlatformSmokeRequest,
  clock: Clock = systemClock,
): Promise<PlatformSmokeResult> {
  const started = clock.now()
  const platform = formatPlatform(request.platform)
  const ms = timeoutFor(request.smoke.timeout, request.platform).ms
  const deadline = new Deadline(clock, ms, engine.cancellation)
  const source = request.source
  const ref = source.kind === 'registry' ? `${request.image}@${source.manifestDigest}` : source.tag
  const checks: SmokeCheck[] = []
  const timed = async (check: () => Promise<CheckOutcome>): Promise<SmokeCheck> => {
    const t = clock.now()
    const result =
      deadline.remaining() > 0
        ? await check()
        : { name: 'timeout', ok: false, detail: 'no time left' }
    return { ...result, ms: clock.now() - t }
  }
  const done = (): PlatformSmokeResult => {
    // A check the cancellation cut short proves nothing: the run stops here, the image unjudged.
    const cancelled = cancellationOf(engine.cancellation, undefined)
    if (cancelled) throw new Cancelled(cancelled.signal, `smoke-testing ${platform}`)
    return { platform, ok: checks.every((c) => c.ok), checks, ms: clock.now() - started }
  }

  if (source.kind === 'registry') {
    const pulled = await timed(async () => {
      const result = await engine.pull(ref, request.platform)
      return result.ok
        ? { name: 'pull', ok: true, detail: source.manifestDigest }
        : { name: 'pull', ok: false, detail: tail(result.error, 4) }
    })
    checks.push(pulled)
    if (!pulled.ok) return done()
  }
  const spec = (check: string): ContainerSpec => ({
    ref,
    platform: request.platform,
    name: containerName(request.runId, request.platform, check),
    env: request.smoke.env,
    expires: deadline.at,
  })
  // The checks are independent containers and reads of the pulled image: they run at once,
  // and are reported in a fixed order (architecture, each command, the probe).
  const probe = request.smoke.http
  checks.push(
    ...(await Promise.all([
      timed(() => checkArchitecture(engine, { ...request, ref })),
      ...request.smoke.run.map((words, i) =>
        timed(() => runCommandCheck(engine, spec(`run${i}`), words, deadline)),
      ),
      ...(probe ? [timed(() => probeCheck(engine, spec('http'), probe, deadline, clock))] : []),
    ])),
  )
  return done()
}
