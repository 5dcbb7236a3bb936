import { code, link, table, escaped } from '../../src/report/markdown.js'
import { mermaidName, renderGantt } from '../../src/report/timeline.js'
import {
  codeBlocks,
  ganttTasks,
  links,
  paragraphs,
  parseSummary,
  plain,
  tables,
} from '../support/summary-markdown.js'

/** Text a user controls: each would change the Markdown around it if it were not escaped. */
const HOSTILE = [
  'a|b',
  'type:docs #7',
  '*bold* _em_ ~~gone~~',
  '`code` and ``more``',
  '`starts and ends with a backtick`',
  '[link](x.test) ![img](y.png) [ref]: z',
  '<script>alert(1)</script> &amp; &#35;',
  '$x^2$ and \\ a backslash \\| before a pipe',
  'line one\n# line two\n| not | a | row |\n- not a list',
]

describe('escaping: what the user wrote is what GitHub shows', () => {
  test.each(HOSTILE.map((value) => [value]))('%j', (value) => {
    const markdown = [
      `Paragraph: ${escaped(value)}`,
      '',
      ...table(
        ['Text', 'Code'],
        [
          [escaped(value), code(value)],
          ['x', 'y'],
        ],
      ),
      '',
      `Link: ${link(value, 'https://example.test/a b(c)\\_d')}`,
      '',
      `Code: ${code(value, 'paragraph')}`,
    ].join('\n')
    const root = parseSummary(markdown)
    const [paragraph, linkParagraph, codeParagraph] = paragraphs(root)
    expect(plain(paragraph ?? root)).toBe(`Paragraph: ${value}`)
    const [parsed, ...others] = tables(root)
    expect(others).toEqual([])
    expect(parsed?.header).toEqual(['Text', 'Code'])
    expect(parsed?.rows).toEqual([
      [value, value.replace(/\n/g, ' ')],
      ['x', 'y'],
    ])
    // In code, unless a backslash stands before a pipe: GFM would end the cell there.
    if (!value.includes('\\|')) {
      expect(parsed?.cells[0]?.[1]).toMatchObject({
        children: [{ type: 'inlineCode', value: value.replace(/\n/g, ' ') }],
      })
    }
    const [parsedLink, ...moreLinks] = links(root)
    expect(moreLinks).toEqual([])
    expect(plain(parsedLink ?? root)).toBe(value)
    expect(decodeURI(parsedLink?.url ?? '')).toBe('https://example.test/a b(c)\\_d')
    expect(plain(linkParagraph ?? root)).toBe(`Link: ${value}`)
    expect(plain(codeParagraph ?? root)).toBe(`Code: ${value.replace(/\n/g, ' ')}`)
  })
})

describe('the Mermaid timeline', () => {
  test.each([
    ['build', 'build'],
    ['smoke: #1; 100%', 'smoke 1 100'],
    ['section', 'step section'],
    ['title of it', 'step title of it'],
    ['::', 'step'],
    ['component web (linux/arm64)', 'component web (linux/arm64)'],
  ])('the task name of %j is %j', (name, expected) => {
    expect(mermaidName(name)).toBe(expected)
  })

  test('one task per step that ran, from its start to its end; none when nothing ran', () => {
    const steps = [
      { name: 'preflight', startedAt: 1000, endedAt: 1300, outcome: 'done' as const },
      { name: 'build', startedAt: 1300, endedAt: 1300, outcome: 'skipped' as const },
      { name: 'smoke: x', startedAt: 1300, endedAt: 2100, outcome: 'failed' as const },
    ]
    const lines = renderGantt(steps)
    const [chart] = codeBlocks(parseSummary(lines.join('\n')), 'mermaid')
    expect(chart?.value.split('\n')[0]).toBe('gantt')
    expect(ganttTasks(chart?.value ?? '')).toEqual([
      { name: 'preflight', tags: ['done'], id: 'step0', start: 1000, end: 1300 },
      { name: 'smoke x', tags: ['crit'], id: 'step2', start: 1300, end: 2100 },
    ])
    expect(renderGantt(steps.filter((s) => s.outcome === 'skipped'))).toEqual([])
  })
})
