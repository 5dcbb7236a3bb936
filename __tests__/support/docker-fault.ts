import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { STACK, dockerPath, type EngineStack } from './engine-stack.js'

const quote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`

/** A `docker` on PATH in front of the stack's own, logging every call; `body` may end it first. */
function dockerShim(
  label: string,
  body: string[],
  stack: EngineStack = STACK,
): { env: Record<string, string>; log: string } {
  const dir = mkdtempSync(join(tmpdir(), `${label}-`))
  const log = join(dir, 'calls.log')
  writeFileSync(
    join(dir, 'docker'),
    [
      '#!/bin/sh',
      `echo "$*" >> ${quote(log)}`,
      ...body,
      `exec ${quote(dockerPath(stack))} "$@"`,
      '',
    ].join('\n'),
  )
  chmodSync(join(dir, 'docker'), 0o755)
  return { env: { PATH: `${dir}:${stack.env.PATH}` }, log }
}

/**
 * A `docker` in front of the real one that fails the calls whose arguments match a pattern,
 * with the message the registry would give: a fault injected into the registry path.
 */
export function dockerFault(
  match: RegExp,
  message: string,
): { env: Record<string, string>; log: string } {
  return dockerShim('docker-fault', [
    `if printf '%s' "$*" | grep -Eq ${quote(match.source)}; then`,
    `  echo ${quote(message)} >&2`,
    '  exit 1',
    'fi',
  ])
}

/** A `docker` in front of the real one that records every call: `calls()` lists their arguments. */
export function dockerCalls(stack: EngineStack = STACK): {
  env: Record<string, string>
  calls: () => string[]
} {
  const { env, log } = dockerShim('docker-calls', [], stack)
  return {
    env,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  }
}
