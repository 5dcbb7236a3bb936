import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const REPO_ROOT = join(import.meta.dirname, '..', '..')
export const REGISTRY = '127.0.0.1:5000'

/**
 * Fails (never skips) when the real stack is not there: the end-to-end suite is only worth
 * anything against a real engine, buildx, QEMU and registry.
 */
export async function requireStack(): Promise<void> {
  const missing: string[] = []
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe' })
  } catch {
    missing.push('the Docker engine does not answer')
  }
  try {
    execFileSync('docker', ['buildx', 'version'], { stdio: 'pipe' })
  } catch {
    missing.push('docker buildx is not installed')
  }
  try {
    const response = await fetch(`http://${REGISTRY}/v2/`)
    if (!response.ok) missing.push(`the registry on ${REGISTRY} answers ${response.status}`)
  } catch {
    missing.push(`no registry answers on ${REGISTRY}`)
  }
  for (const arch of ['amd64', 'arm64']) {
    if (!existsSync(join(REPO_ROOT, 'example', 'bin', `busybox-${arch}`))) {
      missing.push(`the fixture example/bin/busybox-${arch} is missing`)
    }
  }
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js')))
    missing.push('dist/index.js is not built (npm run package)')
  if (missing.length > 0) {
    throw new Error(
      `The end-to-end stack is missing: ${missing.join('; ')}. Run scripts/setup-stack.sh (as root) first.`,
    )
  }
}

/** A repository name no other test uses, so tests never see each other's tags. */
export function uniqueImage(label: string): { name: string; path: string } {
  const path = `e2e/${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  return { name: `${REGISTRY}/${path}`, path }
}
