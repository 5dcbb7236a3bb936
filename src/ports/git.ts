import { runCommand } from './process.js'

/** The checked-out repository, as far as versioning needs it. */
export interface GitRepository {
  /** HEAD's commit, or undefined when the workspace is not a git checkout. */
  head(): Promise<string | undefined>
  /** The committer time of a commit, in seconds since the epoch. */
  commitTime(sha: string): Promise<number | undefined>
}

export class GitCli implements GitRepository {
  constructor(private readonly cwd: string) {}

  private async git(args: string[]): Promise<string | undefined> {
    const result = await runCommand('git', ['-c', `safe.directory=${this.cwd}`, ...args], {
      cwd: this.cwd,
    })
    return result.exitCode === 0 ? result.stdout.trim() : undefined
  }

  async head(): Promise<string | undefined> {
    return this.git(['rev-parse', 'HEAD'])
  }

  async commitTime(sha: string): Promise<number | undefined> {
    const out = await this.git(['show', '-s', '--format=%ct', sha])
    return out === undefined || out === '' ? undefined : Number(out)
  }
}
