import type { BuildSpec } from '../../src/build/buildx-args.js'
import { parsePlatform, type Platform } from '../../src/model/platform.js'

export const platforms = (...names: string[]): Platform[] =>
  names.map((n) => parsePlatform(n) as Platform)

/** A two-platform build from ./Dockerfile that pushes nothing; tests change what they test. */
export const BASE_PLAN: BuildSpec = {
  platforms: platforms('linux/amd64', 'linux/arm64'),
  context: '.',
  file: './Dockerfile',
  target: undefined,
  buildArgs: [],
  labels: {},
  annotations: {},
  output: { kind: 'cache-only' },
  metadataFile: '/tmp/m.json',
}
