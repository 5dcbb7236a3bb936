// Jest global set-up of the end-to-end project: the tests run the bundle, never src/, so a
// dist/ older than any file it is built from is rebuilt before the first test.
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { stdout } from 'node:process'

const root = join(import.meta.dirname, '..', '..')

function newest(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))))
}

export default function freshDist() {
  const bundle = join(root, 'dist', 'index.js')
  let built = 0
  try {
    built = statSync(bundle).mtimeMs
  } catch {
    // no bundle yet
  }
  const sources = Math.max(
    newest(join(root, 'src')),
    ...['action.yml', 'package-lock.json'].map((f) => statSync(join(root, f)).mtimeMs),
  )
  if (sources <= built) return
  stdout.write(
    '\ndist/ is older than src/: rebuilding it (npm run package) before the end-to-end tests\n',
  )
  execFileSync('npm', ['run', 'package'], { cwd: root, stdio: 'inherit' })
}
