import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { STACK, dockerPath } from './engine-stack.js'

/**
 * A `docker` in front of the real one that fails the calls whose arguments match a pattern,
 * with the message the registry would give: a fault injected into the registry path.
 */
export function dockerFault(
  match: RegExp,
  message: string,
): { env: Record<string, string>; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'docker-fault-'))
  const log = join(dir, 'calls.log')
  const real = dockerPath()
  writeFileSync(
    join(dir, 'docker'),
    [
      '#!/bin/sh',
      `echo "$*" >> '${log}'`,
      `if printf '%s' "$*" | grep -Eq '${match.source.replace(/'/g, "'\\''")}'; then`,
      `  echo '${message.replace(/'/g, "'\\''")}' >&2`,
      '  exit 1',
      'fi',
      `exec '${real}' "$@"`,
      '',
    ].join('\n'),
  )
  chmodSync(join(dir, 'docker'), 0o755)
  return { env: { PATH: `${dir}:${STACK.env.PATH}` }, log }
}
