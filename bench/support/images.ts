// The images the benchmark releases (issue 19): the codex-like image (the example image with
// two RUN steps, run under QEMU for arm64, and an HTTP health probe), the same with a COMPONENT
// build argument for the components scaling, and a realistic image: multi-stage, more than
// 150 MB of layers of generated data, a RUN under QEMU. The data is generated deterministically
// once per machine (never committed) and hard-linked into each checkout.
import { createCipheriv, createHash } from 'node:crypto'
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The example image with two RUN steps (each one emulated for arm64). */
export const CODEX_DOCKERFILE = `FROM scratch
ARG TARGETARCH
COPY bin/busybox-\${TARGETARCH} /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /tmp /etc && echo app:x:1000:1000::/:/bin/busybox > /etc/passwd"]
COPY www/ /www/
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox uname -m > /www/arch"]
EXPOSE 8080
ENTRYPOINT ["/bin/busybox"]
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
`

/** The codex-like image as one of several components: its own build argument, its own layer. */
export const COMPONENT_DOCKERFILE = `FROM scratch
ARG TARGETARCH
ARG COMPONENT
COPY bin/busybox-\${TARGETARCH} /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /tmp /etc && echo app:x:1000:1000::/:/bin/busybox > /etc/passwd"]
COPY www/ /www/
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox uname -m > /www/arch && echo $COMPONENT > /www/component"]
EXPOSE 8080
ENTRYPOINT ["/bin/busybox"]
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
`

/**
 * Multi-stage: a build stage runs a checksum of part of the documentation under QEMU (for arm64); the
 * final image holds the program, two layers of incompressible data (models, libraries: shared
 * by both platforms, as a base image's layers are) and the built documentation (per platform).
 */
export const REALISTIC_DOCKERFILE = `FROM scratch AS docs
ARG TARGETARCH
COPY bin/busybox-\${TARGETARCH} /bin/busybox
COPY data/share/ /out/share/
RUN ["/bin/busybox", "sh", "-c", "cd /out/share && /bin/busybox sha256sum doc-0.txt > ../SHA256SUMS && /bin/busybox uname -m > ../arch"]

FROM scratch
ARG TARGETARCH
COPY bin/busybox-\${TARGETARCH} /bin/busybox
COPY www/ /www/
COPY data/models/ /opt/app/models/
COPY data/lib/ /opt/app/lib/
COPY --from=docs /out/ /opt/app/share/
EXPOSE 8080
ENTRYPOINT ["/bin/busybox"]
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
`

const MB = 1024 * 1024

/** The generated files: path under data/, size, and whether they are text (compressible). */
const DATA_FILES: readonly { path: string; bytes: number; text: boolean }[] = [
  ...[0, 1].map((i) => ({ path: `models/weights-${i}.bin`, bytes: 56 * MB, text: false })),
  ...Array.from({ length: 12 }, (_, i) => ({
    path: `lib/libapp-${i}.so`,
    bytes: 4 * MB,
    text: false,
  })),
  ...Array.from({ length: 8 }, (_, i) => ({
    path: `share/doc-${i}.txt`,
    bytes: 4 * MB,
    text: true,
  })),
]

/** Bytes of the generated data, before compression. */
export const REALISTIC_DATA_BYTES = DATA_FILES.reduce((n, f) => n + f.bytes, 0)

/** A file's bytes, the same on every machine: AES-256-CTR of zeros, keyed by the file's path. */
function generated(path: string, bytes: number, text: boolean): Buffer {
  const key = createHash('sha256').update(`multiarch-release bench ${path}`).digest()
  const random = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(bytes))
  if (!text) return random
  // Lines of words from a small vocabulary: compresses about as well as documentation does.
  const words =
    'the image release platform digest manifest layer registry build smoke tag version commit runner cache index config amd64 arm64 health probe'.split(
      ' ',
    )
  const out = Buffer.alloc(bytes)
  let at = 0
  for (let i = 0; at < bytes; i++) {
    const word = words[(random[i % bytes] ?? 0) % words.length] ?? 'x'
    const sep = (random[(i * 7 + 3) % bytes] ?? 0) % 12 === 0 ? '\n' : ' '
    at += out.write(word + sep, at)
  }
  return out
}

/** The generated data's folder (made once per machine, reused while its recipe is unchanged). */
export function realisticData(): string {
  const recipe = createHash('sha256').update(JSON.stringify(DATA_FILES)).digest('hex').slice(0, 12)
  const dir = join(tmpdir(), `multiarch-release-bench-data-${recipe}`)
  if (existsSync(join(dir, '.complete'))) return dir
  const partial = `${dir}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  for (const file of DATA_FILES) {
    const path = join(partial, file.path)
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, generated(file.path, file.bytes, file.text))
  }
  writeFileSync(join(partial, '.complete'), '')
  rmSync(dir, { recursive: true, force: true })
  renameSync(partial, dir)
  return dir
}

/** A release asset of `bytes` generated bytes (made once per machine); its path. */
export function releaseAsset(bytes: number): string {
  const path = join(tmpdir(), `multiarch-release-bench-asset-${bytes}.bin`)
  if (existsSync(path)) return path
  const partial = `${path}.partial-${process.pid}`
  writeFileSync(partial, generated('asset', bytes, false))
  renameSync(partial, path)
  return path
}

/** Hard-links the generated data into a checkout's data/ (kept out of git by .gitignore). */
export function linkData(checkout: string, data = realisticData()): void {
  const walk = (from: string, to: string): void => {
    mkdirSync(to, { recursive: true })
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      if (entry.name === '.complete') continue
      if (entry.isDirectory()) walk(join(from, entry.name), join(to, entry.name))
      else linkSync(join(from, entry.name), join(to, entry.name))
    }
  }
  walk(data, join(checkout, 'data'))
}

/** An image the benchmark releases: its Dockerfile and extra files of the checkout. */
export interface BenchImage {
  readonly name: 'codex-like' | 'realistic'
  readonly files: Readonly<Record<string, string>>
  /** Generated data hard-linked into each checkout. */
  readonly data: boolean
}

export const CODEX: BenchImage = {
  name: 'codex-like',
  files: { Dockerfile: CODEX_DOCKERFILE },
  data: false,
}
export const REALISTIC: BenchImage = {
  name: 'realistic',
  files: { Dockerfile: REALISTIC_DOCKERFILE, '.gitignore': 'data/\n' },
  data: true,
}
