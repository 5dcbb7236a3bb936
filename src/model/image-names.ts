// The image input: one repository or several (one per line, as metadata-action's images), each
// lowercased as registries need, and the repository a run without image releases to.
import { ACCEPTED_IMAGE, parseImageName, type ImageRepository } from './image-ref.js'
import { MAX_ENTRIES, splitLines, type InputSpec } from './input-kinds.js'
import type { RunEnvironment } from './run-env.js'

/** What the default image is made of: the repository the workflow runs in, and its server. */
export type RunnerRepository = Pick<RunEnvironment, 'owner' | 'repo' | 'serverUrl'>

/**
 * GitHub's container registry for a server: ghcr.io on github.com; on GitHub Enterprise Server
 * (and GHE.com) the containers. subdomain of the server, as GitHub's Enterprise Server docs
 * give the registry's namespace (https://containers.HOSTNAME). Undefined when the URL is not one.
 */
export function containerRegistryOf(serverUrl: string): string | undefined {
  let host: string
  try {
    host = new URL(serverUrl).hostname.toLowerCase()
  } catch {
    return undefined
  }
  if (host === '') return undefined
  return host === 'github.com' ? 'ghcr.io' : `containers.${host}`
}

/**
 * The image of a run that names none: GitHub's container registry of this repository, as most
 * workflows write it by hand (ghcr.io/${{ github.repository }}); undefined when the run does
 * not say which repository it is.
 */
export function defaultImage(runner: RunnerRepository): string | undefined {
  const registry = containerRegistryOf(runner.serverUrl)
  if (runner.owner === '' || runner.repo === '' || registry === undefined) return undefined
  return `${registry}/${runner.owner}/${runner.repo}`
}

/**
 * The repositories of one image, one per line (blank lines and # comments skipped): each
 * lowercased with a notice naming the change, none twice. Blank is undefined (not given).
 */
export const IMAGE_NAMES: InputSpec<readonly ImageRepository[] | undefined> = {
  kind: 'lines',
  parse: (text, { report, notice }) => {
    const lines = splitLines(text)
    if (lines.length === 0) return undefined
    const repositories: ImageRepository[] = []
    let refused = false
    for (const line of lines) {
      const parsed = parseImageName(line)
      if (typeof parsed === 'string') {
        report(line, parsed, ACCEPTED_IMAGE)
        refused = true
        continue
      }
      const { repository, lowered } = parsed
      if (repositories.some((r) => r.name === repository.name)) {
        report(line, 'this repository is listed twice', 'list each repository once')
        refused = true
        continue
      }
      if (lowered)
        notice(
          `${line} is released as ${repository.name}: registries accept lowercase repository names only`,
        )
      repositories.push(repository)
    }
    if (repositories.length > MAX_ENTRIES) {
      report(
        `${repositories.length} repositories`,
        'there are too many',
        `give at most ${MAX_ENTRIES}`,
      )
      refused = true
    }
    return refused ? undefined : repositories
  },
}
