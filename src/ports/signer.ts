import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StepFailure } from '../model/errors.js'
import type { Signing } from '../model/inputs.js'
import { cosignSignArgs, cosignVerifyArgs, type CosignTarget } from '../sign/cosign-args.js'
import { runCommand, tail } from './process.js'

/** Signs digests and verifies them, as deploy-time policy will. */
export interface Signer {
  available(): Promise<boolean>
  sign(target: CosignTarget): Promise<void>
  verify(target: CosignTarget): Promise<void>
}

/** cosign, with the key written to a private file for the run's lifetime. */
export class CosignSigner implements Signer {
  private keyFiles: Promise<{ key: string; pub: string }> | undefined

  constructor(
    private readonly signing: Exclude<Signing, { kind: 'none' }>,
    private readonly workDir: string,
    private readonly repository: { serverUrl: string; owner: string; repo: string },
  ) {}

  private env(): Record<string, string> {
    return { COSIGN_PASSWORD: this.signing.kind === 'key' ? this.signing.password : '' }
  }

  private async files(): Promise<{ key: string; pub: string }> {
    this.keyFiles ??= (async () => {
      const key = join(this.workDir, 'cosign.key')
      const pub = join(this.workDir, 'cosign.pub')
      if (this.signing.kind !== 'key') return { key, pub }
      await writeFile(key, this.signing.key, { mode: 0o600 })
      await chmod(key, 0o600)
      const derived = await runCommand('cosign', ['public-key', '--key', key, '--outfile', pub], {
        env: this.env(),
      })
      if (derived.exitCode !== 0) {
        throw new StepFailure(
          `cosign cannot read cosign-key: ${tail(derived.stderr, 2)}`,
          'check cosign-key and cosign-password',
        )
      }
      return { key, pub }
    })()
    return this.keyFiles
  }

  async available(): Promise<boolean> {
    return (await runCommand('cosign', ['version'])).exitCode === 0
  }

  async sign(target: CosignTarget): Promise<void> {
    const { key } = await this.files()
    const result = await runCommand('cosign', cosignSignArgs(this.signing, target, key), {
      env: this.env(),
    })
    if (result.exitCode !== 0)
      throw new StepFailure(`signing ${target.ref} failed: ${tail(result.stderr, 4)}`)
  }

  async verify(target: CosignTarget): Promise<void> {
    const { pub } = await this.files()
    const result = await runCommand(
      'cosign',
      cosignVerifyArgs(this.signing, target, pub, this.repository),
      {
        env: this.env(),
      },
    )
    if (result.exitCode !== 0) {
      throw new StepFailure(
        `the signature of ${target.ref} does not verify: ${tail(result.stderr, 4)}`,
      )
    }
  }
}
