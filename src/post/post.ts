import * as core from '@actions/core'
import { appendFile, rm } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { tmpdir } from 'node:os'
import { messageOf } from '../model/errors.js'
import { LOADED_SMOKE_IMAGE, type RemovedContainer } from '../model/container-owner.js'
import { DockerEngine } from '../ports/engine.js'
import { engineApiOption } from '../ports/engine-api.js'
import { removedContainersSection } from '../report/summary.js'
import { removeRunContainers } from '../smoke/leftovers.js'
import { postState } from './state.js'

/** The prefix of every run's folder (main.ts makes it with mkdtemp). */
export const WORK_DIR_PREFIX = 'multiarch-release-'

/** What the post step asks of the engine. */
export type PostEngine = Pick<
  DockerEngine,
  'labelledContainers' | 'remove' | 'imagesMatching' | 'removeImage' | 'logout'
>

/** Only a folder the run made itself is removed: named as main.ts names it, in the runner's temp. */
function isRunFolder(path: string, env: NodeJS.ProcessEnv): boolean {
  const parent = resolve(dirname(path))
  const temps = [env.RUNNER_TEMP, tmpdir()].filter((t): t is string => !!t).map((t) => resolve(t))
  return basename(path).startsWith(WORK_DIR_PREFIX) && temps.includes(parent)
}

export interface PostResult {
  readonly removed: readonly RemovedContainer[]
  readonly images: readonly string[]
  readonly loggedOut: readonly string[]
  readonly workDirRemoved: boolean
}

/**
 * The post step: the runner runs it after the main step, even a cancelled or failed one. It
 * removes what a run stopped in the middle can leave: its containers (labelled with the run
 * attempt), the images a build-only run loaded for its smoke tests, its registry logins and its
 * folder. It never fails the job.
 */
export async function runPost(
  env: NodeJS.ProcessEnv = process.env,
  engine: PostEngine = new DockerEngine(undefined, engineApiOption()),
): Promise<PostResult> {
  const state = postState(env)
  let removed: RemovedContainer[] = []
  let images: string[] = []
  try {
    removed = await removeRunContainers(engine, state.run, state.repository)
    for (const c of removed) core.info(`Removed the container ${c.name}, left by this run`)
    images = await engine.imagesMatching(`${LOADED_SMOKE_IMAGE}:${state.run}-*`)
    for (const image of images) await engine.removeImage(image)
  } catch (error) {
    core.warning(`The run's containers could not be listed or removed: ${messageOf(error)}`)
  }
  // Credentials given as inputs do not outlive the run, even one killed before its own logout.
  for (const registry of state.loggedIn) await engine.logout(registry)
  let workDirRemoved = false
  if (state.workDir !== '' && isRunFolder(state.workDir, env)) {
    await rm(state.workDir, { recursive: true, force: true })
    workDirRemoved = true
  }
  if (removed.length > 0 && env.GITHUB_STEP_SUMMARY) {
    // The job summary file of this step, as core.summary would append to it.
    const section = removedContainersSection(removed, 'Containers removed after the run')
    await appendFile(env.GITHUB_STEP_SUMMARY, section)
  }
  return { removed, images, loggedOut: state.loggedIn, workDirRemoved }
}
