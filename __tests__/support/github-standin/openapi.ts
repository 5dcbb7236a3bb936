// GitHub's published OpenAPI description, loaded once per process: routes by operation id and
// lazily compiled validators, so the stand-in answers exactly the shapes GitHub documents.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

type JsonObject = Record<string, unknown>

interface Reference {
  $ref: string
}

interface Parameter {
  name: string
  in: string
  schema?: { type?: string }
}

interface MediaTypes {
  content?: Record<string, { schema?: unknown } | undefined>
}

interface OperationObject {
  operationId: string
  externalDocs?: { url?: string }
  parameters?: (Parameter | Reference)[]
  requestBody?: MediaTypes | Reference
  responses: Record<string, MediaTypes | Reference | undefined>
  servers?: { url: string }[]
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject | undefined>>
  components: {
    schemas: Record<string, unknown>
    parameters: Record<string, Parameter | undefined>
    responses: Record<string, MediaTypes | undefined>
  }
}

/** One documented operation and how to recognise its path. */
export interface Operation {
  readonly id: string
  readonly method: string
  readonly template: string
  /** Served on the uploads host (GHES: `/api/uploads`) rather than the API host. */
  readonly uploads: boolean
  readonly documentationUrl: string
  readonly paramNames: readonly string[]
  readonly literalSegments: number
  readonly strict: RegExp
  readonly greedy: RegExp
}

export interface OperationMatch {
  readonly operation: Operation
  readonly params: Readonly<Record<string, string>>
}

/** The description octokit's own types are generated from. */
export const OPENAPI_FILE = 'api.github.com.json'
const SCHEMA_ID = 'https://openapi.stand-in/components/schemas/'

let documentCache: OpenApiDocument | undefined
let operationsCache: Operation[] | undefined
const validatorCache = new Map<string, ValidateFunction | null>()
const addedComponents = new Set<string>()

function loadDocument(): OpenApiDocument {
  if (documentCache) return documentCache
  const require = createRequire(import.meta.url)
  const folder = dirname(require.resolve('@octokit/openapi/package.json'))
  const text = readFileSync(join(folder, 'generated', OPENAPI_FILE), 'utf8')
  documentCache = JSON.parse(text) as OpenApiDocument
  return documentCache
}

function isReference(value: unknown): value is Reference {
  return typeof value === 'object' && value !== null && '$ref' in value
}

function resolveLocal<T>(value: T | Reference | undefined): T | undefined {
  if (!isReference(value)) return value
  // Only `#/components/<section>/<name>` references occur in GitHub's description.
  const [, , section, name] = value.$ref.split('/')
  const components = loadDocument().components as unknown as Record<string, JsonObject | undefined>
  return components[section ?? '']?.[name ?? ''] as T | undefined
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function compileOperation(template: string, method: string, op: OperationObject): Operation {
  const integerParams = new Set(
    (op.parameters ?? [])
      .map((p) => resolveLocal<Parameter>(p))
      .filter((p): p is Parameter => p?.in === 'path' && p.schema?.type === 'integer')
      .map((p) => p.name),
  )
  const paramNames = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')
  const build = (greedyLast: boolean): RegExp => {
    let index = 0
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const name = /^\{([^}]+)\}$/.exec(part)?.[1]
        if (name === undefined) return escapeRegExp(part)
        index += 1
        if (integerParams.has(name)) return '(\\d+)'
        // Refs and tags may contain unencoded slashes: the last parameter may then span segments,
        // or be empty (`/git/matching-refs/` lists every ref).
        return greedyLast && index === paramNames.length ? '(.*)' : '([^/]+)'
      })
      .join('')
    return new RegExp(`^${source}$`)
  }
  return {
    id: op.operationId,
    method: method.toUpperCase(),
    template,
    uploads: (op.servers ?? []).some((s) => s.url.includes('uploads')),
    documentationUrl: op.externalDocs?.url ?? 'https://docs.github.com/rest',
    paramNames,
    literalSegments: template.split('/').filter((s) => s !== '' && !s.includes('{')).length,
    strict: build(false),
    greedy: build(true),
  }
}

/** Every documented operation; built once per process. */
export function operations(): readonly Operation[] {
  if (operationsCache) return operationsCache
  const list: Operation[] = []
  for (const [template, item] of Object.entries(loadDocument().paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (op?.operationId) list.push(compileOperation(template, method, op))
    }
  }
  operationsCache = list
  return list
}

export function operationById(id: string): Operation | undefined {
  return operations().find((o) => o.id === id)
}

function bestMatch(
  method: string,
  path: string,
  uploads: boolean,
  greedy: boolean,
): OperationMatch | undefined {
  let best: { match: OperationMatch; score: number } | undefined
  for (const operation of operations()) {
    if (operation.method !== method || operation.uploads !== uploads) continue
    const found = (greedy ? operation.greedy : operation.strict).exec(path)
    if (!found) continue
    const params: Record<string, string> = {}
    operation.paramNames.forEach((name, i) => {
      params[name] = decodeURIComponent(found[i + 1] ?? '')
    })
    // A literal segment beats a parameter: `/releases/latest` is not `/releases/{release_id}`.
    if (!best || operation.literalSegments > best.score) {
      best = { match: { operation, params }, score: operation.literalSegments }
    }
  }
  return best?.match
}

/** The documented operation a request path (relative to the API or uploads prefix) names. */
export function matchOperation(
  method: string,
  path: string,
  uploads: boolean,
): OperationMatch | undefined {
  const strict = bestMatch(method, path, uploads, false)
  if (strict) return strict
  // Octokit drops an empty last parameter with its slash: `/git/matching-refs` lists every ref.
  return [bestMatch(method, path, uploads, true), bestMatch(method, `${path}/`, uploads, true)]
    .filter((m): m is OperationMatch => m !== undefined)
    .sort((a, b) => b.operation.literalSegments - a.operation.literalSegments)[0]
}

const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'example', 'examples'])
const MAP_KEYWORDS = new Set(['properties', 'patternProperties'])

/** OpenAPI 3.0 schema → JSON Schema: `nullable` becomes a `null` type, refs become absolute ids. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema)
  if (typeof node !== 'object' || node === null) return node
  const source = node as JsonObject
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(source)) {
    if (key === 'nullable' || key === 'example' || key === 'examples') continue
    if (key === '$ref' && typeof value === 'string') {
      out[key] = SCHEMA_ID + encodeURIComponent(value.replace('#/components/schemas/', ''))
    } else if (DATA_KEYWORDS.has(key)) {
      out[key] = value
    } else if (MAP_KEYWORDS.has(key) && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]))
    } else {
      out[key] = toJsonSchema(value)
    }
  }
  if (source.nullable !== true) return out
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null']
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null]
    return out
  }
  return Object.keys(out).length === 0 ? out : { anyOf: [out, { type: 'null' }] }
}

function referencedComponents(node: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) referencedComponents(item, found)
  } else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        found.add(value.replace('#/components/schemas/', ''))
      } else if (!DATA_KEYWORDS.has(key)) {
        referencedComponents(value, found)
      }
    }
  }
  return found
}

let ajvInstance: InstanceType<typeof AjvModule.default> | undefined

function ajv(): InstanceType<typeof AjvModule.default> {
  if (ajvInstance) return ajvInstance
  ajvInstance = new AjvModule.default({
    strict: false,
    allErrors: true,
    validateSchema: false,
    logger: false,
  })
  addFormatsModule.default(ajvInstance)
  return ajvInstance
}

/** Adds a component schema and, transitively, every schema it references. */
function addComponentClosure(schema: unknown): void {
  const pending = [...referencedComponents(schema, new Set())]
  const schemas = loadDocument().components.schemas
  while (pending.length > 0) {
    const name = pending.pop() ?? ''
    if (addedComponents.has(name)) continue
    addedComponents.add(name)
    const component = schemas[name]
    ajv().addSchema(
      { ...(toJsonSchema(component) as JsonObject), $id: SCHEMA_ID + encodeURIComponent(name) },
      SCHEMA_ID + encodeURIComponent(name),
    )
    pending.push(...referencedComponents(component, new Set()))
  }
}

function jsonSchemaOf(media: MediaTypes | Reference | undefined): unknown {
  return resolveLocal<MediaTypes>(media)?.content?.['application/json']?.schema
}

function validator(key: string, schema: () => unknown): ValidateFunction | null {
  const cached = validatorCache.get(key)
  if (cached !== undefined) return cached
  const raw = schema()
  let compiled: ValidateFunction | null = null
  if (raw !== undefined) {
    addComponentClosure(raw)
    compiled = ajv().compile(toJsonSchema(raw) as JsonObject)
  }
  validatorCache.set(key, compiled)
  return compiled
}

function operationObject(operation: Operation): OperationObject | undefined {
  return loadDocument().paths[operation.template]?.[operation.method.toLowerCase()]
}

/** Schema errors of a JSON request body; undefined when the operation takes no JSON body. */
export function requestBodyErrors(operation: Operation, body: unknown): ErrorObject[] | undefined {
  const validate = validator(`${operation.id} request`, () =>
    jsonSchemaOf(operationObject(operation)?.requestBody),
  )
  if (!validate) return undefined
  return validate(body) ? [] : [...(validate.errors ?? [])]
}

/** Schema errors of a JSON response body; undefined when that status has no documented schema. */
export function responseBodyErrors(
  operation: Operation,
  status: number,
  body: unknown,
): ErrorObject[] | undefined {
  const validate = validator(`${operation.id} ${status}`, () =>
    jsonSchemaOf(operationObject(operation)?.responses[String(status)]),
  )
  if (!validate) return undefined
  return validate(body) ? [] : [...(validate.errors ?? [])]
}
