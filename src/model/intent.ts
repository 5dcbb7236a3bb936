import { parseChannel, type Bump, type Channel } from './version.js'

/** Label prefixes that carry release intent on a merged pull request. */
export interface LabelScheme {
  readonly typePrefix: string
  readonly channelPrefix: string
}

export const DEFAULT_LABELS: LabelScheme = { typePrefix: 'type:', channelPrefix: 'channel:' }

const TYPES = ['patch', 'minor', 'major', 'docs', 'skip'] as const
type TypeLabel = (typeof TYPES)[number]

/** What the labels of the released pull request ask for. */
export type Intent =
  | { kind: 'release'; bump: Bump | undefined; channel: Channel | undefined }
  | { kind: 'skip'; reason: string }
  | { kind: 'invalid'; reason: string }

/** Reads type:* and channel:* labels; conflicting or unknown ones are an error that lists them. */
export function intentFromLabels(
  labels: readonly string[],
  scheme: LabelScheme,
  pullRequest: number,
): Intent {
  const typeLabels = labels.filter((l) => l.startsWith(scheme.typePrefix))
  const channelLabels = labels.filter((l) => l.startsWith(scheme.channelPrefix))
  const allowed = `allowed: ${TYPES.map((t) => scheme.typePrefix + t).join(', ')}, and one ${scheme.channelPrefix}stable or ${scheme.channelPrefix}<name> such as ${scheme.channelPrefix}rc`
  const found = `pull request #${pullRequest} has ${[...typeLabels, ...channelLabels].join(', ')}`
  const types = [...new Set(typeLabels.map((l) => l.slice(scheme.typePrefix.length)))]
  const unknownType = types.filter((t) => !(TYPES as readonly string[]).includes(t))
  const channels = channelLabels.map((l) => parseChannel(l.slice(scheme.channelPrefix.length)))
  const badChannel = channels.some((c) => typeof c === 'string' || c.kind === 'auto')
  if (unknownType.length > 0 || badChannel)
    return { kind: 'invalid', reason: `unknown release labels: ${found}; ${allowed}` }
  if (types.length > 1 || new Set(channelLabels).size > 1) {
    return { kind: 'invalid', reason: `conflicting release labels: ${found}; ${allowed}` }
  }
  const type = types[0] as TypeLabel | undefined
  if (type === 'docs' || type === 'skip') {
    return {
      kind: 'skip',
      reason: `pull request #${pullRequest} is labelled ${scheme.typePrefix}${type}`,
    }
  }
  const channel = channels[0] as Channel | undefined
  return { kind: 'release', bump: type, channel }
}
