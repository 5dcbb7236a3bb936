import { splitReference } from '../../src/model/image-ref.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

test.each([
  ['127.0.0.1:5000/e2e/app:1.0.0', '127.0.0.1:5000', 'e2e/app', '1.0.0'],
  [`127.0.0.1:5000/e2e/app@${DIGEST}`, '127.0.0.1:5000', 'e2e/app', DIGEST],
  ['ghcr.io/acme/app:candidate-abc-1-1', 'ghcr.io', 'acme/app', 'candidate-abc-1-1'],
  ['ghcr.io/acme/app', 'ghcr.io', 'acme/app', 'latest'],
  ['localhost:5000/app:v1', 'localhost:5000', 'app', 'v1'],
  ['nginx:1.27', 'docker.io', 'library/nginx', '1.27'],
  [`acme/app@${DIGEST}`, 'docker.io', 'acme/app', DIGEST],
])('%s is %s / %s at %s', (ref, registry, path, reference) => {
  const split = splitReference(ref)
  expect(split.image.registry).toBe(registry)
  expect(split.image.path).toBe(path)
  expect(split.reference).toBe(reference)
})

test.each([['Ghcr.io/Acme/App:1'], ['ghcr.io/acme/App:1'], ['']])(
  '%p is refused as an image reference',
  (ref) => {
    expect(() => splitReference(ref)).toThrow(/not an image reference/)
  },
)
