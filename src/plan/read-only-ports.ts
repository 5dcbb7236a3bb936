import type { Ports } from '../run/run.js'

/** Thrown when a plan reaches for a write: a bug, never a thing the plan may do. */
export class PlanWriteAttempt extends Error {
  constructor(what: string) {
    super(`a plan changes nothing, yet it was about to ${what}`)
    this.name = 'PlanWriteAttempt'
  }
}

const refuse = (what: string): Promise<never> => Promise.reject(new PlanWriteAttempt(what))

/**
 * The ports a plan gets: every read passes through, every write is refused. Each method is
 * listed, so a method added to a port is a compile error here until someone decides which it is.
 */
export function readOnlyPorts(ports: Ports): Ports {
  const { engine, registry, github, git, signer } = ports
  return {
    git,
    engine: {
      info: (builder) => engine.info(builder),
      localImageConfig: (ref) => engine.localImageConfig(ref),
      state: (name) => engine.state(name),
      logs: (name, lines) => engine.logs(name, lines),
      publishedPort: (name, port) => engine.publishedPort(name, port),
      labelledContainers: () => engine.labelledContainers(),
      readImageFile: (ref) => refuse(`create a container of ${ref}`),
      pull: (ref) => refuse(`pull ${ref}`),
      run: (spec) => refuse(`run a container of ${spec.ref}`),
      startDetached: (spec) => refuse(`start a container of ${spec.ref}`),
      remove: (name) => refuse(`remove the container ${name}`),
      removeLater: (name) => {
        throw new PlanWriteAttempt(`remove the container ${name}`)
      },
      removalsSettled: () => engine.removalsSettled(),
      removeImage: (tag) => refuse(`remove the image ${tag}`),
      saveImage: (tag) => refuse(`save the image ${tag}`),
      login: (registry) => refuse(`log in to ${registry}`),
      logout: (registry) => refuse(`log out of ${registry}`),
      build: (plan) => refuse(`build ${plan.platforms.length} platform(s) of ${plan.context}`),
    },
    registry: {
      manifest: (ref, options) => registry.manifest(ref, options),
      imageConfig: (ref) => registry.imageConfig(ref),
      indexConfigs: (ref) => registry.indexConfigs(ref),
      copy: (_source, target) => refuse(`write the tag ${target}`),
      copyDigest: (source, target) => refuse(`copy ${source} to ${target.name}`),
      assemble: (image) => refuse(`assemble an index in ${image.name}`),
      pushLayout: (image) => refuse(`push a candidate to ${image.name}`),
      archive: (image) => refuse(`archive ${image.name}`),
    },
    github: {
      canWrite: () => github.canWrite(),
      listReleases: () => github.listReleases(),
      publishedRelease: (tag) => github.publishedRelease(tag),
      tagsWithPrefix: (prefix) => github.tagsWithPrefix(prefix),
      pullRequestsOfCommit: (sha) => github.pullRequestsOfCommit(sha),
      tagCommit: (tag) => github.tagCommit(tag),
      listAssets: (id) => github.listAssets(id),
      createDraft: (request) => refuse(`create a draft Release for ${request.tag}`),
      updateDraft: (id) => refuse(`update the draft #${id}`),
      publish: (id) => refuse(`publish the Release #${id}`),
      markLatest: (id) => refuse(`mark the Release #${id} latest`),
      deleteRelease: (id) => refuse(`delete the Release #${id}`),
      uploadAsset: (_release, name) => refuse(`upload ${name}`),
      deleteAsset: (id) => refuse(`delete the asset #${id}`),
      // A POST, though it stores nothing: a plan makes no POST at all.
      generateNotes: (tag) => refuse(`generate the notes of ${tag}`),
      defaultBranch: () => github.defaultBranch(),
      refTarget: (ref) => github.refTarget(ref),
      readCommit: (sha) => github.readCommit(sha),
      createCommit: () => refuse('write a commit object'),
      createRef: (ref) => refuse(`create ${ref}`),
      fastForwardRef: (ref) => refuse(`move ${ref}`),
      deleteRef: (ref) => refuse(`remove ${ref}`),
    },
    ...(signer
      ? {
          signer: {
            available: () => signer.available(),
            sign: (target) => refuse(`sign ${target.ref}`),
            verify: (target) => refuse(`verify ${target.ref}`),
          },
        }
      : {}),
  }
}
