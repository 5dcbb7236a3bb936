import type { Mode } from './inputs.js'

/** Events whose runs build every platform and never push or publish. */
export const BUILD_ONLY_EVENTS = ['pull_request', 'pull_request_target', 'merge_group']

/** The mode a run works in: the input, or for auto, the one the triggering event calls for. */
export function decideMode(mode: Mode, eventName: string): 'build' | 'release' {
  if (mode !== 'auto') return mode
  return BUILD_ONLY_EVENTS.includes(eventName) ? 'build' : 'release'
}
