import { readFileSync } from 'node:fs'
import { GENERATED, actionInputs, renderActionInputs } from '../../scripts/action-inputs.js'
import { InputError } from '../../src/model/errors.js'
import { INPUTS } from '../../src/model/input-table.js'
import { INPUT_DEFAULTS, parseInputs, type Inputs } from '../../src/model/inputs.js'

const actionYml = readFileSync('action.yml', 'utf8')
const names = actionInputs(actionYml).map((i) => i.name)

const valid: Record<string, string> = { image: 'ghcr.io/acme/app' }
const parse = (values: Record<string, string>): Inputs =>
  parseInputs((name) => values[name] ?? INPUT_DEFAULTS[name] ?? '')

function problemInputs(values: Record<string, string>): string[] {
  try {
    parse(values)
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => p.input)
    throw error
  }
  return []
}

describe('the input table', () => {
  test('action-inputs.generated.ts holds action.yml inputs (run npm run docs after changing them)', () => {
    expect(readFileSync(GENERATED, 'utf8')).toBe(renderActionInputs(actionYml))
  })

  test('has one entry per input of action.yml, and none other', () => {
    expect(Object.keys(INPUTS).sort()).toEqual([...names].sort())
  })

  test.each<[string, Record<string, string>]>([
    ['a single image', valid],
    [
      'components',
      { components: '- name: api\n  image: r.io/api\n- name: web\n  image: r.io/web' },
    ],
    ['refused inputs', { image: 'A:B', mode: '?', components: '', sign: 'key', tags: '{{x}}' }],
  ])('reads every input exactly once: %s', (_name, values) => {
    const reads: string[] = []
    try {
      parseInputs((name) => {
        reads.push(name)
        return values[name] ?? INPUT_DEFAULTS[name] ?? ''
      })
    } catch {
      // only the reads matter here
    }
    expect([...reads].sort()).toEqual([...names].sort())
  })

  test.each(Object.keys(INPUT_DEFAULTS).filter((name) => name !== 'tag-prefix'))(
    'a blank %s is its action.yml default',
    (name) => {
      expect(parse({ ...valid, [name]: ' ' })).toEqual(parse(valid))
    },
  )

  test('a blank tag-prefix is no prefix, not the default v', () => {
    expect(parse({ ...valid, 'tag-prefix': '' }).tagPrefix).toBe('')
    expect(parse(valid).tagPrefix).toBe('v')
  })

  test("problems are listed in the order of action.yml's inputs, a component's under components", () => {
    const problems = problemInputs({
      'github-token': 'x',
      sign: 'gpg',
      'smoke-timeout': '0',
      components: '- name: api\n  image: r.io/api\n  smoke-run: a | b',
      mode: 'deploy',
      cache: 's3',
    })
    expect(problems).toEqual([
      'mode',
      'components[api].smoke-run',
      'components[api].smoke-timeout',
      'cache',
      'sign',
    ])
    const rank = (input: string): number => names.indexOf(input.replace(/[[.].*$/, ''))
    expect(problems.map(rank)).toEqual(problems.map(rank).sort((a, b) => a - b))
  })
})
