import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { REPO_ROOT } from '../support/stack.js'

const SRC = join(REPO_ROOT, 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  )
}

/** Each file of src/ (relative, e.g. ports/registry.ts) with the src/ files it imports, types too. */
const graph = new Map(
  sourceFiles(SRC).map((file) => {
    const specifiers = [
      ...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from '([^']+)'/gms),
    ]
      .map((m) => m[1] ?? '')
      .filter((s) => s.startsWith('.'))
    return [
      relative(SRC, file),
      specifiers.map((s) => relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts')),
    ] as const
  }),
)

/** The argv builders: pure functions any port may use. */
const ARGV_BUILDERS = ['build/buildx-args.ts', 'smoke/docker-run-args.ts', 'sign/cosign-args.ts']

test('every import in src/ names a file that exists', () => {
  const missing = [...graph].flatMap(([file, imports]) =>
    imports.filter((i) => !graph.has(i)).map((i) => `${file} -> ${i}`),
  )
  expect(missing).toEqual([])
})

test('ports import only model/, the argv builders and other ports', () => {
  const outside = [...graph]
    .filter(([file]) => file.startsWith('ports/'))
    .flatMap(([file, imports]) =>
      imports
        .filter(
          (i) => !i.startsWith('model/') && !i.startsWith('ports/') && !ARGV_BUILDERS.includes(i),
        )
        .map((i) => `${file} -> ${i}`),
    )
  expect(outside).toEqual([])
})

test('model/ imports only model/', () => {
  const outside = [...graph]
    .filter(([file]) => file.startsWith('model/'))
    .flatMap(([file, imports]) =>
      imports.filter((i) => !i.startsWith('model/')).map((i) => `${file} -> ${i}`),
    )
  expect(outside).toEqual([])
})

test('no import cycle in src/', () => {
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '))
      return
    }
    state.set(file, 'open')
    for (const next of graph.get(file) ?? []) visit(next, [...path, file])
    state.set(file, 'done')
  }
  for (const file of graph.keys()) visit(file, [])
  expect(cycles).toEqual([])
})

/** The layers from the bottom (README, "How the code is laid out"): a file imports only its own or lower ones. */
const LAYERS: readonly (readonly string[])[] = [
  ['model/'],
  ['build/', 'sign/', 'smoke/docker-run-args.ts'],
  ['ports/'],
  ['smoke/', 'release/'],
  ['run/'],
  ['steps/'],
  ['pipeline.ts'],
  ['report/', 'plan/'],
  ['main.ts', 'compose.ts', 'cli/', 'post/', 'index.ts'],
]
const layerOf = (file: string): number =>
  LAYERS.findIndex((prefixes) =>
    prefixes.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p)),
  )

test('every file of src/ belongs to a layer, and imports only its own layer or lower ones', () => {
  expect([...graph.keys()].filter((file) => layerOf(file) < 0)).toEqual([])
  const upward = [...graph].flatMap(([file, imports]) =>
    imports.filter((i) => layerOf(i) > layerOf(file)).map((i) => `${file} -> ${i}`),
  )
  expect(upward).toEqual([])
})
