import { Cancelled } from '../model/errors.js'

/** How the job's cancellation reaches the run: its signal's name, and one AbortSignal for every wait. */
export interface Cancellation {
  /** The signal that cancelled the job (SIGINT, SIGTERM), once one came. */
  readonly signal?: string
  /** Aborts at the first signal, with a Cancelled reason: retries, polls and container waits stop. */
  readonly abortSignal: AbortSignal
}

/** The part of a process that cancellation needs: its signals, and its exit. */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown
  exit(code: number): never
}

/**
 * Watches SIGINT and SIGTERM (the runner sends SIGINT, then SIGTERM 7.5 s later, then kills):
 * the first aborts every wait, so the run reports where things stand well before the second,
 * which ends the process at once.
 */
export function cancelOnSignals(
  announce: (signal: string) => void,
  source: SignalSource = process,
): Cancellation {
  const controller = new AbortController()
  const state: { signal?: string; readonly abortSignal: AbortSignal } = {
    abortSignal: controller.signal,
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    if (state.signal !== undefined) source.exit(130)
    state.signal = signal
    announce(signal)
    controller.abort(new Cancelled(signal))
  }
  source.on('SIGINT', onSignal)
  source.on('SIGTERM', onSignal)
  return state
}
