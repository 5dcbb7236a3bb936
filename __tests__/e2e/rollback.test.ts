import { jest } from '@jest/globals'
import { resolveDigest } from '../support/registry-http.js'
import { releaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

test('rollback from 1.3.0 to 1.2.0 moves latest to 1.2.0 and marks its Release latest; a never-released version moves nothing', async () => {
  const v120 = await releaseWorld('rollback', { 'www/health': '1.2.0\n' })
  try {
    const first = await v120.run({ version: '1.2.0' })
    expect(first.exitCode).toBe(0)
    const v130 = await releaseWorld(
      'rollback',
      { 'www/health': '1.3.0\n' },
      v120.image,
      v120.github,
    )
    const second = await v130.run({ version: '1.3.0' })
    expect(second.exitCode).toBe(0)
    expect(await resolveDigest(v120.image.path, 'latest')).toBe(second.outputs.digest)
    expect(v120.github.latestRelease('acme', 'app')?.tag_name).toBe('v1.3.0')

    const never = await v130.run(
      { mode: 'rollback', version: '1.1.0' },
      { eventName: 'workflow_dispatch' },
    )
    expect(never.exitCode).toBe(1)
    expect(never.errors.join('\n')).toMatch(
      /Step 'check-rollback' failed: 1\.1\.0 was never released: there is no published Release for v1\.1\.0/,
    )
    expect(await resolveDigest(v120.image.path, 'latest')).toBe(second.outputs.digest)
    expect(v120.github.latestRelease('acme', 'app')?.tag_name).toBe('v1.3.0')

    const back = await v130.run(
      { mode: 'rollback', version: '1.2.0', 'smoke-run': 'cat /www/health' },
      { eventName: 'workflow_dispatch' },
    )
    expect(back.errors).toEqual([])
    expect(back.exitCode).toBe(0)
    for (const tag of ['latest', '1', '1.2'])
      expect(await resolveDigest(v120.image.path, tag)).toBe(first.outputs.digest)
    expect(await resolveDigest(v120.image.path, '1.3.0')).toBe(second.outputs.digest)
    expect(v120.github.latestRelease('acme', 'app')?.tag_name).toBe('v1.2.0')
    expect(back.stdout).toMatch(
      /:latest: 1\.3\.0 \(sha256:[0-9a-f]+\) -> 1\.2\.0 \(sha256:[0-9a-f]+\)/,
    )
    expect(back.summary).toMatch(
      /\| `.*:latest` \| 1\.3\.0 \(sha256:[0-9a-f]+\) \| 1\.2\.0 \(sha256:[0-9a-f]+\) \|/,
    )
    expect(back.stdout).toMatch(/linux\/arm64: run cat \/www\/health: ok/)
    expect(back.outputs).toMatchObject({
      version: '1.2.0',
      digest: first.outputs.digest,
      published: 'true',
    })
  } finally {
    await v120.github.close()
  }
})
