import { readFile, realpath, stat } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import { StepFailure } from '../model/errors.js'

/** A body file this large is a mistake: GitHub keeps 125,000 characters of a Release body. */
const MAX_BODY_FILE_BYTES = 16 * 1024 * 1024

/**
 * The text of release-body-path, read when the draft is written (an earlier step may write it).
 * A symlink in the workspace cannot bring a file from elsewhere into the Release.
 */
export async function readReleaseBody(workspace: string, path: string): Promise<string> {
  const root = await realpath(workspace)
  let real: string
  try {
    real = await realpath(resolve(root, path))
  } catch {
    throw new StepFailure(
      `release-body-path: ${path} does not exist in the workspace`,
      'write the file before this step, or fix the path (relative to the workspace)',
    )
  }
  if (!real.startsWith(`${root}${sep}`)) {
    throw new StepFailure(
      `release-body-path: ${path} leads outside the workspace (to ${real})`,
      'give a file that lives in the workspace',
    )
  }
  const { size, isFile } = await stat(real).then((s) => ({ size: s.size, isFile: s.isFile() }))
  if (!isFile || size > MAX_BODY_FILE_BYTES) {
    throw new StepFailure(
      `release-body-path: ${path} is ${isFile ? `${size} bytes` : 'not a file'}`,
      `give a text file under ${MAX_BODY_FILE_BYTES / 1024 / 1024} MiB; GitHub keeps 125,000 characters of it`,
    )
  }
  return readFile(real, 'utf8')
}
