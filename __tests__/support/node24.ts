import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

const NODE24_ENV = '/etc/multiarch-release/node24.env'

let checked: string | undefined

/**
 * The Node.js 24 binary that runs the bundle in every end-to-end test, the demo and the
 * benchmark: action.yml declares `runs.using: node24`, whatever node runs Jest. Named by
 * NODE24 in /etc/multiarch-release/node24.env (scripts/setup-stack.sh writes it).
 */
export function node24(envFile = NODE24_ENV): string {
  if (checked !== undefined && envFile === NODE24_ENV) return checked
  const fix = 'run scripts/setup-stack.sh (as root), which installs Node.js 24 and writes it'
  if (!existsSync(envFile)) throw new Error(`Node.js 24 is missing: no ${envFile}; ${fix}`)
  const bin = /^NODE24=(.+)$/m.exec(readFileSync(envFile, 'utf8'))?.[1]?.trim()
  if (!bin) throw new Error(`Node.js 24 is missing: ${envFile} names no NODE24; ${fix}`)
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? ''
  if (!version.startsWith('v24.')) {
    throw new Error(
      `Node.js 24 is missing: NODE24=${bin} (${envFile}) ${version ? `is ${version}` : 'does not run'}; ${fix}`,
    )
  }
  if (envFile === NODE24_ENV) checked = bin
  return bin
}
