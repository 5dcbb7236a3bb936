import { jest } from '@jest/globals'
import { listTags, resolveDigest } from '../support/registry-http.js'
import { releaseWorld } from '../support/release-world.js'
import { COMPONENT_DOCKERFILE } from '../support/fixtures.js'
import { REGISTRY, requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

function components(prefix: string, workerSmoke: string): string {
  return ['backend', 'frontend', 'worker']
    .map((name) =>
      [
        `- name: ${name}`,
        `  image: ${REGISTRY}/${prefix}/${name}`,
        `  build-args: { COMPONENT: ${name} }`,
        `  smoke-run: ${name === 'worker' ? JSON.stringify(workerSmoke) : 'cat /www/component'}`,
      ].join('\n'),
    )
    .join('\n')
}

test("a 3-component release: one component's arm64 smoke failing stops all of them; fixed, all three are promoted under one Release", async () => {
  const w = await releaseWorld('components', { Dockerfile: COMPONENT_DOCKERFILE })
  try {
    const prefix = `e2e/components-${Date.now().toString(36)}`
    const failing = await w.run({
      image: '',
      version: '2.0.0',
      components: components(prefix, 'sh -c "test $(uname -m) != aarch64"'),
    })
    expect(failing.exitCode).toBe(1)
    const error = failing.errors.join('\n')
    expect(error).toMatch(
      /Step 'smoke' failed: smoke test failed on component worker, linux\/arm64: run sh -c/,
    )
    expect(error).not.toMatch(/component (backend|frontend)/)
    expect(error).toMatch(/Visible to users: untagged manifests only/)
    for (const name of ['backend', 'frontend', 'worker']) {
      expect(await listTags(`${prefix}/${name}`)).toEqual([])
    }
    expect(w.github.releases('acme', 'app')).toEqual([])
    expect(failing.summary).toMatch(/\| worker \| linux\/arm64 \| .* \| failed: /)
    expect(failing.summary).toMatch(/\| backend \| linux\/arm64 \| .* \| passed: /)

    const fixed = await w.run(
      { image: '', version: '2.0.0', components: components(prefix, 'true') },
      { runAttempt: '2' },
    )
    expect(fixed.errors).toEqual([])
    expect(fixed.exitCode).toBe(0)
    const summary = JSON.parse(fixed.outputs.components ?? '{}') as Record<
      string,
      { digest: string; tags: string[] }
    >
    expect(Object.keys(summary)).toEqual(['backend', 'frontend', 'worker'])
    const releases = w.github.releases('acme', 'app')
    expect(releases).toHaveLength(1)
    expect(releases[0]).toMatchObject({ tag_name: 'v2.0.0', draft: false })
    for (const name of ['backend', 'frontend', 'worker']) {
      const digest = summary[name]?.digest ?? ''
      expect(digest).toMatch(/^sha256:/)
      for (const tag of ['2.0.0', '2.0', '2', 'latest'])
        expect(await resolveDigest(`${prefix}/${name}`, tag)).toBe(digest)
      expect(releases[0]?.body).toContain(`### ${name}`)
      expect(releases[0]?.body).toContain(`docker pull ${REGISTRY}/${prefix}/${name}:2.0.0`)
    }
    // Three different images, not one under three names.
    expect(new Set(Object.values(summary).map((s) => s.digest)).size).toBe(3)
  } finally {
    await w.github.close()
  }
})
