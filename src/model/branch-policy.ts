import picomatch from 'picomatch'
import semver from 'semver'
import { describeLine, inLine, type FloatingLine } from './history.js'

/**
 * A maintenance branch such as 1.x, 1.4.x, release/1.4 or release-2: it releases its own line
 * and never moves latest or GitHub's Latest.
 */
export interface MaintenanceLine {
  readonly branch: string
  readonly line: Extract<FloatingLine, { kind: 'major' | 'minor' }>
}

/** Where a release may come from, decided from the branch alone. */
export type BranchVerdict =
  | { readonly kind: 'release'; readonly maintenance?: MaintenanceLine }
  /** rule: which branches do release, for the message. */
  | { readonly kind: 'not-release'; readonly rule: string; readonly remedy: string }

export const ACCEPTED_RELEASE_BRANCHES =
  'give branch names or globs, one per line or comma-separated, for example release/* or 1.x (the default branch always releases)'

/** The version line a branch name ends with: 1.x, 1.4.x, 1.4, v2, release/1.4, release-2. */
export function maintenanceLineOf(branch: string): MaintenanceLine['line'] | undefined {
  const match = /(?:^|[/_-])v?(\d+)(?:\.(\d+|x))?(?:\.x)?$/.exec(branch)
  if (!match?.[1]) return undefined
  const major = Number(match[1])
  const minor = match[2] === undefined || match[2] === 'x' ? undefined : Number(match[2])
  return minor === undefined ? { kind: 'major', major } : { kind: 'minor', major, minor }
}

/**
 * The default branch releases; a branch listed in release-branches releases too, its own line
 * when its name ends with one; any other branch only builds.
 */
export function branchVerdict(
  branch: string,
  defaultBranch: string,
  releaseBranches: readonly string[],
): BranchVerdict {
  if (branch === defaultBranch) return { kind: 'release' }
  const listed = releaseBranches.some((pattern) => picomatch.isMatch(branch, pattern))
  if (!listed) {
    return {
      kind: 'not-release',
      rule:
        releaseBranches.length > 0
          ? `only the default branch '${defaultBranch}' and the release-branches ${releaseBranches.join(', ')} release`
          : `only the default branch '${defaultBranch}' releases`,
      remedy: `merge into ${defaultBranch} to release, push a version tag, or list the branch in release-branches`,
    }
  }
  const line = maintenanceLineOf(branch)
  return line === undefined
    ? { kind: 'release' }
    : { kind: 'release', maintenance: { branch, line } }
}

/** Why a version cannot be released from a maintenance branch, or undefined when it can. */
export function outsideLine(
  version: semver.SemVer,
  maintenance: MaintenanceLine,
): string | undefined {
  const core = new semver.SemVer(`${version.major}.${version.minor}.${version.patch}`)
  if (inLine(maintenance.line, core)) return undefined
  return `version ${version.version} is outside ${describeLine(maintenance.line)} of the maintenance branch ${maintenance.branch}`
}

/** The first version of a maintenance line, when it has none yet: 1.0.0 for 1.x, 1.4.0 for 1.4. */
export function firstOfLine(line: MaintenanceLine['line']): semver.SemVer {
  return new semver.SemVer(`${line.major}.${line.kind === 'minor' ? line.minor : 0}.0`)
}
