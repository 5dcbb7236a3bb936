import { parseImageRepository, isValidTag } from '../../src/model/image-ref.js'

describe('parseImageRepository', () => {
  test.each([
    ['ghcr.io/acme/app', 'ghcr.io', 'acme/app'],
    ['127.0.0.1:5000/acme/app', '127.0.0.1:5000', 'acme/app'],
    ['localhost/app', 'localhost', 'app'],
    ['localhost:5000/a/b/c', 'localhost:5000', 'a/b/c'],
    ['acme/app', 'docker.io', 'acme/app'],
    ['nginx', 'docker.io', 'library/nginx'],
    ['registry.example.com/my_org/my-app.v2', 'registry.example.com', 'my_org/my-app.v2'],
    ['Registry.Example.com/acme/app', 'Registry.Example.com', 'acme/app'],
  ])('%s is registry %s, path %s', (text, registry, path) => {
    expect(parseImageRepository(text)).toEqual({ name: text, registry, path })
  })

  test.each([
    ['', /empty/],
    ['ghcr.io/acme/app:1.0', /holds a tag \(':1.0'\)/],
    ['acme/app:latest', /holds a tag/],
    ['ghcr.io/acme/app@sha256:abc', /holds a digest/],
    ['ghcr.io/Acme/app', /'Acme' has uppercase letters/],
    ['ghcr.io/acme/-app', /not a valid repository path component/],
    ['ghcr.io/acme//app', /not a valid repository path component/],
    ['ghcr.io/acme/app_', /not a valid repository path component/],
    ['ghcr.io/acme/app name', /not a valid repository path component/],
    [`ghcr.io/${'a'.repeat(260)}`, /longer than 255/],
  ])('%j is refused', (text, reason) => {
    expect(parseImageRepository(text)).toEqual(expect.stringMatching(reason))
  })
})

test.each([
  ['1.2.3', true],
  ['latest', true],
  ['candidate-abc-1-1', true],
  ['.hidden', false],
  ['-x', false],
  ['a+b', false],
  ['x'.repeat(129), false],
])('tag %j valid: %s', (tag, valid) => {
  expect(isValidTag(tag)).toBe(valid)
})
