import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from './stack.js'

export interface FixtureRepo {
  readonly dir: string
  readonly sha: string
}

const git = (dir: string, ...args: string[]): string =>
  execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Fixture',
      GIT_AUTHOR_EMAIL: 'fixture@example.test',
      GIT_COMMITTER_NAME: 'Fixture',
      GIT_COMMITTER_EMAIL: 'fixture@example.test',
      GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
      GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
    },
  }).trim()

/**
 * A git checkout of the bundled example image (busybox for each architecture), committed at a
 * fixed time, with files added or replaced (for example a Dockerfile that fails on arm64).
 */
export function createFixtureRepo(
  files: Record<string, string> = {},
  tags: string[] = [],
): FixtureRepo {
  const dir = mkdtempSync(join(tmpdir(), 'fixture-repo-'))
  cpSync(join(REPO_ROOT, 'example'), dir, { recursive: true })
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'fixture')
  for (const tag of tags) git(dir, 'tag', tag)
  return { dir, sha: git(dir, 'rev-parse', 'HEAD') }
}

/** Commits changed files on top of the checkout; returns the new commit. */
export function addCommit(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'next')
  return git(dir, 'rev-parse', 'HEAD')
}
