import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildxPlugin } from '../../src/ports/docker-cli.js'
import { STACK, dockerPath, type EngineStack } from './engine-stack.js'

const quote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`

/** The Docker config folder a stack's docker calls use. */
function configOf(stack: EngineStack): string {
  return stack.env.DOCKER_CONFIG ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker')
}

/**
 * A `docker` on PATH in front of the stack's own, and a buildx plugin in front of its own (the
 * action runs the plugin directly), logging every call as `docker` would see it (`buildx …`);
 * `body` may end a call first, reading the call from `$args`. The plugin shim goes into
 * `dockerConfig` when a test has its own config (its logins stay), else into a copy.
 */
function dockerShim(
  label: string,
  body: string[],
  stack: EngineStack = STACK,
  dockerConfig?: string,
): { env: Record<string, string>; log: string } {
  const dir = mkdtempSync(join(tmpdir(), `${label}-`))
  const log = join(dir, 'calls.log')
  const config = dockerConfig ?? join(dir, 'config')
  const plugin = buildxPlugin({ ...process.env, ...stack.env, DOCKER_CONFIG: configOf(stack) })
  const shim = (args: string, real: string, only = 'true'): string =>
    [
      '#!/bin/sh',
      `args="${args}"`,
      `if ${only}; then`,
      `  echo "$args" >> ${quote(log)}`,
      ...body.map((line) => `  ${line}`),
      'fi',
      `exec ${quote(real)} "$@"`,
      '',
    ].join('\n')
  writeFileSync(join(dir, 'docker'), shim('$*', dockerPath(stack)))
  chmodSync(join(dir, 'docker'), 0o755)
  if (plugin) {
    mkdirSync(join(config, 'cli-plugins'), { recursive: true })
    const original = join(configOf(stack), 'config.json')
    if (!dockerConfig && existsSync(original)) copyFileSync(original, join(config, 'config.json'))
    // buildx keeps its builders in the config folder: a copy shares the stack's.
    const builders = join(configOf(stack), 'buildx')
    if (!dockerConfig && existsSync(builders)) symlinkSync(builders, join(config, 'buildx'))
    const file = join(config, 'cli-plugins', 'docker-buildx')
    rmSync(file, { force: true })
    // Run by the docker CLI (its metadata question, or a call it sets this variable for), the
    // call is the docker shim's to log.
    const direct =
      '[ -z "$DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND" ] && [ "$1" != docker-cli-plugin-metadata ]'
    writeFileSync(file, shim('buildx $*', plugin, direct))
    chmodSync(file, 0o755)
  }
  return {
    env: { PATH: `${dir}:${stack.env.PATH}`, ...(plugin ? { DOCKER_CONFIG: config } : {}) },
    log,
  }
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
    `if printf '%s' "$args" | grep -Eq ${quote(match.source)}; then`,
    `  echo ${quote(message)} >&2`,
    '  exit 1',
    'fi',
  ])
}

/** A `docker` in front of the real one that records every call: `calls()` lists their arguments. */
export function dockerCalls(
  stack: EngineStack = STACK,
  dockerConfig?: string,
): {
  env: Record<string, string>
  calls: () => string[]
} {
  const { env, log } = dockerShim('docker-calls', [], stack, dockerConfig)
  return {
    env,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  }
}
