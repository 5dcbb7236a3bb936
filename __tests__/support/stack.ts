import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const REPO_ROOT = join(import.meta.dirname, '..', '..')
export const REGISTRY = '127.0.0.1:5000'

const SETUP_STACK = join(REPO_ROOT, 'scripts', 'setup-stack.sh')

/**
 * Fails (never skips) when the real stack is not there: the end-to-end suite is only worth
 * anything against a real engine, buildx, QEMU and registries. Whether the stack is complete
 * is decided by scripts/stack/checks.sh alone, through its quick checks (a second or two).
 */
export async function requireStack(): Promise<void> {
  const missing = await stackCheckFailures()
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js')))
    missing.push('dist/index.js is not built (npm run package)')
  if (missing.length > 0) {
    throw new Error(
      `The end-to-end stack is missing: ${missing.join('; ')}. Run scripts/setup-stack.sh (as root) first.`,
    )
  }
}

/** What `scripts/setup-stack.sh --check --quick` reports as failed; empty when it passes. */
async function stackCheckFailures(): Promise<string[]> {
  try {
    // this module's process.env (under jest, a per-file copy), not the worker's
    await promisify(execFile)('bash', [SETUP_STACK, '--check', '--quick'], { env: process.env })
    return []
  } catch (error) {
    const { stderr } = error as { stderr?: string }
    const output = stderr ?? ''
    const failed = [...output.matchAll(/CHECK FAILED: (.*)/g)].map((match) => match[1] ?? '')
    if (failed.length > 0) return failed
    const died = /ERROR: (.*)/.exec(output)?.[1]
    return [`scripts/setup-stack.sh --check --quick failed: ${died ?? String(error)}`]
  }
}

/** A repository name no other test uses, so tests never see each other's tags. */
export function uniqueImage(label: string): { name: string; path: string } {
  const path = `e2e/${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  return { name: `${REGISTRY}/${path}`, path }
}
