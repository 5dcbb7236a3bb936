// Instrumented releases (issue 19: where the smoke time goes): the action and the lean script
// with every process logged and every registry request metered. These releases are slower by
// the wrappers (a few ms per process) and the meter, and appear in no other table.
import { callLog } from './calls.js'
import { analyseRelease, type ReleaseBreakdown } from './breakdown.js'
import type { BenchImage } from './images.js'
import { startRegistryMeter, type MeteredRequest } from './registry-meter.js'
import { ActionSubject, ScriptSubject, type Timing } from './subjects.js'

export interface LeanBreakdown {
  readonly timing: Timing
  /** Blobs the engine downloaded during the script's smoke phase. */
  readonly smokeBlobDownloads: { readonly count: number; readonly bytes: number }
  readonly calls: readonly { readonly kind: string; readonly ms: number }[]
}

export interface Instrumented {
  readonly image: string
  readonly action: readonly ReleaseBreakdown[]
  readonly lean: LeanBreakdown
}

/** Records when each GitHub API request arrives at the stand-in. */
function githubClock(requests: readonly unknown[]): { times: number[]; stop: () => void } {
  const times: number[] = []
  const list = requests as unknown[]
  const push = list.push.bind(list)
  list.push = (...items: unknown[]): number => {
    times.push(...items.map(() => Date.now()))
    return push(...items)
  }
  return { times, stop: () => void (list.push = push) }
}

export async function instrumentedReleases(
  image: BenchImage,
  platforms: readonly string[],
  inputs: Record<string, string>,
  releases: number,
): Promise<Instrumented> {
  const meter = await startRegistryMeter()
  const action = await ActionSubject.create(`instr-${image.name}-action`, image, inputs, {
    registry: meter.host,
  })
  const lean = new ScriptSubject(
    'lean',
    `instr-${image.name}-lean`,
    image,
    platforms.join(','),
    meter.host,
  )
  try {
    // Untimed: the first push to a new repository uploads every blob.
    await action.release()
    await lean.release()
    const results: ReleaseBreakdown[] = []
    for (let i = 0; i < releases; i++) {
      const log = callLog()
      const github = githubClock(action.github.requests)
      const before = meter.requests.length
      const timing = await action.release({ env: log.env })
      github.stop()
      const spawned = timing.spawnedAtMs ?? 0
      results.push(
        analyseRelease(
          timing,
          spawned,
          spawned + timing.totalMs,
          log.read(),
          meter.requests.slice(before),
          github.times,
          platforms,
        ),
      )
      log.close()
    }
    const log = callLog()
    const before = meter.requests.length
    const started = Date.now()
    const timing = await lean.release({ env: log.env })
    const calls = log.read()
    log.close()
    const requests: MeteredRequest[] = meter.requests.slice(before)
    const buildEnd = started + (timing.parts.build ?? 0)
    const smokeEnd = buildEnd + (timing.parts.smoke ?? 0)
    const blobs = requests.filter(
      (r) =>
        r.startMs >= buildEnd &&
        r.startMs < smokeEnd &&
        r.client === 'engine' &&
        r.method === 'GET' &&
        r.path.includes('/blobs/'),
    )
    return {
      image: image.name,
      action: results,
      lean: {
        timing,
        smokeBlobDownloads: {
          count: blobs.length,
          bytes: blobs.reduce((n, r) => n + r.responseBytes, 0),
        },
        calls: calls.map((c) => ({
          kind: c.command.split(' ').slice(0, 3).join(' '),
          ms: c.endMs - c.startMs,
        })),
      },
    }
  } finally {
    await action.close()
    await lean.close()
    await meter.close()
  }
}
