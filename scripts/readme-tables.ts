// The README's input and output tables, generated from action.yml so they never drift:
// `npm run docs` rewrites them, and a unit test fails when they differ.
import { readFileSync, writeFileSync } from 'node:fs'
import { parse } from 'yaml'

interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: unknown }>
  outputs: Record<string, { description: string }>
}

const cell = (text: string): string => text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')

export function renderTables(actionYml: string): string {
  const action = parse(actionYml) as ActionYml
  const lines = ['| Input | Required | Default | Description |', '| --- | --- | --- | --- |']
  for (const [name, spec] of Object.entries(action.inputs)) {
    const value = typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default)
    const fallback = spec.default === undefined ? '' : `\`${cell(value)}\``
    lines.push(
      `| \`${name}\` | ${spec.required ? 'yes' : 'no'} | ${fallback} | ${cell(spec.description)} |`,
    )
  }
  lines.push('', '| Output | Description |', '| --- | --- |')
  for (const [name, spec] of Object.entries(action.outputs)) {
    lines.push(`| \`${name}\` | ${cell(spec.description)} |`)
  }
  return lines.join('\n')
}

export const BEGIN =
  '<!-- prettier-ignore-start -->\n<!-- generated from action.yml by `npm run docs`: begin -->'
export const END =
  '<!-- generated from action.yml by `npm run docs`: end -->\n<!-- prettier-ignore-end -->'

/** The README with its generated block replaced by tables of the given action.yml. */
export function withTables(readme: string, actionYml: string): string {
  const start = readme.indexOf(BEGIN)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} block`)
  return `${readme.slice(0, start + BEGIN.length)}\n\n${renderTables(actionYml)}\n\n${readme.slice(end)}`
}

if (process.argv[1]?.endsWith('readme-tables.ts')) {
  const readme = readFileSync('README.md', 'utf8')
  writeFileSync('README.md', withTables(readme, readFileSync('action.yml', 'utf8')))
}
