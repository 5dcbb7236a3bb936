import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { renderTables, withTables } from '../../scripts/readme-tables.js'

const actionYml = readFileSync('action.yml', 'utf8')

test('the README tables match action.yml (run npm run docs after changing inputs or outputs)', () => {
  const readme = readFileSync('README.md', 'utf8')
  expect(withTables(readme, actionYml)).toBe(readme)
})

test('the tables list every input and output of action.yml, with their defaults', () => {
  const action = parse(actionYml) as {
    inputs: Record<string, unknown>
    outputs: Record<string, unknown>
  }
  const tables = renderTables(actionYml)
  for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) {
    expect(tables).toContain(`| \`${name}\` |`)
  }
  expect(tables).toContain('| `platforms` | no | `linux/amd64,linux/arm64` |')
  expect(tables).toContain('| `image` | no |')
})

test('action.yml runs on node24 from the bundle', () => {
  expect(parse(actionYml)).toMatchObject({ runs: { using: 'node24', main: 'dist/index.js' } })
})
