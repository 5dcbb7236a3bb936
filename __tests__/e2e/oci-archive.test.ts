import { jest } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { releaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

test('the OCI archive attached to the Release holds the promoted index with both platforms and loads back', async () => {
  const w = await releaseWorld('oci-archive')
  try {
    const run = await w.run({ version: '5.0.0', 'release-oci-archives': 'true' })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    const [release] = w.github.releases('acme', 'app')
    const assets = w.github.assets(release?.id ?? 0)
    const name = `${w.image.path.split('/').pop() ?? ''}-5.0.0.oci.tar`
    const archive = assets.find((a) => a.name === name)
    expect(archive).toBeDefined()
    const bytes = archive?.bytes ?? Buffer.alloc(0)
    const sums = assets.find((a) => a.name === 'SHA256SUMS')?.bytes.toString() ?? ''
    expect(sums).toContain(`${createHash('sha256').update(bytes).digest('hex')}  ${name}`)

    const dir = mkdtempSync(join(tmpdir(), 'oci-archive-'))
    const file = join(dir, name)
    writeFileSync(file, bytes)
    const tar = (...args: string[]): string =>
      execFileSync('tar', ['-xOf', file, ...args], { encoding: 'utf8' })
    const layout = JSON.parse(tar('index.json')) as { manifests: { digest: string }[] }
    expect(layout.manifests.map((m) => m.digest)).toEqual([run.outputs.digest])
    const index = JSON.parse(tar(`blobs/sha256/${(run.outputs.digest ?? '').slice(7)}`)) as {
      manifests: { platform?: { os: string; architecture: string } }[]
    }
    const platforms = index.manifests
      .map((m) => `${m.platform?.os ?? ''}/${m.platform?.architecture ?? ''}`)
      .filter((p) => p !== 'unknown/unknown')
      .sort()
    expect(platforms).toEqual(['linux/amd64', 'linux/arm64'])

    // It loads back into an engine, and the host platform runs from it.
    execFileSync('docker', ['image', 'rm', '--force', `${w.image.name}:5.0.0`], { stdio: 'pipe' })
    const loaded = execFileSync('docker', ['load', '--input', file], { encoding: 'utf8' })
    expect(loaded).toContain(`${w.image.name}:5.0.0`)
    const machine = execFileSync(
      'docker',
      ['run', '--rm', '--pull', 'never', `${w.image.name}:5.0.0`, 'uname', '-m'],
      {
        encoding: 'utf8',
      },
    )
    expect(machine.trim()).toBe('x86_64')
  } finally {
    await w.github.close()
  }
})
