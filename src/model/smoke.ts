import { parse as shellParse } from 'shell-quote'

/** One command given to the image: its argument list, never run through a shell. */
export type SmokeCommand = readonly string[]

/** An HTTP health probe: the container port to publish and the path to poll. */
export interface HttpProbe {
  readonly port: number
  readonly path: string
  readonly expect: HttpExpectation
}

export type HttpExpectation =
  | { kind: 'any-2xx' }
  | { kind: 'body'; text: string }
  | { kind: 'regex'; pattern: RegExp; source: string }

export const ACCEPTED_SMOKE_RUN =
  'give one command per line as the words passed to the image, for example --help or app version; shell operators (| ; & > <) are not run by a shell, wrap them as sh -c "…" if the image has a shell'

/** Splits one smoke-run line into words as a shell would, refusing shell operators. */
export function parseSmokeCommand(line: string): SmokeCommand | string {
  // Keep $VAR literal: the runner's environment must never leak into the words.
  const tokens = shellParse(line, (key) => (key === '' ? '$' : '${' + key + '}'))
  const words: string[] = []
  for (const token of tokens) {
    if (typeof token === 'string') {
      words.push(token)
    } else if ('op' in token && token.op === 'glob') {
      words.push(token.pattern)
    } else if ('comment' in token) {
      break
    } else {
      return `'${line}' holds the shell operator '${'op' in token ? token.op : '?'}'`
    }
  }
  if (words.length === 0) return `'${line}' has no words`
  return words
}

export const ACCEPTED_SMOKE_HTTP =
  'use PORT/PATH, for example 8080/health, with a port from 1 to 65535'

export function parseHttpProbeTarget(text: string): { port: number; path: string } | string {
  const match = /^(\d{1,5})(\/[^\s]*)?$/.exec(text.trim())
  if (!match) return `'${text}' is not PORT/PATH`
  const port = Number(match[1])
  if (port < 1 || port > 65535) return `port ${port} is out of range`
  return { port, path: match[2] ?? '/' }
}

export const ACCEPTED_HTTP_EXPECT =
  'leave it empty for any 2xx answer, give the exact body (compared after trimming), or /regex/'

export function parseHttpExpectation(text: string): HttpExpectation | string {
  const t = text.trim()
  if (t === '') return { kind: 'any-2xx' }
  if (t.length >= 2 && t.startsWith('/') && t.endsWith('/')) {
    const source = t.slice(1, -1)
    try {
      return { kind: 'regex', pattern: new RegExp(source), source }
    } catch (error) {
      return `/${source}/ is not a valid regular expression (${error instanceof Error ? error.message : String(error)})`
    }
  }
  return { kind: 'body', text: t }
}

export function describeExpectation(expect: HttpExpectation): string {
  switch (expect.kind) {
    case 'any-2xx':
      return 'any 2xx answer'
    case 'body':
      return `a 2xx answer with body ${JSON.stringify(expect.text)}`
    case 'regex':
      return `a 2xx answer whose body matches /${expect.source}/`
  }
}

export function expectationHolds(expect: HttpExpectation, status: number, body: string): boolean {
  if (status < 200 || status > 299) return false
  switch (expect.kind) {
    case 'any-2xx':
      return true
    case 'body':
      return body.trim() === expect.text
    case 'regex':
      return expect.pattern.test(body)
  }
}

/** One smoke check as it ran: what it checked, whether it held, and why. */
export interface SmokeCheck {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
  readonly ms: number
}

/** A check's verdict before it is timed. */
export type CheckOutcome = Omit<SmokeCheck, 'ms'>
