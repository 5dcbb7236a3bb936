import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/** A container of the action that stopped: which run, which image, how it exited. */
export interface ContainerEnd {
  readonly run: string
  readonly name: string
  readonly image: string
  readonly exitCode: number
}

/**
 * The engine's own record of the action's containers as they stop (`docker events`): the
 * world's evidence that a smoke command ran on a platform's manifest and exited 0.
 */
export class EngineEvents {
  readonly ends: ContainerEnd[] = []
  private readonly child: ChildProcess

  private constructor() {
    this.child = spawn(
      'docker',
      [
        'events',
        '--filter',
        'type=container',
        '--filter',
        'event=die',
        '--filter',
        'label=dev.multiarch-release.run',
        '--format',
        '{{json .}}',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    )
    const lines = createInterface({ input: this.child.stdout ?? process.stdin })
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } }
        const a = event.Actor?.Attributes ?? {}
        this.ends.push({
          run: a['dev.multiarch-release.run'] ?? '',
          name: a.name ?? '',
          image: a.image ?? '',
          exitCode: Number(a.exitCode ?? -1),
        })
      } catch {
        // not an event line
      }
    })
  }

  /** Starts listening; the engine only reports what happens from now on. */
  static async start(): Promise<EngineEvents> {
    const events = new EngineEvents()
    // `docker events` connects before it prints anything: give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 500))
    return events
  }

  /** Whether a smoke command of one of these runs exited 0 on the manifest `digest`. */
  smokePassed(runs: ReadonlySet<string>, digest: string): boolean {
    return this.ends.some(
      (e) => runs.has(e.run) && e.exitCode === 0 && e.image.endsWith(`@${digest}`),
    )
  }

  stop(): void {
    this.child.kill()
  }
}
