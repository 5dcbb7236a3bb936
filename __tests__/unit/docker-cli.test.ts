import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildxPlugin, dockerCli } from '../../src/ports/docker-cli.js'
import type { CommandResult, Program } from '../../src/ports/process.js'

/** A folder with an executable docker-buildx in `cli-plugins`, and a config.json if given. */
function configDir(config?: object, plugin = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'docker-cli-'))
  if (plugin) {
    mkdirSync(join(dir, 'cli-plugins'))
    writeFileSync(join(dir, 'cli-plugins', 'docker-buildx'), '#!/bin/sh\n')
    chmodSync(join(dir, 'cli-plugins', 'docker-buildx'), 0o755)
  }
  if (config) writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  return dir
}

const onlySystem = (path: string): boolean => path.startsWith('/usr/')

describe('buildxPlugin: where the docker CLI finds it', () => {
  test("$DOCKER_CONFIG's cli-plugins first", () => {
    const dir = configDir()
    expect(buildxPlugin({ DOCKER_CONFIG: dir, HOME: '/nowhere' })).toBe(
      join(dir, 'cli-plugins', 'docker-buildx'),
    )
  })

  test('~/.docker/cli-plugins without DOCKER_CONFIG', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'))
    const dir = join(home, '.docker')
    mkdirSync(join(dir, 'cli-plugins'), { recursive: true })
    writeFileSync(join(dir, 'cli-plugins', 'docker-buildx'), '#!/bin/sh\n')
    chmodSync(join(dir, 'cli-plugins', 'docker-buildx'), 0o755)
    expect(buildxPlugin({ HOME: home })).toBe(join(dir, 'cli-plugins', 'docker-buildx'))
  })

  test("then the config's cliPluginsExtraDirs, in their order", () => {
    const extra = configDir()
    const second = configDir()
    const dir = configDir(
      { cliPluginsExtraDirs: [join(extra, 'cli-plugins'), join(second, 'cli-plugins')] },
      false,
    )
    expect(buildxPlugin({ DOCKER_CONFIG: dir })).toBe(join(extra, 'cli-plugins', 'docker-buildx'))
  })

  test('then the system folders, /usr/local before /usr', () => {
    const dir = configDir(undefined, false)
    const asked: string[] = []
    const found = buildxPlugin({ DOCKER_CONFIG: dir }, (path) => {
      asked.push(path)
      return onlySystem(path)
    })
    expect(found).toBe('/usr/local/lib/docker/cli-plugins/docker-buildx')
    expect(asked).toEqual([
      join(dir, 'cli-plugins', 'docker-buildx'),
      '/usr/local/lib/docker/cli-plugins/docker-buildx',
    ])
  })

  test('none anywhere, and a config.json that is not JSON: undefined', () => {
    const dir = configDir(undefined, false)
    writeFileSync(join(dir, 'config.json'), '{ not json')
    expect(buildxPlugin({ DOCKER_CONFIG: dir }, () => false)).toBeUndefined()
  })

  test('a plugin file that is not executable is passed over', () => {
    const dir = configDir()
    chmodSync(join(dir, 'cli-plugins', 'docker-buildx'), 0o644)
    const found = buildxPlugin({ DOCKER_CONFIG: dir })
    expect(found).not.toBe(join(dir, 'cli-plugins', 'docker-buildx'))
  })
})

describe('dockerCli: buildx runs as its plugin, the rest as docker', () => {
  const recording = (): { program: Program; calls: string[][] } => {
    const calls: string[][] = []
    const result: CommandResult = { exitCode: 0, stdout: '', stderr: '' }
    return {
      calls,
      program: {
        run: (args) => {
          calls.push([...args])
          return Promise.resolve(result)
        },
        runBinary: (args) => {
          calls.push([...args])
          return Promise.resolve({ exitCode: 0, stdout: Buffer.alloc(0), stderr: '' })
        },
      },
    }
  }

  test('with a plugin, `buildx build …` starts the plugin with `build …`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugin-'))
    const plugin = join(dir, 'docker-buildx')
    const argsFile = join(dir, 'args')
    writeFileSync(plugin, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\necho built\n`)
    chmodSync(plugin, 0o755)
    const docker = recording()
    const cli = dockerCli(docker.program, () => plugin)
    const built = await cli.run(['buildx', 'build', '--push', '.'])
    expect(built.stdout.trim()).toBe('built')
    expect(readFileSync(argsFile, 'utf8').split('\n').filter(Boolean)).toEqual([
      'build',
      '--push',
      '.',
    ])
    await cli.run(['port', 'c', '8080/tcp'])
    await cli.runBinary(['cp', 'c:/bin/app', '-'])
    expect(docker.calls).toEqual([
      ['port', 'c', '8080/tcp'],
      ['cp', 'c:/bin/app', '-'],
    ])
  })

  test('without a plugin, everything goes to docker unchanged', async () => {
    const docker = recording()
    const cli = dockerCli(docker.program, () => undefined)
    await cli.run(['buildx', 'version'])
    expect(docker.calls).toEqual([['buildx', 'version']])
  })
})
