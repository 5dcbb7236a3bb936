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
 * Puts `script` in front of the buildx plugin, in the Docker config folder `config`: in place
 * (a test's own config, its logins kept), or as a copy of `original` that shares its `buildx`
 * folder, where buildx keeps its builders. The plugin is what the action runs, not `docker buildx`.
 */
export function pluginWrapper(
  config: string,
  original: string,
  script: string,
  copy: boolean,
): void {
  mkdirSync(join(config, 'cli-plugins'), { recursive: true })
  if (copy && existsSync(join(original, 'config.json')))
    copyFileSync(join(original, 'config.json'), join(config, 'config.json'))
  if (copy && existsSync(join(original, 'buildx')))
    symlinkSync(join(original, 'buildx'), join(config, 'buildx'))
  const file = join(config, 'cli-plugins', 'docker-buildx')
  rmSync(file, { force: true })
  writeFileSync(file, script)
  chmodSync(file, 0o755)
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
    // Run by the docker CLI (its metadata question, or a call it sets this variable for), the
    // call is the docker shim's to log.
    const direct =
      '[ -z "$DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND" ] && [ "$1" != docker-cli-plugin-metadata ]'
    pluginWrapper(config, configOf(stack), shim('buildx $*', plugin, direct), !dockerConfig)
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
