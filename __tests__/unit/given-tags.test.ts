import { finalTags, type FinalTag } from '../../src/model/tags.js'
import { parseValues as parse, problemsOf } from '../support/inputs.js'

const SHA = '860c190a0123456789abcdef0123456789abcdef'
const images = 'ghcr.io/acme/app\ndocker.io/acme/app'

/** What metadata-action's tags output holds for two images on a push of main (type=ref, type=sha). */
const metadataTags = [
  'ghcr.io/acme/app:main',
  'ghcr.io/acme/app:sha-860c190',
  'acme/app:main',
  'acme/app:sha-860c190',
].join('\n')

describe("the tags input takes metadata-action's tags output", () => {
  test('each reference gives its tag once, written after the version tag, before the floating tags', () => {
    const inputs = parse({ image: images, tags: metadataTags })
    expect(inputs.tagScheme.extra).toEqual(['main', 'sha-860c190'])
    const planned = finalTags('1.4.0', { kind: 'stable' }, inputs.tagScheme, SHA) as FinalTag[]
    expect(planned.map((t) => `${t.kind} ${t.tag}`)).toEqual([
      'version 1.4.0',
      'extra main',
      'extra sha-860c190',
      'floating 1.4',
      'floating 1',
      'floating latest',
    ])
  })

  test('references and templates mix; a reference may hold a template; capitals are lowercased as image is', () => {
    const inputs = parse({
      image: images,
      tags: 'edge\nGHCR.io/Acme/App:sha-{{short}}\ndocker.io/acme/app:edge',
    })
    expect(inputs.tagScheme.extra).toEqual(['edge', 'sha-{{short}}'])
  })

  test("the release's own tags (a version, latest) are left out with one notice: they move only forward", () => {
    const inputs = parse({
      image: images,
      tags: [
        'ghcr.io/acme/app:1.4.0',
        'ghcr.io/acme/app:1.4',
        'ghcr.io/acme/app:latest',
        'acme/app:latest',
        'ghcr.io/acme/app:v1',
        'ghcr.io/acme/app:main',
      ].join('\n'),
    })
    expect(inputs.tagScheme.extra).toEqual(['main'])
    expect(inputs.notices).toEqual([
      "Input 'tags': 1.4.0, 1.4, latest, v1 are the release's own version and floating tags (written from the released version, and moved only forward): the given ones are not used",
    ])
  })

  test("a reference of any component's repository is accepted", () => {
    const inputs = parse({
      components: '- name: api\n  image: ghcr.io/acme/api\n- name: web\n  image: ghcr.io/acme/web',
      tags: 'ghcr.io/acme/web:edge\nghcr.io/acme/api:edge',
    })
    expect(inputs.tagScheme.extra).toEqual(['edge'])
  })

  test.each<[string, string, RegExp]>([
    [
      'another repository',
      'ghcr.io/other/app:main',
      /^tags: ghcr.io\/other\/app:main: ghcr.io\/other\/app is not a repository of this release \(ghcr.io\/acme\/app, docker.io\/acme\/app\); give references of the image input's repositories only/,
    ],
    [
      'a repository without a tag',
      'ghcr.io/acme/app',
      /^tags: ghcr.io\/acme\/app: it is a repository without a tag, or with a digest/,
    ],
    [
      'a digest',
      `ghcr.io/acme/app@sha256:${'a'.repeat(64)}`,
      /it is a repository without a tag, or with a digest/,
    ],
    [
      'a repository that is not one',
      'ghcr.io/acme/-app:main',
      /^tags: ghcr.io\/acme\/-app:main: '-app'/,
    ],
    [
      'an unknown placeholder in a reference',
      'ghcr.io/acme/app:{{branch}}',
      /it uses unknown placeholders \{\{branch\}\}/,
    ],
  ])('%s is refused, naming the line', (_name, tags, expected) => {
    expect(problemsOf({ image: images, tags })).toEqual([expect.stringMatching(expected)])
  })
})
