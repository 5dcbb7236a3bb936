import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dockerEnv } from './engine-stack.js'
import { REPO_ROOT } from './stack.js'

/**
 * The example image made into distinct components by a build argument: each COMPONENT value
 * gives its own RUN step, so its own layer and digest (components.test.ts, the benchmark).
 */
export const COMPONENT_DOCKERFILE = [
  'FROM scratch',
  'ARG TARGETARCH',
  'ARG COMPONENT',
  'COPY bin/busybox-${TARGETARCH} /bin/busybox',
  'COPY www/ /www/',
  'RUN ["/bin/busybox", "sh", "-c", "echo $COMPONENT > /www/component"]',
  'ENTRYPOINT ["/bin/busybox"]',
  'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
  '',
].join('\n')

const AUTH_ENV_FILE = '/etc/multiarch-release/registry-auth.env'

/** The authenticated TLS registry that scripts/setup-stack.sh starts, from the file it writes. */
export function authRegistry(): { host: string; user: string; password: string; ca: string } {
  if (!existsSync(AUTH_ENV_FILE))
    throw new Error(`${AUTH_ENV_FILE} is missing: run scripts/setup-stack.sh`)
  const values = Object.fromEntries(
    readFileSync(AUTH_ENV_FILE, 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [
        l.slice(0, l.indexOf('=')),
        l.slice(l.indexOf('=') + 1).replace(/^["']|["']$/g, ''),
      ]),
  )
  return {
    host: values.REGISTRY_AUTH_HOST ?? '',
    user: values.REGISTRY_AUTH_USER ?? '',
    password: values.REGISTRY_AUTH_PASSWORD ?? '',
    ca: values.REGISTRY_AUTH_CA ?? '',
  }
}

/**
 * Builds the example image for linux/amd64 and linux/arm64 with buildx and pushes it under
 * the references given, as another tool would; returns the index digest.
 */
export function pushExampleImage(
  refs: readonly string[],
  options: {
    labels?: Readonly<Record<string, string>>
    provenance?: boolean
    env?: Readonly<Record<string, string>>
  } = {},
): string {
  const metadata = join(mkdtempSync(join(tmpdir(), 'example-push-')), 'metadata.json')
  execFileSync(
    'docker',
    [
      'buildx',
      'build',
      '--platform',
      'linux/amd64,linux/arm64',
      ...(options.provenance === false ? ['--provenance=false'] : []),
      ...Object.entries(options.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      ...refs.flatMap((ref) => ['--tag', ref]),
      '--push',
      '--metadata-file',
      metadata,
      join(REPO_ROOT, 'example'),
    ],
    { stdio: 'pipe', env: dockerEnv(options.env) },
  )
  const digest = (JSON.parse(readFileSync(metadata, 'utf8')) as Record<string, unknown>)[
    'containerimage.digest'
  ]
  if (typeof digest !== 'string') throw new Error('buildx wrote no digest')
  return digest
}
