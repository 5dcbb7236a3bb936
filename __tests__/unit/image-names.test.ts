import { containerRegistryOf, defaultImage } from '../../src/model/image-names.js'
import { parseImageName } from '../../src/model/image-ref.js'
import type { Inputs } from '../../src/model/inputs.js'
import type { RunnerRepository } from '../../src/model/image-names.js'
import { parseValues, problemsOf as problemsWith } from '../support/inputs.js'

const github: RunnerRepository = { owner: 'Acme', repo: 'App', serverUrl: 'https://github.com' }
const nobody: RunnerRepository = { owner: '', repo: '', serverUrl: 'https://github.com' }

const parse = (values: Record<string, string>, runner: RunnerRepository = nobody): Inputs =>
  parseValues(values, { runner })
const problemsOf = (values: Record<string, string>, runner: RunnerRepository = nobody): string[] =>
  problemsWith(values, { runner })

const repositoriesOf = (inputs: Inputs): string[][] =>
  inputs.components.map((c) => c.repositories.map((r) => r.name))

describe('parseImageName', () => {
  test.each([
    ['ghcr.io/acme/app', 'ghcr.io/acme/app', false],
    ['ghcr.io/Acme/App', 'ghcr.io/acme/app', true],
    ['Registry.Example.COM:5000/Team/App', 'registry.example.com:5000/team/app', true],
    ['  ghcr.io/acme/app  ', 'ghcr.io/acme/app', false],
  ])('%j is %s (lowered: %s)', (text, name, lowered) => {
    const parsed = parseImageName(text)
    expect(typeof parsed === 'string' ? parsed : [parsed.repository.name, parsed.lowered]).toEqual([
      name,
      lowered,
    ])
  })

  test.each([
    ['ghcr.io/Acme/-App', /'-app' is not a valid repository path component \(after lowercasing\)/],
    ['ghcr.io/Acme/App:1.0', /holds a tag/],
    ['ghcr.io/acme/-app', /^'-app' is not a valid repository path component$/],
  ])('%j stays refused: %s', (text, reason) => {
    expect(parseImageName(text)).toEqual(expect.stringMatching(reason))
  })
})

describe('the image input', () => {
  test('a name with capitals is released under its lowercase name, with a notice naming the change', () => {
    const inputs = parse({ image: 'ghcr.io/Acme/App' })
    expect(repositoriesOf(inputs)).toEqual([['ghcr.io/acme/app']])
    expect(inputs.components[0]?.image.name).toBe('ghcr.io/acme/app')
    expect(inputs.notices).toEqual([
      "Input 'image': ghcr.io/Acme/App is released as ghcr.io/acme/app: registries accept lowercase repository names only",
    ])
  })

  test('a lowercase name needs no notice', () => {
    expect(parse({ image: 'ghcr.io/acme/app' }).notices).toEqual([])
  })

  test('several repositories, one per line: one build, the first is where the candidate goes', () => {
    const inputs = parse({
      image: 'ghcr.io/acme/app\n# the Docker Hub mirror\ndocker.io/Acme/app\n\n',
    })
    expect(inputs.components).toHaveLength(1)
    expect(repositoriesOf(inputs)).toEqual([['ghcr.io/acme/app', 'docker.io/acme/app']])
    expect(inputs.components[0]?.image.name).toBe('ghcr.io/acme/app')
    expect(inputs.components[0]?.name).toBe('app')
    expect(inputs.notices).toHaveLength(1)
  })

  test.each([
    [
      'a repository listed twice (after lowercasing)',
      { image: 'ghcr.io/acme/app\nghcr.io/Acme/App' },
      [/^image: ghcr.io\/Acme\/App: this repository is listed twice/],
    ],
    [
      'one bad line among good ones names that line',
      { image: 'ghcr.io/acme/app\nghcr.io/acme/app:1.0' },
      [/^image: ghcr.io\/acme\/app:1.0: it holds a tag/],
    ],
    [
      'several lines with a bad one each',
      { image: 'a.io/x/-y\nb.io/x@sha256:1' },
      [/^image: a.io\/x\/-y: /, /^image: b.io\/x@sha256:1: it holds a digest/],
    ],
  ])('%s is refused', (_name, values, expected) => {
    const problems = problemsOf(values)
    expect(problems).toHaveLength(expected.length)
    expected.forEach((pattern, i) => {
      expect(problems[i]).toMatch(pattern)
    })
  })

  test('a component takes several repositories too, as a YAML list; none may be another component’s', () => {
    const inputs = parse({
      components: [
        '- name: api',
        '  image: [ghcr.io/acme/api, docker.io/acme/api]',
        '- name: web',
        '  image: ghcr.io/Acme/Web',
      ].join('\n'),
    })
    expect(repositoriesOf(inputs)).toEqual([
      ['ghcr.io/acme/api', 'docker.io/acme/api'],
      ['ghcr.io/acme/web'],
    ])
    expect(inputs.notices).toEqual([
      "Input 'components[web].image': ghcr.io/Acme/Web is released as ghcr.io/acme/web: registries accept lowercase repository names only",
    ])
    expect(
      problemsOf({
        components: [
          '- name: api',
          '  image: [ghcr.io/acme/api, docker.io/acme/api]',
          '- name: web',
          '  image: [ghcr.io/acme/web, docker.io/acme/api]',
        ].join('\n'),
      }),
    ).toEqual([
      expect.stringMatching(
        /^components\[web\]\.image: docker.io\/acme\/api: another component has this image/,
      ),
    ])
  })
})

describe('the default image', () => {
  test.each<[string, RunnerRepository, string | undefined]>([
    ['github.com: ghcr.io', github, 'ghcr.io/Acme/App'],
    [
      'GitHub Enterprise Server: the containers. subdomain of the server',
      { owner: 'acme', repo: 'app', serverUrl: 'https://ghe.example.com' },
      'containers.ghe.example.com/acme/app',
    ],
    [
      'a server URL with a port and a path: the host name only',
      { owner: 'acme', repo: 'app', serverUrl: 'https://GHE.example.com:8443/' },
      'containers.ghe.example.com/acme/app',
    ],
    ['no repository', nobody, undefined],
    ['a server URL that is not one', { ...github, serverUrl: 'not a url' }, undefined],
  ])('%s', (_name, runner, expected) => {
    expect(defaultImage(runner)).toBe(expected)
  })

  test('github.com is recognised whatever its case, and only github.com is ghcr.io', () => {
    expect(containerRegistryOf('https://GitHub.com')).toBe('ghcr.io')
    expect(containerRegistryOf('https://github.com.evil.example')).toBe(
      'containers.github.com.evil.example',
    )
  })

  test('without image and components: ghcr.io/<owner>/<repo> in lowercase, with a notice', () => {
    const inputs = parse({}, github)
    expect(repositoriesOf(inputs)).toEqual([['ghcr.io/acme/app']])
    expect(inputs.components[0]?.name).toBe('app')
    expect(inputs.notices).toEqual([
      "Input 'image': not given: the image is ghcr.io/acme/app, this repository's on GitHub's container registry",
    ])
  })

  test('on GitHub Enterprise Server: containers.<host>/<owner>/<repo>', () => {
    const inputs = parse({}, { owner: 'Acme', repo: 'App', serverUrl: 'https://ghe.example.com' })
    expect(repositoriesOf(inputs)).toEqual([['containers.ghe.example.com/acme/app']])
  })

  test('a given image wins over the default, and components need no image input', () => {
    expect(repositoriesOf(parse({ image: 'r.io/x/y' }, github))).toEqual([['r.io/x/y']])
    expect(repositoriesOf(parse({ components: '- name: api\n  image: r.io/api' }, github))).toEqual(
      [['r.io/api']],
    )
  })

  test('without image and without a repository to default to, image is required', () => {
    expect(problemsOf({})).toEqual([
      expect.stringMatching(/^image: : it is required \(or components\)/),
    ])
  })

  test('a default that is no valid image name says so and asks for image', () => {
    expect(
      problemsOf({}, { owner: 'acme', repo: '.github', serverUrl: 'https://github.com' }),
    ).toEqual([
      expect.stringMatching(
        /^image: : it is not given, and the default ghcr.io\/acme\/.github is not valid \('.github' is not a valid repository path component\); set image; use a repository/,
      ),
    ])
  })
})
