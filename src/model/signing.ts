// The signing inputs: sign, and the cosign key, its password and the transparency log switch.
import type { InputName } from './action-inputs.generated.js'
import { boolean, oneOf, secretText, type FieldContext, type InputSpec } from './input-kinds.js'

/** How the promoted digests are signed with cosign before the Release is published. */
export type Signing =
  | { kind: 'none' }
  | { kind: 'key'; key: string; password: string; tlogUpload: boolean }
  | { kind: 'keyless'; tlogUpload: boolean }

export const SIGNING_INPUTS = {
  sign: oneOf(['none', 'key', 'keyless'], 'signing', 'use none, key or keyless'),
  // Secrets are kept exactly as given.
  'cosign-key': secretText(),
  'cosign-password': secretText(),
  'cosign-tlog-upload': boolean(),
} satisfies Partial<Record<InputName, InputSpec<unknown>>>

type SigningValues = {
  readonly [K in keyof typeof SIGNING_INPUTS]: ReturnType<(typeof SIGNING_INPUTS)[K]['parse']>
}

/** The signing the inputs ask for; sign: key needs the private key itself. */
export function signingOf(values: SigningValues, at: (input: string) => FieldContext): Signing {
  const { sign, 'cosign-key': key, 'cosign-password': password } = values
  const tlogUpload = values['cosign-tlog-upload'] !== false
  if (sign === 'keyless') return { kind: 'keyless', tlogUpload }
  if (sign !== 'key') return { kind: 'none' }
  if (!key.includes('PRIVATE KEY')) {
    at('cosign-key').report(
      key === '' ? '' : '(hidden)',
      'sign: key needs the private key',
      'pass the contents of cosign.key from a secret, e.g. ${{ secrets.COSIGN_KEY }}',
    )
  }
  return { kind: 'key', key, password, tlogUpload }
}
