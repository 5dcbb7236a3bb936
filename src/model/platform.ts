/** A target platform as OCI image indexes describe it. */
export interface Platform {
  readonly os: string
  readonly architecture: string
  readonly variant?: string
}

const ARCHITECTURES: Record<
  string,
  { aliases: string[]; variants: string[]; defaultVariant?: string }
> = {
  amd64: {
    aliases: ['x86_64', 'x86-64'],
    variants: ['v1', 'v2', 'v3', 'v4'],
    defaultVariant: 'v1',
  },
  arm64: { aliases: ['aarch64'], variants: ['v8', 'v9'], defaultVariant: 'v8' },
  arm: { aliases: [], variants: ['v5', 'v6', 'v7'], defaultVariant: 'v7' },
  '386': { aliases: ['i386'], variants: [] },
  ppc64le: { aliases: [], variants: [] },
  s390x: { aliases: [], variants: [] },
  riscv64: { aliases: [], variants: [] },
  mips64le: { aliases: [], variants: [] },
  loong64: { aliases: [], variants: [] },
}
const OPERATING_SYSTEMS = ['linux']

export const ACCEPTED_PLATFORMS =
  'use os/architecture[/variant] with os linux and an architecture among ' +
  `${Object.keys(ARCHITECTURES).join(', ')} (for example linux/amd64, linux/arm64, linux/arm/v7)`

function canonicalArchitecture(arch: string): string | undefined {
  if (arch in ARCHITECTURES) return arch
  return Object.keys(ARCHITECTURES).find((name) => ARCHITECTURES[name]?.aliases.includes(arch))
}

/** Parses one platform string; returns an explanation instead when it is not a known platform. */
export function parsePlatform(text: string): Platform | string {
  const parts = text.trim().toLowerCase().split('/')
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    return `'${text}' is not of the form os/architecture[/variant]`
  }
  const [os = '', rawArch = '', rawVariant] = parts
  if (!OPERATING_SYSTEMS.includes(os)) return `operating system '${os}' is not supported`
  const architecture = canonicalArchitecture(rawArch)
  if (architecture === undefined) return `architecture '${rawArch}' is unknown`
  const known = ARCHITECTURES[architecture]
  if (rawVariant === undefined) return { os, architecture }
  const variant = rawVariant.startsWith('v') ? rawVariant : `v${rawVariant}`
  if (!known?.variants.includes(variant)) {
    return `variant '${rawVariant}' is unknown for ${architecture}`
  }
  return normalizePlatform({ os, architecture, variant })
}

/** Drops a variant that is the architecture's default, so linux/arm64/v8 equals linux/arm64. */
export function normalizePlatform(platform: Platform): Platform {
  const architecture = canonicalArchitecture(platform.architecture) ?? platform.architecture
  const variant =
    platform.variant === undefined || platform.variant === '' ? undefined : platform.variant
  const defaultVariant = ARCHITECTURES[architecture]?.defaultVariant
  if (variant === undefined || variant === defaultVariant) {
    return { os: platform.os, architecture }
  }
  return { os: platform.os, architecture, variant }
}

export function formatPlatform(platform: Platform): string {
  const p = normalizePlatform(platform)
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`
}

export function samePlatform(a: Platform, b: Platform): boolean {
  return formatPlatform(a) === formatPlatform(b)
}

/** The GOARCH-style name Docker passes as TARGETARCH, and uname -m's answer inside a container. */
export function unameMachine(platform: Platform): string {
  const names: Record<string, string> = {
    amd64: 'x86_64',
    arm64: 'aarch64',
    '386': 'i686',
    ppc64le: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    mips64le: 'mips64',
    loong64: 'loongarch64',
  }
  if (platform.architecture === 'arm')
    return `armv${(normalizePlatform(platform).variant ?? 'v7').slice(1)}l`
  return names[platform.architecture] ?? platform.architecture
}
