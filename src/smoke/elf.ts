/** ELF e_machine values and the Docker architecture each one runs as. */
const MACHINES: Record<number, string> = {
  3: '386',
  8: 'mips64le',
  20: 'ppc',
  21: 'ppc64le',
  22: 's390x',
  40: 'arm',
  62: 'amd64',
  183: 'arm64',
  243: 'riscv64',
  258: 'loong64',
}

export type BinaryKind =
  | { kind: 'elf'; architecture: string }
  | { kind: 'script'; interpreter: string }
  | { kind: 'unknown' }

/** What the first bytes of an executable say about where it runs. */
export function inspectBinary(head: Buffer): BinaryKind {
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const littleEndian = head[5] === 1
    const machine = littleEndian ? head.readUInt16LE(18) : head.readUInt16BE(18)
    return { kind: 'elf', architecture: MACHINES[machine] ?? `e_machine ${machine}` }
  }
  if (head.subarray(0, 2).toString('latin1') === '#!') {
    const line = head.toString('latin1').slice(2).split('\n')[0] ?? ''
    return { kind: 'script', interpreter: line.trim().split(/\s+/)[0] ?? '' }
  }
  return { kind: 'unknown' }
}
