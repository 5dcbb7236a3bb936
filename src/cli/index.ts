#!/usr/bin/env node
// `multiarch-release plan --image … --platforms …`: runs the bundled action (dist/index.js) as
// the runner would, with mode plan, and prints its plan. It never builds, pushes or publishes.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ACTION_INPUT_LIST } from '../model/input-env.js'
import { childEnvironment, parseOutputFile, parsePlanArgs, terminalLine } from './plan-args.js'

/** The action's bundle, next to this one: dist/cli/index.js runs dist/index.js. */
const ACTION = join(dirname(fileURLToPath(import.meta.url)), '..', 'index.js')

const git = (dir: string, args: string[]): string | undefined => {
  try {
    const out = execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    return out === '' ? undefined : out
  } catch {
    return undefined
  }
}

const args = parsePlanArgs(process.argv.slice(2), ACTION_INPUT_LIST, {
  cwd: process.cwd(),
  env: process.env,
  git,
})
if (args.kind === 'help') {
  process.stdout.write(args.text)
} else if (args.kind === 'error') {
  process.stderr.write(`multiarch-release: ${args.message}\nSee: multiarch-release --help\n`)
  process.exitCode = 2
} else {
  const dir = mkdtempSync(join(tmpdir(), 'multiarch-release-plan-'))
  const outputFile = join(dir, 'output')
  writeFileSync(outputFile, '')
  const child = spawn(process.execPath, [ACTION], {
    cwd: args.workspace,
    env: childEnvironment(process.env, {
      ...args.env,
      GITHUB_OUTPUT: outputFile,
      RUNNER_TEMP: dir,
    }),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  // With --json, stdout carries only the plan; the log goes to stderr.
  const log = args.json ? process.stderr : process.stdout
  createInterface({ input: child.stdout }).on('line', (line) => {
    const shown = terminalLine(line)
    if (shown !== undefined) log.write(`${shown}\n`)
  })
  child.on('close', (code, signal) => {
    if (args.json) {
      const plan = parseOutputFile(readFileSync(outputFile, 'utf8')).plan ?? ''
      if (plan !== '') process.stdout.write(`${JSON.stringify(JSON.parse(plan), null, 2)}\n`)
    }
    rmSync(dir, { recursive: true, force: true })
    process.exitCode = code ?? (signal ? 130 : 1)
  })
}
