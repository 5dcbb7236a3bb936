import { startGitHubStandIn, type GitHubStandIn } from './github-standin/index.js'
import { runAction, type ActionRun, type ActionRunOptions } from './action-run.js'
import { STACK } from './engine-stack.js'
import { createFixtureRepo, type FixtureRepo } from './fixture-repo.js'
import { uniqueImage } from './stack.js'

export const TOKEN = 'ghs_standInToken0123456789'

/** One release scenario: a fixture checkout, a fresh image repository and a GitHub stand-in. */
export interface ReleaseWorld {
  readonly repo: FixtureRepo
  readonly image: { name: string; path: string }
  readonly github: GitHubStandIn
  /** Runs the bundled action against this world; inputs add to the defaults. */
  run(inputs?: Record<string, string>, options?: Partial<ActionRunOptions>): Promise<ActionRun>
}

export async function releaseWorld(
  label: string,
  files: Record<string, string> = {},
  image = uniqueImage(label),
  /** Another world's stand-in: this checkout's commit becomes the head of its main branch. */
  shared?: GitHubStandIn,
): Promise<ReleaseWorld> {
  const repo = createFixtureRepo(files)
  const commit = { sha: repo.sha, message: 'fixture', date: '2026-01-02T03:04:05Z' }
  let github = shared
  if (github) {
    github.seedCommits('acme', 'app', [commit])
    github.setBranch('acme', 'app', 'main', repo.sha)
  } else {
    github = await startGitHubStandIn({
      token: TOKEN,
      repos: [
        {
          owner: 'acme',
          repo: 'app',
          default_branch: 'main',
          commits: [commit],
          branches: { main: repo.sha },
        },
      ],
    })
  }
  const standIn = github
  const runId = String(Math.floor(Math.random() * 1e9))
  return {
    repo,
    image,
    github: standIn,
    run: (inputs = {}, options = {}) =>
      runAction({
        workspace: repo.dir,
        sha: repo.sha,
        runId,
        ...options,
        inputs: { image: image.name, 'github-token': TOKEN, ...STACK.inputs, ...inputs },
        secrets: [TOKEN, ...(options.secrets ?? [])],
        env: { ...standIn.env, ...options.env },
      }),
  }
}

/** What each request that published a draft asked for as make_latest, in order. */
export function makeLatestSent(github: GitHubStandIn): (string | undefined)[] {
  return github.requests
    .filter(
      (r) =>
        r.operation === 'repos/update-release' &&
        (r.body as { draft?: boolean } | undefined)?.draft === false,
    )
    .map((r) => (r.body as { make_latest?: string }).make_latest)
}
