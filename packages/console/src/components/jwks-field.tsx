import { describedBy, Field } from './field'

const HINT =
  'Paste the public keys as a JWK Set (EC P-256/384/521, RSA of 2048 bits or more, or Ed25519; at most 10). Give each key a "kid" to tell them apart. Never paste the private key.'
const PLACEHOLDER =
  '{"keys": [{"kty": "EC", "crv": "P-256", "kid": "ci-2026", "x": "…", "y": "…"}]}'

/** A JWK Set of public keys, pasted as JSON. */
export function JwksField({
  id,
  label = 'JWK Set (public keys)',
  value,
  onChange,
  error,
  disabled = false,
}: {
  id: string
  label?: string
  value: string
  onChange: (value: string) => void
  error: string | undefined
  disabled?: boolean
}) {
  return (
    <Field id={id} label={label} hint={HINT} error={error}>
      <textarea
        id={id}
        class="code-input"
        rows={7}
        spellcheck={false}
        autoComplete="off"
        placeholder={PLACEHOLDER}
        value={value}
        disabled={disabled}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy(id, HINT, error)}
        onInput={(e) => {
          onChange(e.currentTarget.value)
        }}
      />
    </Field>
  )
}
