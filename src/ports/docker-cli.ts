// The docker CLI, with its buildx plugin run directly: `docker buildx …` starts the CLI, which
// asks the plugin for its metadata and then starts it again, about 0.1 s more per call on
// Docker 28 (bench/README.md). buildx runs standalone as well (docker/actions-toolkit does so).
import { join } from 'node:path'
import { isExecutable, program, type Program } from './process.js'
import { dockerConfigDir, dockerConfigNow } from './registry/docker-config.js'

/** Where the docker CLI looks for plugins after its own config folder and the config's extra folders. */
const SYSTEM_PLUGIN_DIRS = [
  '/usr/local/lib/docker/cli-plugins',
  '/usr/local/libexec/docker/cli-plugins',
  '/usr/lib/docker/cli-plugins',
  '/usr/libexec/docker/cli-plugins',
]

/** The config file's `cliPluginsExtraDirs`, when the file exists and lists any. */
function extraPluginDirs(env: NodeJS.ProcessEnv): string[] {
  const dirs = dockerConfigNow(env)?.cliPluginsExtraDirs
  return Array.isArray(dirs) ? dirs.filter((d): d is string => typeof d === 'string') : []
}

/**
 * The buildx plugin the docker CLI would run, found in the CLI's own order: the config folder's
 * cli-plugins ($DOCKER_CONFIG, else ~/.docker), the config's extra folders, the system folders.
 */
export function buildxPlugin(
  env: NodeJS.ProcessEnv = process.env,
  executable: (path: string) => boolean = isExecutable,
): string | undefined {
  const dirs = [
    join(dockerConfigDir(env), 'cli-plugins'),
    ...extraPluginDirs(env),
    ...SYSTEM_PLUGIN_DIRS,
  ]
  return dirs.map((dir) => join(dir, 'docker-buildx')).find(executable)
}

/**
 * `docker`, except that `buildx …` runs the plugin itself when there is one; without one the
 * docker CLI runs it, and says that buildx is missing as it always has.
 */
export function dockerCli(
  docker: Program = program('docker'),
  findPlugin: () => string | undefined = buildxPlugin,
): Program {
  const plugin = findPlugin()
  if (plugin === undefined) return docker
  const buildx = program(plugin)
  const route = (args: readonly string[]): [Program, readonly string[]] =>
    args[0] === 'buildx' ? [buildx, args.slice(1)] : [docker, args]
  return {
    run: (args, options) => {
      const [target, rest] = route(args)
      return target.run(rest, options)
    },
    runBinary: (args) => {
      const [target, rest] = route(args)
      return target.runBinary(rest)
    },
  }
}
