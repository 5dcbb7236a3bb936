// What one image's build takes from build-push-action's inputs: the BuildSpec fields, the
// labels merged with the release's own, and the parts of the build identity (ids, never values).
import type { BuildSpec, BuildSecret } from './buildx-args.js'
import { annotationArgs } from './buildx-args.js'
import { SECRET_VARIABLE_PREFIX } from '../model/build-secrets.js'
import type { BuildSecrets, ImageBuild } from '../model/inputs.js'

/** The BuildSpec fields that come from the user's build inputs. */
export type BuildSettings = Required<
  Pick<
    BuildSpec,
    | 'secrets'
    | 'environment'
    | 'ssh'
    | 'buildContexts'
    | 'userAnnotations'
    | 'noCache'
    | 'pull'
    | 'addHosts'
    | 'ulimits'
  >
> &
  Pick<BuildSpec, 'network' | 'shmSize'>

/**
 * The build settings of one image. Each value of secrets goes into a variable the action sets
 * for buildx alone (MULTIARCH_RELEASE_SECRET_<n>), so buildx's argv holds ids and names only.
 */
export function buildSettingsOf(build: ImageBuild, secrets: BuildSecrets): BuildSettings {
  const environment: Record<string, string> = {}
  const fromValues: BuildSecret[] = secrets.values.map(({ id, value }, index) => {
    const env = `${SECRET_VARIABLE_PREFIX}${index}`
    environment[env] = value
    return { id, env }
  })
  return {
    secrets: [
      ...fromValues,
      ...secrets.files.map(({ id, path }) => ({ id, file: path })),
      ...secrets.envs.map(({ id, variable }) => ({ id, env: variable })),
    ],
    environment,
    ssh: secrets.ssh,
    buildContexts: build.buildContexts,
    userAnnotations: build.annotations,
    noCache: build.noCache,
    pull: build.pull,
    network: build.network,
    addHosts: build.addHosts,
    shmSize: build.shmSize,
    ulimits: build.ulimits,
  }
}

/**
 * The image's labels: the release's own, then the user's. The user's never hold the release's
 * own version, revision or created (refused at input), so for every other key, theirs wins.
 */
export function imageLabels(
  own: Readonly<Record<string, string>>,
  build: Pick<ImageBuild, 'labels'>,
): Record<string, string> {
  return { ...own, ...build.labels }
}

/**
 * The parts of the build identity that the user's build settings add: the ids of secrets (their
 * values never), and what changes what is built. no-cache and pull say how to build, not what.
 */
export function buildSettingsIdentity(
  build: ImageBuild,
  secrets: BuildSecrets,
): { secretIds: string[]; settings: string[] } {
  const settings = [
    ...build.buildContexts.map((c) => `build-context ${c.name}=${c.source}`),
    ...build.annotations.flatMap((a) => annotationArgs(a).map((arg) => `annotation ${arg}`)),
    ...secrets.ssh.map((s) => `ssh ${s.id}`),
    ...(build.network !== undefined ? [`network ${build.network}`] : []),
    ...build.addHosts.map((h) => `add-host ${h.host}:${h.ip}`),
    ...(build.shmSize !== undefined ? [`shm-size ${build.shmSize}`] : []),
    ...build.ulimits.map((u) => `ulimit ${u.name}=${u.soft}:${u.hard ?? ''}`),
  ]
  const secretIds = [...secrets.values, ...secrets.files, ...secrets.envs].map((s) => s.id)
  return { secretIds, settings }
}
