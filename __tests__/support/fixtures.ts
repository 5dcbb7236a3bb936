import { existsSync, readFileSync } from 'node:fs'

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
