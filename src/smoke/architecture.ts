import { formatPlatform, normalizePlatform, type Platform } from '../model/platform.js'
import type { CheckOutcome } from '../model/smoke.js'
import type { ContainerEngine } from '../ports/engine.js'
import type { ImageConfig } from '../model/oci.js'
import { inspectBinary } from './elf.js'

/** The image whose program is checked, and a quick way to read its files, if there is one. */
export interface ImageUnderTest {
  readonly ref: string
  readonly platform: Platform
  readonly config: ImageConfig
  /** Reads a file's first bytes without a container (from the registry's layers), if it can. */
  readonly readHead?: (path: string) => Promise<Buffer | undefined>
}

/** Where the image's first program is: the entrypoint, else the command, found on PATH. */
function programCandidates(config: ImageConfig): string[] {
  const program = config.entrypoint[0] ?? config.cmd[0]
  if (program === undefined) return []
  if (program.startsWith('/')) return [program]
  const path =
    config.env.find((e) => e.startsWith('PATH='))?.slice(5) ??
    '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  return path
    .split(':')
    .filter((dir) => dir !== '')
    .map((dir) => `${dir.replace(/\/$/, '')}/${program}`)
}

/** The first of the candidate paths that exists in the image, with its first bytes. */
async function findProgram(
  engine: ContainerEngine,
  image: ImageUnderTest,
  candidates: readonly string[],
): Promise<{ path: string; head: Buffer } | undefined> {
  const platform = formatPlatform(image.platform)
  for (const path of candidates) {
    const bytes =
      (await image.readHead?.(path)) ?? (await engine.readImageFile(image.ref, platform, path))
    if (bytes !== undefined) return { path, head: bytes.subarray(0, 512) }
  }
  return undefined
}

/** Checks that the image's program is built for the platform: QEMU would hide a wrong one. */
export async function checkArchitecture(
  engine: ContainerEngine,
  image: ImageUnderTest,
): Promise<CheckOutcome> {
  const name = 'architecture'
  const expected = normalizePlatform(image.platform).architecture
  const candidates = programCandidates(image.config)
  if (candidates.length === 0) {
    return { name, ok: true, detail: 'not checked: the image has no entrypoint or command' }
  }
  let program = await findProgram(engine, image, candidates)
  if (program === undefined) {
    return {
      name,
      ok: false,
      detail: `the image's program (${candidates.join(' or ')}) is not in the image`,
    }
  }
  let kind = inspectBinary(program.head)
  // A script entrypoint is checked through its interpreter.
  if (kind.kind === 'script' && kind.interpreter.startsWith('/')) {
    const interpreter = await findProgram(engine, image, [kind.interpreter])
    if (interpreter === undefined) {
      return {
        name,
        ok: false,
        detail: `${program.path} needs ${kind.interpreter}, which is not in the image`,
      }
    }
    program = interpreter
    kind = inspectBinary(interpreter.head)
  }
  if (kind.kind !== 'elf')
    return { name, ok: true, detail: `not checked: ${program.path} is not an ELF binary` }
  return kind.architecture === expected
    ? { name, ok: true, detail: `${program.path} is an ${kind.architecture} binary` }
    : {
        name,
        ok: false,
        detail: `${program.path} is built for ${kind.architecture}, not ${expected}`,
      }
}
