import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

/** Reads a file, or undefined when it cannot be read (no such process, not Linux). */
function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The kernel's boot id: pids are only comparable within one boot of one machine. */
const bootId = (): string =>
  (readOrUndefined('/proc/sys/kernel/random/boot_id') ?? 'unknown').trim()

/** When a process started (clock ticks since boot), so a reused pid is told apart. */
function startTicks(pid: number): string | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`)
  if (stat === undefined) return undefined
  // Field 22; the command name in field 2 may hold spaces, so count after its closing parenthesis.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

/** This process, as a container label names it: `<host>/<boot id>/<pid>/<start>`. */
export function thisProcess(): string {
  return [hostname(), bootId(), process.pid, startTicks(process.pid) ?? '?'].join('/')
}

/**
 * Whether the process a label names is alive: only this machine (same host name, same boot)
 * can tell, by its pid and start time; undefined anywhere else.
 */
export function processAlive(label: string): boolean | undefined {
  const [host, boot, pid, start] = label.split('/')
  if (host !== hostname() || boot !== bootId() || boot === 'unknown') return undefined
  if (!/^\d+$/.test(pid ?? '') || !/^\d+$/.test(start ?? '')) return undefined
  const ticks = startTicks(Number(pid))
  return ticks !== undefined && ticks === start
}
