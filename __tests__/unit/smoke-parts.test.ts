import { firstFileInTar } from '../../src/ports/layer-files.js'
import { inspectBinary } from '../../src/smoke/elf.js'
import {
  containerName,
  probeContainerArgs,
  smokeCommandArgs,
} from '../../src/smoke/docker-run-args.js'
import { parsePlatform, type Platform } from '../../src/model/platform.js'

/** The first 20 bytes of an ELF header for a machine, little- or big-endian. */
function elfHeader(machine: number, littleEndian = true): Buffer {
  const header = Buffer.alloc(64)
  header.writeUInt32BE(0x7f454c46, 0)
  header[4] = 2
  header[5] = littleEndian ? 1 : 2
  if (littleEndian) header.writeUInt16LE(machine, 18)
  else header.writeUInt16BE(machine, 18)
  return header
}

describe('inspectBinary', () => {
  test.each<[string, Buffer, ReturnType<typeof inspectBinary>]>([
    ['x86-64', elfHeader(62), { kind: 'elf', architecture: 'amd64' }],
    ['aarch64', elfHeader(183), { kind: 'elf', architecture: 'arm64' }],
    ['arm', elfHeader(40), { kind: 'elf', architecture: 'arm' }],
    ['riscv', elfHeader(243), { kind: 'elf', architecture: 'riscv64' }],
    ['s390x is big-endian', elfHeader(22, false), { kind: 'elf', architecture: 's390x' }],
    ['an unknown machine', elfHeader(9999), { kind: 'elf', architecture: 'e_machine 9999' }],
    [
      'a shell script',
      Buffer.from('#!/bin/sh -e\necho hi\n'),
      { kind: 'script', interpreter: '/bin/sh' },
    ],
    [
      'an env script',
      Buffer.from('#!/usr/bin/env python3\n'),
      { kind: 'script', interpreter: '/usr/bin/env' },
    ],
    ['text', Buffer.from('hello world, not a program'), { kind: 'unknown' }],
    ['too short for ELF', Buffer.from([0x7f, 0x45, 0x4c, 0x46]), { kind: 'unknown' }],
  ])('%s', (_name, bytes, expected) => {
    expect(inspectBinary(bytes)).toEqual(expected)
  })
})

/** A tar entry: a 512-byte header and the content padded to 512 bytes. */
function tarEntry(name: string, content: Buffer, type = '0'): Buffer {
  const header = Buffer.alloc(512)
  header.write(name, 0, 'latin1')
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1')
  header.write(type, 156, 'latin1')
  const padded = Buffer.alloc(Math.ceil(content.length / 512) * 512)
  content.copy(padded)
  return Buffer.concat([header, padded])
}

describe('firstFileInTar', () => {
  const binary = elfHeader(183)
  test.each<[string, Buffer, Buffer | undefined]>([
    ['a plain file', Buffer.concat([tarEntry('busybox', binary), Buffer.alloc(1024)]), binary],
    [
      'after a PAX header',
      Buffer.concat([
        tarEntry('PaxHeader', Buffer.from('30 path=very/long/name\n'), 'x'),
        tarEntry('busybox', binary),
      ]),
      binary,
    ],
    [
      'after a folder',
      Buffer.concat([
        tarEntry('bin/', Buffer.alloc(0), '5'),
        tarEntry('bin/app', Buffer.from('#!/bin/sh\n')),
      ]),
      Buffer.from('#!/bin/sh\n'),
    ],
    ['an empty archive', Buffer.alloc(1024), undefined],
    ['nothing at all', Buffer.alloc(0), undefined],
  ])('%s', (_name, tar, expected) => {
    expect(firstFileInTar(tar)).toEqual(expected)
  })
})

describe('docker run argv for smoke tests', () => {
  const platform = parsePlatform('linux/arm64') as Platform
  const spec = {
    ref: 'r/app@sha256:abc',
    platform,
    name: 'mar-1-linux-arm64-run0-x',
    env: [{ key: 'A', value: 'b c' }],
  }
  test.each<[string, string[], string[]]>([
    [
      'a command: words after the image, never a shell',
      smokeCommandArgs(spec, ['sh', '-c', 'echo $HOME; exit 3']),
      [
        'run',
        '--pull',
        'never',
        '--platform',
        'linux/arm64',
        '--name',
        'mar-1-linux-arm64-run0-x',
        '--env',
        'A=b c',
        'r/app@sha256:abc',
        'sh',
        '-c',
        'echo $HOME; exit 3',
      ],
    ],
    [
      'the probe: detached, published on loopback only',
      probeContainerArgs(spec, 8080),
      [
        'run',
        '--detach',
        '--pull',
        'never',
        '--platform',
        'linux/arm64',
        '--name',
        'mar-1-linux-arm64-run0-x',
        '--publish',
        '127.0.0.1::8080',
        '--env',
        'A=b c',
        'r/app@sha256:abc',
      ],
    ],
  ])('%s', (_name, args, expected) => {
    expect(args).toEqual(expected)
  })

  test('container names are unique and valid for docker', () => {
    const names = new Set(
      Array.from({ length: 50 }, () =>
        containerName('7-1', parsePlatform('linux/arm/v6') as Platform, 'http'),
      ),
    )
    expect(names.size).toBe(50)
    for (const name of names) expect(name).toMatch(/^mar-7-1-linux-arm-v6-http-[a-z0-9]+$/)
  })
})
