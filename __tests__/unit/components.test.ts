import { InputError } from '../../src/model/errors.js'
import { INPUT_DEFAULTS, parseInputs, type Inputs } from '../../src/model/inputs.js'
import { formatPlatform } from '../../src/model/platform.js'

const files: Record<string, string> = {
  'components.yml':
    '- name: api\n  image: ghcr.io/acme/api\n- name: web\n  image: ghcr.io/acme/web\n  context: web\n',
}
const parse = (values: Record<string, string>): Inputs =>
  parseInputs(
    (name) => values[name] ?? INPUT_DEFAULTS[name] ?? '',
    () => true,
    (path) => files[path],
  )

function problems(values: Record<string, string>): string[] {
  try {
    parse(values)
    return []
  } catch (error) {
    if (error instanceof InputError)
      return error.problems.map((p) => `${p.input}: ${p.value}: ${p.accepted}`)
    throw error
  }
}

const three = `
- name: backend
  image: ghcr.io/acme/backend
  context: backend
  build-args:
    GO_VERSION: "1.23"
  smoke-run: [serve --help, version]
- name: frontend
  image: ghcr.io/acme/frontend
  file: frontend/web.Dockerfile
  target: runtime
  platforms: linux/amd64
  smoke-http: 8080/health
- name: worker
  image: ghcr.io/acme/worker
  smoke-timeout: 30,linux/arm64=90
`

describe('components', () => {
  test('three components: their own settings, the top-level inputs as defaults', () => {
    const inputs = parse({
      components: three,
      platforms: 'linux/amd64,linux/arm64',
      'smoke-env': 'A=1',
    })
    const [backend, frontend, worker] = inputs.components
    expect(inputs.components.map((c) => [c.name, c.image.name])).toEqual([
      ['backend', 'ghcr.io/acme/backend'],
      ['frontend', 'ghcr.io/acme/frontend'],
      ['worker', 'ghcr.io/acme/worker'],
    ])
    expect(backend).toMatchObject({
      context: 'backend',
      file: 'backend/Dockerfile',
      buildArgs: [{ key: 'GO_VERSION', value: '1.23' }],
    })
    expect(backend?.smoke.run).toEqual([['serve', '--help'], ['version']])
    expect(backend?.smoke.env).toEqual([{ key: 'A', value: '1' }])
    expect(frontend).toMatchObject({ file: 'frontend/web.Dockerfile', target: 'runtime' })
    expect(frontend?.platforms.map(formatPlatform)).toEqual(['linux/amd64'])
    expect(frontend?.smoke.http).toMatchObject({ port: 8080, path: '/health' })
    expect(worker?.platforms.map(formatPlatform)).toEqual(['linux/amd64', 'linux/arm64'])
    expect(worker?.smoke.timeout.fallback.ms).toBe(30_000)
  })

  test('from a YAML file in the workspace', () => {
    expect(parse({ components: 'components.yml' }).components.map((c) => c.name)).toEqual([
      'api',
      'web',
    ])
  })

  test('a single image is one component named after its repository', () => {
    expect(parse({ image: 'ghcr.io/acme/app' }).components.map((c) => c.name)).toEqual(['app'])
  })

  test.each<[string, Record<string, string>, RegExp]>([
    ['not YAML', { components: '- name: [unclosed' }, /^components: .*it is not YAML/],
    ['not a list', { components: 'name: api' }, /^components: .*not a list of components/],
    [
      'a missing file',
      { components: 'missing.yml' },
      /^components: missing.yml: the file does not exist/,
    ],
    [
      'an entry that is not a mapping',
      { components: '- just-a-string' },
      /^components\[0\]: just-a-string: it is not a mapping/,
    ],
    [
      'a bad name',
      { components: '- name: Api\n  image: ghcr.io/acme/api' },
      /^components\[0\]\.name: Api: it is not a component name/,
    ],
    [
      'a duplicate name',
      { components: '- name: api\n  image: r.io/a\n- name: api\n  image: r.io/b' },
      /^components\[api\]\.name: api: another component has this name/,
    ],
    [
      'a duplicate image',
      { components: '- name: a\n  image: r.io/x\n- name: b\n  image: r.io/x' },
      /^components\[b\]\.image: r.io\/x: another component has this image/,
    ],
    [
      'a missing image',
      { components: '- name: api' },
      /^components\[api\]\.image: : it is required/,
    ],
    [
      'an image with a tag',
      { components: '- name: api\n  image: r.io/api:1' },
      /^components\[api\]\.image: .*holds a tag/,
    ],
    [
      'an unknown field',
      { components: '- name: api\n  image: r.io/api\n  dockerfile: x' },
      /^components\[api\]\.dockerfile: x: it is not a component field/,
    ],
    [
      'a bad platform',
      { components: '- name: api\n  image: r.io/api\n  platforms: linux/amd65' },
      /^components\[api\]\.platforms: linux\/amd65: architecture 'amd65' is unknown/,
    ],
    [
      'a shell operator in a smoke line',
      { components: '- name: api\n  image: r.io/api\n  smoke-run: a | b' },
      /^components\[api\]\.smoke-run: .*shell operator/,
    ],
    [
      'image and components together',
      { image: 'r.io/app', components: '- name: api\n  image: r.io/api' },
      /^image: r.io\/app: it is set together with components/,
    ],
  ])('%s is refused, naming the component and field', (_name, values, expected) => {
    const found = problems(values)
    expect(found.length).toBeGreaterThanOrEqual(1)
    expect(found[0]).toMatch(expected)
  })
})
