// How the action is put together: the adapters behind each port, and the workspace as the
// input parser may look at it. Everything here is chosen once per run, before the first step.
import * as core from '@actions/core'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { resolve, sep } from 'node:path'
import { insideByName } from './model/input-kinds.js'
import type { Inputs } from './model/inputs.js'
import type { RunEnvironment } from './model/run-env.js'
import type { ContainerOwner } from './model/container-owner.js'
import { DockerEngine } from './ports/engine.js'
import { engineApiOption } from './ports/engine-api.js'
import { GitCli } from './ports/git.js'
import type { GitHub } from './ports/github.js'
import { OctokitGitHub } from './ports/github/octokit.js'
import { HttpRegistry } from './ports/registry/http.js'
import { ImagetoolsRegistry } from './ports/registry/imagetools.js'
import { RoutedRegistry } from './ports/registry/routed.js'
import { retryPolicy } from './ports/retry.js'
import { CosignSigner } from './ports/signer.js'
import type { Logger, Ports } from './run/run.js'

/** Whether a path stays inside the workspace, by its spelling and with its links followed. */
function workspaceGuard(workspace: string): (path: string) => boolean {
  const real = (path: string): string => {
    try {
      return realpathSync(path)
    } catch {
      return path
    }
  }
  const root = real(resolve(workspace))
  return (path) => {
    if (!insideByName(path)) return false
    const target = real(resolve(workspace, path))
    return target === root || target.startsWith(`${root}${sep}`)
  }
}

/** The workspace as the input parser sees it: what exists, what a file holds, what stays inside. */
export function workspaceFiles(workspace: string): {
  exists: (path: string) => boolean
  readText: (path: string) => string | undefined
  inside: (path: string) => boolean
} {
  const inside = workspaceGuard(workspace)
  const exists = (path: string): boolean => existsSync(resolve(workspace, path))
  return {
    exists,
    inside,
    readText: (path) =>
      inside(path) && exists(path) ? readFileSync(resolve(workspace, path), 'utf8') : undefined,
  }
}

/** GitHub at GITHUB_API_URL: the trigger decision may need it before the other ports exist. */
export function gitHubPort(
  runEnv: RunEnvironment,
  inputs: Inputs,
  log: Logger,
  signal?: AbortSignal,
): GitHub {
  return new OctokitGitHub({
    apiUrl: runEnv.apiUrl,
    token: inputs.githubToken,
    owner: runEnv.owner,
    repo: runEnv.repo,
    backoffMs: runEnv.backoffMs,
    warn: (m) => {
      log.warning(m)
    },
    ...(signal ? { signal } : {}),
  })
}

/**
 * The engine, the registry (HTTP, or imagetools where HTTP cannot be used), git and cosign.
 * The run's containers carry its owner's labels; the job's cancellation ends every wait.
 */
export function adapters(
  runEnv: RunEnvironment,
  inputs: Inputs,
  workDir: string,
  log: Logger,
  run: { readonly owner?: ContainerOwner; readonly signal?: AbortSignal } = {},
): Omit<Ports, 'github'> {
  const warn = (m: string): void => {
    log.warning(m)
  }
  const retries = retryPolicy(runEnv.backoffMs, run.signal)
  return {
    engine: new DockerEngine(undefined, {
      ...engineApiOption(),
      ...(run.owner ? { owner: run.owner } : {}),
      ...(run.signal ? { cancellation: run.signal } : {}),
    }),
    registry: new RoutedRegistry(
      new HttpRegistry(warn, retries),
      new ImagetoolsRegistry(warn, retries),
      (m) => {
        core.debug(m)
      },
    ),
    git: new GitCli(runEnv.workspace),
    ...(inputs.signing.kind !== 'none'
      ? {
          signer: new CosignSigner(inputs.signing, workDir, {
            serverUrl: runEnv.serverUrl,
            owner: runEnv.owner,
            repo: runEnv.repo,
          }),
        }
      : {}),
  }
}
