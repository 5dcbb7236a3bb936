import { secretEntries, secretsToMask } from '../../src/model/build-secrets.js'
import { MAX_INPUT_LENGTH, type Inputs } from '../../src/model/inputs.js'
import { onlyImage as build, parseValues, problemsOf as problemsWith } from '../support/inputs.js'

const valid: Record<string, string> = { image: 'ghcr.io/acme/app' }
const parse = (values: Record<string, string>, exists?: (path: string) => boolean): Inputs =>
  parseValues({ ...valid, ...values }, { exists })
const problemsOf = (values: Record<string, string>, exists?: (path: string) => boolean): string[] =>
  problemsWith({ ...valid, ...values }, { exists })

describe('secrets', () => {
  test('id=value lines; the value keeps =, spaces and its trailing white space', () => {
    expect(
      parse({ secrets: 'npm=a=b c\n# a comment\n\nGIT_AUTH_TOKEN=tok  ' }).buildSecrets.values,
    ).toEqual([
      { id: 'npm', value: 'a=b c' },
      { id: 'GIT_AUTH_TOKEN', value: 'tok  ' },
    ])
  })

  test('a "quoted" entry spans lines and holds "" for a quote, as build-push-action reads it', () => {
    const text = [
      '"key=-----BEGIN KEY-----',
      'abc,def',
      '-----END KEY-----"',
      '"quote=say ""hi"""',
      'plain=x',
    ].join('\n')
    expect(parse({ secrets: text }).buildSecrets.values).toEqual([
      { id: 'key', value: '-----BEGIN KEY-----\nabc,def\n-----END KEY-----' },
      { id: 'quote', value: 'say "hi"' },
      { id: 'plain', value: 'x' },
    ])
  })

  test('an opening quote never closed is named by its line', () => {
    expect(secretEntries('a=1\n"b=2\nc=3')).toEqual({ entries: ['a=1'], unclosed: [2] })
  })

  test('a problem names the entry, never the value', () => {
    const problems = problemsOf({ secrets: 'good=s3cr3t-1\nno-equals-s3cr3t-2\n"open=s3cr3t-3' })
    expect(problems).toEqual([
      expect.stringMatching(/^secrets: line 3: its opening quote is never closed/),
      expect.stringMatching(/^secrets: entry 2: it is not id=value/),
    ])
    expect(problems.join('\n')).not.toMatch(/s3cr3t/)
  })

  test('a secrets input too long to be one is refused without showing it', () => {
    const problems = problemsOf({ secrets: `a=${'s3cr3t'.repeat(MAX_INPUT_LENGTH / 6 + 1)}` })
    expect(problems).toEqual([
      expect.stringMatching(/^secrets: \(hidden\): it is \d+ characters long/),
    ])
  })

  test("an empty value (a fork's pull request gets no secrets) is left out with a notice", () => {
    const inputs = parse({ secrets: 'npm=\ngh=x' })
    expect(inputs.buildSecrets.values).toEqual([{ id: 'gh', value: 'x' }])
    expect(inputs.notices).toEqual(["Input 'secrets': npm is empty, so the build runs without it"])
  })

  test('every value is masked whole, and a value over several lines line by line too', () => {
    expect(
      secretsToMask([
        { id: 'a', value: 'one' },
        { id: 'b', value: 'l1\nl2\n' },
      ]),
    ).toEqual(['one', 'l1\nl2\n', 'l1', 'l2'])
  })
})

describe('secret-files, secret-envs and ssh', () => {
  test('read as build-push-action reads them', () => {
    const { buildSecrets } = parse({
      'secret-files': 'aws=creds/aws\nkube=/home/runner/.kube/config',
      'secret-envs': 'gh=GH_TOKEN,npm=NPM_TOKEN',
      ssh: 'default\ngithub=/tmp/agent.sock',
    })
    expect(buildSecrets).toEqual({
      values: [],
      files: [
        { id: 'aws', path: 'creds/aws' },
        { id: 'kube', path: '/home/runner/.kube/config' },
      ],
      envs: [
        { id: 'gh', variable: 'GH_TOKEN' },
        { id: 'npm', variable: 'NPM_TOKEN' },
      ],
      ssh: [
        { id: 'default', path: undefined },
        { id: 'github', path: '/tmp/agent.sock' },
      ],
    })
  })

  test.each<[string, Record<string, string>, RegExp]>([
    [
      'a secret file that does not exist',
      { 'secret-files': 'aws=nope' },
      /^secret-files: nope: the file does not exist/,
    ],
    [
      'a secret file without an id',
      { 'secret-files': 'creds/aws' },
      /^secret-files: creds\/aws: it is not id=path/,
    ],
    ['a path with a comma', { 'secret-files': 'a=x,y' }, /^secret-files: a=x,y: it is not id=path/],
    [
      'a variable that is not one',
      { 'secret-envs': 'gh=GH-TOKEN' },
      /^secret-envs: gh=GH-TOKEN: it is not id=VARIABLE/,
    ],
    [
      "a variable of the action's own",
      { 'secret-envs': 'x=MULTIARCH_RELEASE_SECRET_0' },
      /the action sets this variable itself/,
    ],
    ['an id given twice', { secrets: 'a=1\na=2' }, /^secrets: a: this id is given twice/],
    [
      'an id given in two inputs',
      { secrets: 'a=1', 'secret-envs': 'a=A' },
      /^secret-envs: a: this id is given in secrets too/,
    ],
    ['an ssh source that is not one', { ssh: 'my key' }, /^ssh: my key: it is not an ssh source/],
    ['an ssh id given twice', { ssh: 'default,default' }, /^ssh: default: this id is given twice/],
    [
      'an ssh key that does not exist',
      { ssh: 'gh=nope' },
      /^ssh: nope: the socket or key does not exist/,
    ],
  ])('%s is refused', (_name, values, expected) => {
    expect(problemsOf(values, (p) => p !== 'nope')).toEqual([expect.stringMatching(expected)])
  })

  test.each(['secrets', 'secret-files', 'secret-envs', 'ssh'])(
    '%s is no component field: a components file cannot pick the runner’s secrets',
    (field) => {
      const problems = problemsOf({
        image: '',
        components: `- name: api\n  image: r.io/api\n  ${field}: x=/home/runner/.docker/config.json`,
      })
      expect(problems).toEqual([
        expect.stringMatching(
          new RegExp(
            `^components\\[api\\]\\.${field}: \\(hidden\\): build secrets are not a component field`,
          ),
        ),
      ])
    },
  )
})

describe('build-contexts', () => {
  test('folders in the workspace, URLs, docker-image:// and oci-layout://', () => {
    const contexts = [
      'docs=docs',
      'alpine=docker-image://alpine:3.20@sha256:abc',
      'docker.io/library/node:20=docker-image://node:20-slim',
      'src=https://github.com/acme/lib.git#main',
      'layout=oci-layout://build/layout:v1',
    ]
    const checked: string[] = []
    const inputs = parse({ 'build-contexts': contexts.join('\n') }, (p) => {
      checked.push(p)
      return true
    })
    expect(build(inputs).buildContexts.map((c) => `${c.name}=${c.source}`)).toEqual(contexts)
    // Only folders are looked for: docs, and the layout without its tag.
    expect(checked).toEqual(expect.arrayContaining(['docs', 'build/layout']))
    expect(checked).not.toContain('node:20-slim')
  })

  test.each<[string, string, RegExp]>([
    ['a folder outside the workspace', 'etc=/etc', /the folder is outside the workspace/],
    ['a folder above the workspace', 'up=../other', /the folder is outside the workspace/],
    ['an OCI layout outside the workspace', 'l=oci-layout:///var/layout', /outside the workspace/],
    ['a folder that does not exist', 'x=nope', /the folder does not exist/],
    ['a bake target', 'x=target:base', /a target: context exists in bake only/],
    ['no name', '=docs', /it is not name=source/],
    ['a name given twice', 'a=docs\na=docs', /^build-contexts: a: this context is given twice/],
  ])('%s is refused', (_name, text, expected) => {
    expect(problemsOf({ 'build-contexts': text }, (p) => p !== 'nope')).toEqual([
      expect.stringMatching(expected),
    ])
  })
})

describe('labels and annotations', () => {
  const meta = [
    'org.opencontainers.image.created=2026-12-05T10:00:00.000Z',
    'org.opencontainers.image.description=An app',
    'org.opencontainers.image.revision=0123abc',
    'org.opencontainers.image.source=https://github.com/acme/app',
    'org.opencontainers.image.title=app',
    'org.opencontainers.image.version=main',
  ]

  test("metadata-action's labels: the release's own keys are left out with one notice, a later line wins", () => {
    const inputs = parse({ labels: [...meta, 'org.opencontainers.image.title=App'].join('\n') })
    expect(build(inputs).labels).toEqual({
      'org.opencontainers.image.description': 'An app',
      'org.opencontainers.image.source': 'https://github.com/acme/app',
      'org.opencontainers.image.title': 'App',
    })
    expect(inputs.notices).toEqual([
      "Input 'labels': org.opencontainers.image.created, org.opencontainers.image.revision, org.opencontainers.image.version are the release's own (the released version, commit and commit time): the given value is not used",
    ])
  })

  test("metadata-action's annotations, with their level prefixes", () => {
    const inputs = parse({
      annotations: [
        ...meta.map((m) => `manifest:${m}`),
        'index:org.opencontainers.image.description=An app',
        'index,manifest-descriptor:com.example.k=v',
        'manifest[linux/arm64]:com.example.arch=arm=64',
        'plain=https://example.com/x',
      ].join('\n'),
    })
    expect(build(inputs).annotations).toEqual([
      {
        levels: ['manifest'],
        platform: undefined,
        key: 'org.opencontainers.image.description',
        value: 'An app',
      },
      {
        levels: ['manifest'],
        platform: undefined,
        key: 'org.opencontainers.image.source',
        value: 'https://github.com/acme/app',
      },
      {
        levels: ['manifest'],
        platform: undefined,
        key: 'org.opencontainers.image.title',
        value: 'app',
      },
      {
        levels: ['index'],
        platform: undefined,
        key: 'org.opencontainers.image.description',
        value: 'An app',
      },
      {
        levels: ['index', 'manifest-descriptor'],
        platform: undefined,
        key: 'com.example.k',
        value: 'v',
      },
      {
        levels: ['manifest'],
        platform: { os: 'linux', architecture: 'arm64' },
        key: 'com.example.arch',
        value: 'arm=64',
      },
      { levels: ['manifest'], platform: undefined, key: 'plain', value: 'https://example.com/x' },
    ])
    expect(inputs.notices).toHaveLength(1)
  })

  test.each<[string, Record<string, string>, RegExp]>([
    ['a label without =', { labels: 'justakey' }, /^labels: justakey: it is not key=value/],
    ['a label key with a space', { labels: 'my key=v' }, /^labels: my key=v: it is not key=value/],
    [
      'an unknown annotation level',
      { annotations: 'layer:k=v' },
      /'layer' is not an annotation level/,
    ],
    [
      'an annotation platform that is not one',
      { annotations: 'manifest[amd64]:k=v' },
      /^annotations: manifest\[amd64\]:k=v: /,
    ],
    ['an annotation without =', { annotations: 'index:k' }, /it is not \[level:\]key=value/],
  ])('%s is refused', (_name, values, expected) => {
    expect(problemsOf(values)).toEqual([expect.stringMatching(expected)])
  })
})

describe("RUN's settings", () => {
  test('read as build-push-action reads them', () => {
    const b = build(
      parse({
        'no-cache': 'true',
        pull: 'true',
        network: 'host',
        'add-hosts': 'docker:10.180.0.1,db=192.168.1.2\nv6:fe80::1\ngw:host-gateway',
        'shm-size': '2gb',
        ulimit: 'nofile=1024:2048\ncore=-1',
      }),
    )
    expect([b.noCache, b.pull, b.network, b.shmSize]).toEqual([true, true, 'host', '2gb'])
    expect(b.addHosts).toEqual([
      { host: 'docker', ip: '10.180.0.1' },
      { host: 'db', ip: '192.168.1.2' },
      { host: 'v6', ip: 'fe80::1' },
      { host: 'gw', ip: 'host-gateway' },
    ])
    expect(b.ulimits).toEqual([
      { name: 'nofile', soft: 1024, hard: 2048 },
      { name: 'core', soft: -1, hard: undefined },
    ])
  })

  test('blank is the builder default, no-cache and pull false', () => {
    const b = build(parse({}))
    expect([b.noCache, b.pull, b.network, b.shmSize, b.addHosts, b.ulimits]).toEqual([
      false,
      false,
      undefined,
      undefined,
      [],
      [],
    ])
  })

  test.each<[string, Record<string, string>, RegExp]>([
    [
      'an unknown network',
      { network: 'bridge' },
      /^network: bridge: unknown network mode; use one of default, none, host/,
    ],
    ['a host without an IP', { 'add-hosts': 'docker' }, /^add-hosts: docker: it is not host:ip/],
    ['an IP that is not one', { 'add-hosts': 'db:10.0.0.300' }, /it is not host:ip/],
    ['a size that is not one', { 'shm-size': 'lots' }, /^shm-size: lots: it is not a size/],
    ['an unknown ulimit', { ulimit: 'files=10' }, /^ulimit: files=10: it is not a ulimit/],
    ['a ulimit that is not a number', { ulimit: 'nofile=many' }, /it is not a ulimit/],
    [
      'no-cache that is not a boolean',
      { 'no-cache': 'yes' },
      /^no-cache: yes: it is not a boolean/,
    ],
  ])('%s is refused', (_name, values, expected) => {
    expect(problemsOf(values)).toEqual([expect.stringMatching(expected)])
  })
})
