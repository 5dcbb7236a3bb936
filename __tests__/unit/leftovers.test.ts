// Nothing left running: the action's containers carry their run's labels; a run's post step
// removes its own, and a later run removes what runs that are certainly over left behind.
import { mkdtempSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  EXPIRY_MARGIN_MS,
  OWNER_LABELS,
  labelledContainer,
  leftoverVerdict,
  ownerLabels,
  type ContainerOwner,
  type LabelledContainer,
} from '../../src/model/container-owner.js'
import { DockerEngine } from '../../src/ports/engine.js'
import { processAlive, thisProcess } from '../../src/ports/host-process.js'
import type { CommandResult, Program } from '../../src/ports/process.js'
import { runPost } from '../../src/post/post.js'
import { postState } from '../../src/post/state.js'
import { removedContainersSection } from '../../src/report/summary.js'
import { probeContainerArgs, smokeCommandArgs } from '../../src/smoke/docker-run-args.js'
import { removeEarlierLeftovers, removeRunContainers } from '../../src/smoke/leftovers.js'
import { FakeEngine } from '../support/fake-engine.js'
import { platform } from '../support/smoke-world.js'

const NOW = 1_800_000_000_000
const SELF: ContainerOwner = { run: '500-1', repository: 'acme/app', process: 'h/b/1/1' }

const container = (
  name: string,
  owner: Partial<ContainerOwner>,
  expires: number | undefined = NOW,
): LabelledContainer => ({
  id: `id-${name}`,
  name,
  owner: { run: '400-1', repository: 'acme/app', process: 'elsewhere', ...owner },
  expires,
})

describe('which containers of other runs may go', () => {
  const alive = (process: string): boolean | undefined =>
    ({ live: true, dead: false })[process as 'live' | 'dead']

  test.each<[string, LabelledContainer, boolean, string]>([
    ['this very run', container('a', { run: '500-1' }), false, 'this run'],
    [
      'the same run id of another repository',
      container('b', { run: '500-1', repository: 'acme/other', process: 'dead' }),
      true,
      'the run that started it has ended',
    ],
    [
      'a run alive on this host',
      container('c', { process: 'live' }, 0),
      false,
      'its run is alive on this host',
    ],
    [
      'a run whose process is gone from this host',
      container('d', { process: 'dead' }),
      true,
      'the run that started it has ended',
    ],
    [
      'another host, deadline just passed',
      container('e', {}, NOW - 60_000),
      false,
      'its run may still be alive',
    ],
    [
      'another host, deadline passed long ago',
      container('f', {}, NOW - EXPIRY_MARGIN_MS - 60_000),
      true,
      'its smoke deadline passed 11 min ago',
    ],
    [
      'another host, no deadline label',
      container('g', {}, undefined),
      false,
      'its run may still be alive',
    ],
    [
      'alive on this host though its deadline passed',
      container('h', { process: 'live' }, 0),
      false,
      'its run is alive on this host',
    ],
  ])('%s', (_, c, remove, reason) => {
    expect(leftoverVerdict(c, SELF, NOW, alive)).toEqual({ remove, reason })
  })
})

test('the labels name the run, the repository, the process and the deadline, and read back', () => {
  const labels = ownerLabels(SELF, NOW + 0.4)
  expect(labels).toEqual({
    'dev.multiarch-release.run': '500-1',
    'dev.multiarch-release.repository': 'acme/app',
    'dev.multiarch-release.process': 'h/b/1/1',
    'dev.multiarch-release.expires': String(NOW),
  })
  expect(labelledContainer('c1', 'mar-1', labels)).toEqual({
    id: 'c1',
    name: 'mar-1',
    owner: SELF,
    expires: NOW,
  })
  expect(labelledContainer('c2', 'other', {})).toBeUndefined()
  expect(
    labelledContainer('c3', 'x', { [OWNER_LABELS.run]: '1-1', [OWNER_LABELS.expires]: 'soon' })
      ?.expires,
  ).toBeUndefined()
})

describe('the process that started a container', () => {
  test('this process is alive; its pid with another start time is a process that has ended', () => {
    const me = thisProcess()
    expect(processAlive(me)).toBe(true)
    const [host, boot, pid] = me.split('/')
    expect(processAlive([host, boot, pid, '1'].join('/'))).toBe(false)
    expect(processAlive([host, boot, '999999999', '1'].join('/'))).toBe(false)
  })

  test('another host, another boot or an unreadable label cannot be judged here', () => {
    const [host = '', boot = '', pid = '', start = ''] = thisProcess().split('/')
    expect(processAlive(['other-host', boot, pid, start].join('/'))).toBeUndefined()
    expect(processAlive([host, 'another-boot', pid, start].join('/'))).toBeUndefined()
    expect(processAlive([host, boot, 'x', start].join('/'))).toBeUndefined()
    expect(processAlive('')).toBeUndefined()
  })
})

describe('the engine labels every container it makes', () => {
  const SPEC = {
    ref: 'r.example.test/acme/app@sha256:abc',
    platform: platform('linux/arm64'),
    name: 'mar-500-1-linux-arm64-run0-x1',
    env: [],
    expires: NOW,
  }
  function docker(answer: (args: readonly string[]) => CommandResult = () => ok()) {
    const calls: (readonly string[])[] = []
    const program: Program = {
      run: (args) => {
        calls.push(args)
        return Promise.resolve(answer(args))
      },
      runBinary: (args) => {
        calls.push(args)
        return Promise.resolve({ exitCode: 0, stdout: Buffer.alloc(0), stderr: '' })
      },
    }
    return { calls, engine: new DockerEngine(program, { owner: SELF }) }
  }
  const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' })
  const labelArgs = (expires: number) =>
    Object.entries(ownerLabels(SELF, expires)).flatMap(([k, v]) => ['--label', `${k}=${v}`])

  test('a smoke command and a probe: labelled with their deadline', async () => {
    const { calls, engine } = docker()
    await engine.run(SPEC, ['true'])
    await engine.startDetached(SPEC, 8080)
    expect(calls).toEqual([
      smokeCommandArgs(SPEC, ['true'], ownerLabels(SELF, NOW)),
      ['rm', '--force', SPEC.name],
      probeContainerArgs(SPEC, 8080, ownerLabels(SELF, NOW)),
    ])
    expect(calls[0]?.slice(0, 15)).toEqual([
      'run',
      '--pull',
      'never',
      '--platform',
      'linux/arm64',
      '--name',
      SPEC.name,
      ...labelArgs(NOW),
    ])
  })

  test('a container made to copy a file out: labelled, needed for minutes at most', async () => {
    const { calls, engine } = docker((args) => ok(args[0] === 'create' ? 'c0ffee\n' : ''))
    const before = Date.now()
    await engine.readImageFile(SPEC.ref, 'linux/arm64', '/bin/app')
    const create = calls[0] ?? []
    const expires = Number(/expires=(\d+)/.exec(create.join(' '))?.[1])
    expect(expires).toBeGreaterThanOrEqual(before + 10 * 60_000)
    expect(create).toEqual([
      'create',
      '--pull',
      'never',
      '--platform',
      'linux/arm64',
      ...labelArgs(expires),
      SPEC.ref,
    ])
  })

  test('the labelled containers are listed with docker ps, their labels read by name', async () => {
    const line = (name: string, labels: string[]) => [`id-${name}`, name, ...labels].join('\t')
    const { calls, engine } = docker(() =>
      ok(
        [
          line('mar-1', ['400-1', 'acme/app', 'h/b/9/9', String(NOW)]),
          line('mar-2', ['', '', '', '']),
          '',
        ].join('\n'),
      ),
    )
    expect(await engine.labelledContainers()).toEqual([
      {
        id: 'id-mar-1',
        name: 'mar-1',
        owner: { run: '400-1', repository: 'acme/app', process: 'h/b/9/9' },
        expires: NOW,
      },
    ])
    expect(calls[0]).toEqual([
      'ps',
      '--all',
      '--no-trunc',
      '--filter',
      'label=dev.multiarch-release.run',
      '--format',
      '{{.ID}}\t{{.Names}}\t{{.Label "dev.multiarch-release.run"}}\t{{.Label "dev.multiarch-release.repository"}}\t{{.Label "dev.multiarch-release.process"}}\t{{.Label "dev.multiarch-release.expires"}}',
    ])
  })

  test('the images of a run are found by a reference pattern', async () => {
    const { calls, engine } = docker(() => ok('sha256:aa\nsha256:bb\nsha256:aa\n'))
    expect(await engine.imagesMatching('multiarch-release-smoke:500-1-*')).toEqual([
      'sha256:aa',
      'sha256:bb',
    ])
    expect(calls[0]).toEqual([
      'image',
      'ls',
      '--quiet',
      '--filter',
      'reference=multiarch-release-smoke:500-1-*',
    ])
  })

  test('without an owner (the command line) no label is added', async () => {
    const calls: (readonly string[])[] = []
    const engine = new DockerEngine({
      run: (args) => {
        calls.push(args)
        return Promise.resolve(ok())
      },
      runBinary: () => Promise.reject(new Error('unused')),
    })
    await engine.run(SPEC, ['true'])
    expect(calls[0]).toEqual(smokeCommandArgs(SPEC, ['true']))
    expect(calls[0]).not.toContain('--label')
  })
})

describe('removing left-overs', () => {
  test('a run removes the containers of runs that are over, and keeps the rest', async () => {
    const engine = new FakeEngine()
    engine.labelled.push(
      container('mine', { run: SELF.run }),
      container('dead', { process: 'dead' }),
      container('live', { process: 'live' }),
      container('old', {}, NOW - EXPIRY_MARGIN_MS - 1),
    )
    const removed = await removeEarlierLeftovers(
      engine,
      SELF,
      (p) => p === 'live' || (p === 'dead' ? false : undefined),
      NOW,
    )
    expect(removed.map((c) => c.name)).toEqual(['dead', 'old'])
    expect(engine.labelled.map((c) => c.name)).toEqual(['mine', 'live'])
    expect(removed[0]).toEqual({
      name: 'dead',
      run: '400-1',
      repository: 'acme/app',
      reason: 'the run that started it has ended',
    })
  })

  test('a post step removes every container of its run attempt, and only those', async () => {
    const engine = new FakeEngine()
    engine.labelled.push(
      container('a', { run: '500-1' }),
      container('b', { run: '500-2' }),
      container('c', { run: '500-1', repository: 'acme/other' }),
    )
    expect((await removeRunContainers(engine, '500-1', 'acme/app')).map((c) => c.name)).toEqual([
      'a',
    ])
    expect(engine.labelled.map((c) => c.name)).toEqual(['b', 'c'])
  })
})

describe('the post step', () => {
  function runner() {
    const temp = mkdtempSync(join(tmpdir(), 'runner-temp-'))
    const workDir = join(temp, 'multiarch-release-abc123')
    mkdirSync(workDir)
    writeFileSync(join(workDir, 'build-metadata-app.json'), '{}')
    const summary = join(temp, 'summary.md')
    writeFileSync(summary, '')
    const env = {
      RUNNER_TEMP: temp,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_RUN_ID: '500',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_REPOSITORY: 'acme/app',
    }
    return { temp, workDir, summary, env }
  }

  test('with the state the main step saved: the run’s containers and folder go, the summary says which', async () => {
    const { workDir, summary, env } = runner()
    const engine = new FakeEngine()
    engine.labelled.push(
      container('mar-500-2-x', { run: '500-2' }),
      container('keep', { run: '500-1' }),
    )
    const result = await runPost(
      { ...env, STATE_run: '500-2', STATE_repository: 'acme/app', 'STATE_work-dir': workDir },
      engine,
    )
    expect(result.removed.map((c) => c.name)).toEqual(['mar-500-2-x'])
    expect(engine.labelled.map((c) => c.name)).toEqual(['keep'])
    expect(existsSync(workDir)).toBe(false)
    expect(readFileSync(summary, 'utf8')).toContain('### Containers removed after the run')
  })

  test('killed before it saved anything: the run attempt the runner names', async () => {
    const { env, summary } = runner()
    const engine = new FakeEngine()
    engine.labelled.push(container('mar-500-1-x', { run: '500-1' }))
    expect(postState(env)).toEqual({
      run: '500-1',
      repository: 'acme/app',
      workDir: '',
      loggedIn: [],
    })
    expect((await runPost(env, engine)).removed.map((c) => c.name)).toEqual(['mar-500-1-x'])
    expect(readFileSync(summary, 'utf8')).toContain('mar-500-1-x')
  })

  test('a folder that is not a run’s own folder in the runner’s temp is never removed', async () => {
    const { env, temp } = runner()
    const elsewhere = mkdtempSync(join(tmpdir(), 'workspace-'))
    const misnamed = join(temp, 'cache')
    mkdirSync(misnamed)
    for (const dir of [elsewhere, misnamed]) {
      const result = await runPost({ ...env, 'STATE_work-dir': dir }, new FakeEngine())
      expect(result.workDirRemoved).toBe(false)
      expect(existsSync(dir)).toBe(true)
    }
  })

  test('the images a build-only run loaded for its smoke tests go, and its registry logins', async () => {
    const { env } = runner()
    const engine = new FakeEngine()
    for (const tag of [
      'multiarch-release-smoke:500-1-app-linux-arm64',
      'multiarch-release-smoke:500-1-app-linux-amd64',
      'multiarch-release-smoke:500-12-app-linux-arm64',
      'app:500-1',
    ])
      engine.images.add(tag)
    engine.loggedIn.add('r.example.test')
    engine.loggedIn.add('other.example.test')
    const result = await runPost(
      { ...env, STATE_run: '500-1', 'STATE_logged-in': 'r.example.test\nghcr.example.test' },
      engine,
    )
    expect([...result.images].sort()).toEqual([
      'multiarch-release-smoke:500-1-app-linux-amd64',
      'multiarch-release-smoke:500-1-app-linux-arm64',
    ])
    expect([...engine.images].sort()).toEqual([
      'app:500-1',
      'multiarch-release-smoke:500-12-app-linux-arm64',
    ])
    expect(result.loggedOut).toEqual(['r.example.test', 'ghcr.example.test'])
    expect([...engine.loggedIn]).toEqual(['other.example.test'])
  })

  test('nothing left: no summary section', async () => {
    const { env, summary } = runner()
    expect((await runPost(env, new FakeEngine())).removed).toEqual([])
    expect(readFileSync(summary, 'utf8')).toBe('')
  })
})

test('the summary section lists each container removed with its run and why', () => {
  expect(removedContainersSection([])).toBe('')
  expect(
    removedContainersSection([
      {
        name: 'mar-400-1-linux-arm64-http-x',
        run: '400-1',
        repository: 'acme/app',
        reason: 'the run that started it has ended',
      },
    ]),
  ).toBe(
    [
      '### Left-over containers removed',
      '',
      '| Container | Repository | Run | Why |',
      '| --- | --- | --- | --- |',
      '| `mar-400-1-linux-arm64-http-x` | acme/app | 400-1 | the run that started it has ended |',
      '',
      '',
    ].join('\n'),
  )
})
