// Fault injection: which requests fail, how, and how many more times.

export interface FaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string
  /** An operation id such as `repos/create-release`, or a RegExp tested on the URL path. */
  route?: string | RegExp
  /** Status to answer with. Without it (and without hangUp) the fault only delays. */
  status?: number
  /** How many matching requests fail; default 1, `Infinity` for all. */
  times?: number
  /** JSON body of the failure; default `{ message }` from the status text. */
  body?: unknown
  headers?: Record<string, string>
  /** Wait this long first (`Infinity`: never answer until the client gives up or close()). */
  delayMs?: number
  /** Wait until this settles first (a test forcing an interleaving lets the request go). */
  hold?: Promise<unknown>
  /** Destroy the socket instead of answering. */
  hangUp?: boolean
  /** Read this many body bytes, then fail (hang up unless a status is given). */
  afterBytes?: number
  /** Let the request take effect, then lose the answer: the "it worked but we saw a 502" case. */
  afterEffect?: boolean
  /** An upload fault leaves an empty `starter` asset behind, as GitHub documents for 502s. */
  leaveStarterAsset?: boolean
  /** Only requests whose body (as text) matches: one kind of commit among several, say. */
  bodyMatches?: RegExp
}

export interface Fault {
  readonly spec: Readonly<FaultSpec>
  /** Requests this fault has hit so far. */
  readonly hits: number
  readonly remaining: number
}

class ActiveFault implements Fault {
  hits = 0
  constructor(readonly spec: Readonly<FaultSpec>) {}

  get remaining(): number {
    return (this.spec.times ?? 1) - this.hits
  }

  matches(method: string, path: string, operationId: string | undefined): boolean {
    const { spec } = this
    if (this.remaining <= 0) return false
    if (spec.method !== undefined && spec.method.toUpperCase() !== method) return false
    if (spec.route === undefined) return true
    if (typeof spec.route === 'string') return spec.route === operationId
    spec.route.lastIndex = 0
    return spec.route.test(path)
  }
}

export class Faults {
  private active: ActiveFault[] = []

  add(spec: FaultSpec): Fault {
    const fault = new ActiveFault({ ...spec })
    this.active.push(fault)
    return fault
  }

  clear(): void {
    this.active = []
  }

  /**
   * The first armed fault for this request, consumed once. `body` reads the request's body; it
   * is called only when a fault that matches the method and path also names a body.
   */
  async take(
    method: string,
    path: string,
    operationId: string | undefined,
    body: () => Promise<string>,
  ): Promise<Fault | undefined> {
    for (const fault of this.active) {
      if (!fault.matches(method, path, operationId)) continue
      const pattern = fault.spec.bodyMatches
      if (pattern !== undefined) {
        pattern.lastIndex = 0
        if (!pattern.test(await body())) continue
      }
      fault.hits += 1
      return fault
    }
    return undefined
  }
}
