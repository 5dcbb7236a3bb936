import { createHash } from 'node:crypto'
import { readFile, realpath } from 'node:fs/promises'
import { basename, sep } from 'node:path'
import fg from 'fast-glob'
import { StepFailure } from '../model/errors.js'

export const CHECKSUMS_NAME = 'SHA256SUMS'

export interface AssetFile {
  readonly path: string
  readonly name: string
  readonly data: Buffer
  readonly sha256: string
}

/**
 * The files the release-assets globs name, read and hashed. Every glob must match, and the
 * names must be unique, since a Release holds assets by name.
 */
export async function resolveAssets(
  workspace: string,
  globs: readonly string[],
): Promise<AssetFile[]> {
  const files: AssetFile[] = []
  const root = await realpath(workspace)
  for (const pattern of globs) {
    const matches = (
      await fg(pattern, { cwd: workspace, absolute: true, onlyFiles: true, dot: false })
    ).sort()
    if (matches.length === 0) {
      throw new StepFailure(
        `release-assets: the pattern '${pattern}' matches no file in ${workspace}`,
        'build the files before this step, or fix the pattern (globs are relative to the workspace)',
      )
    }
    for (const path of matches) {
      // A symlink in the workspace must not smuggle a file from elsewhere into the Release.
      const real = await realpath(path)
      if (!real.startsWith(`${root}${sep}`)) {
        throw new StepFailure(
          `release-assets: ${path} leads outside the workspace (to ${real})`,
          'attach files that live in the workspace',
        )
      }
      const name = basename(path)
      const clash = files.find((f) => f.name === name)
      if (clash && clash.path !== path) {
        throw new StepFailure(
          `release-assets: ${clash.path} and ${path} would both be uploaded as '${name}'`,
          'give the files distinct names; a Release holds assets by name',
        )
      }
      if (clash) continue
      if (name === CHECKSUMS_NAME) {
        throw new StepFailure(
          `release-assets: '${name}' is written by the action itself`,
          `remove ${path} from the patterns; the action adds ${CHECKSUMS_NAME} for the assets`,
        )
      }
      const data = await readFile(path)
      files.push({ path, name, data, sha256: createHash('sha256').update(data).digest('hex') })
    }
  }
  return files
}
