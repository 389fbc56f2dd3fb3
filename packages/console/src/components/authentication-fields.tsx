import type { FieldError } from '../api/client'
import type { CreateApplicationBody } from '../api/types'
import {
  checkTrustPolicy,
  emptyTrustPolicy,
  keyErrors,
  parseJwks,
  trustPolicyErrors,
  trustPolicyInput,
  type TrustPolicyDraft,
} from '../lib/credentials'
import { describedBy, Field } from './field'
import { JwksField } from './jwks-field'
import { TrustPolicyFields } from './trust-policy-fields'

export type AuthenticationMethod = 'secret' | 'key' | 'federation'

/** How a new application proves itself, as the wizard's first step holds it. */
export interface AuthenticationValue {
  method: AuthenticationMethod
  keySource: 'jwks' | 'jwks_uri'
  jwks: string
  jwksUri: string
  policy: TrustPolicyDraft
}

export function authenticationFrom(): AuthenticationValue {
  return { method: 'secret', keySource: 'jwks', jwks: '', jwksUri: '', policy: emptyTrustPolicy() }
}

const METHODS: { method: AuthenticationMethod; label: string; description: string }[] = [
  {
    method: 'secret',
    label: 'Client secret',
    description: 'Tokenmint creates a secret, shown once, that the integration sends with its ID.',
  },
  {
    method: 'key',
    label: 'Public key',
    description:
      'The integration signs a short assertion with its private key (private_key_jwt); Tokenmint holds only the public key.',
  },
  {
    method: 'federation',
    label: 'Trusted workload (federation)',
    description:
      'A GitHub Actions job, GitLab CI pipeline or Kubernetes service account sends its platform’s token: no secret to store or rotate.',
  },
]

/** Client-side checks, keyed as the fields show them. */
export function checkAuthentication(value: AuthenticationValue): Record<string, string> {
  if (value.method === 'federation') return checkTrustPolicy(value.policy)
  if (value.method === 'secret') return {}
  if (value.keySource === 'jwks_uri')
    return /^https:\/\/\S+$/.test(value.jwksUri.trim())
      ? {}
      : { jwks_uri: 'Enter the https URL where the application publishes its public keys.' }
  const parsed = parseJwks(value.jwks)
  return 'error' in parsed ? { jwks: parsed.error } : {}
}

/** What the creation request carries for this choice (nothing for a client secret). */
export function authenticationBody(
  value: AuthenticationValue,
): Pick<CreateApplicationBody, 'jwks' | 'jwks_uri' | 'trust_policies'> {
  switch (value.method) {
    case 'secret':
      return {}
    case 'federation':
      return { trust_policies: [trustPolicyInput(value.policy)] }
    case 'key': {
      if (value.keySource === 'jwks_uri') return { jwks_uri: value.jwksUri.trim() }
      const parsed = parseJwks(value.jwks)
      return 'jwks' in parsed ? { jwks: parsed.jwks } : {}
    }
  }
}

/** The server's field errors about the credentials, keyed as the fields show them. */
export function authenticationErrors(
  fields: readonly FieldError[],
  value: AuthenticationValue,
): Record<string, string> {
  return {
    ...keyErrors(fields),
    ...trustPolicyErrors(
      fields.filter((f) => f.field.startsWith('trust_polic')),
      value.policy,
    ),
  }
}

export function AuthenticationFields({
  value,
  onChange,
  errors,
}: {
  value: AuthenticationValue
  onChange: (value: AuthenticationValue) => void
  errors: Record<string, string>
}) {
  const set = (patch: Partial<AuthenticationValue>) => {
    onChange({ ...value, ...patch })
  }
  const uriHint =
    'An https URL serving the JWK Set; Tokenmint fetches it now and caches it, so keys can be rotated there.'
  return (
    <fieldset class="field">
      <legend>How it authenticates</legend>
      {METHODS.map((m) => (
        <label class="radio radio-block" key={m.method}>
          <input
            type="radio"
            name="auth-method"
            value={m.method}
            checked={value.method === m.method}
            onChange={() => {
              set({ method: m.method })
            }}
          />
          <span>
            <strong>{m.label}</strong> <span class="muted">— {m.description}</span>
          </span>
        </label>
      ))}
      {value.method === 'key' && (
        <div class="auth-details">
          <fieldset class="field">
            <legend>Where its public keys come from</legend>
            <div class="radio-row">
              <label class="radio">
                <input
                  type="radio"
                  name="key-source"
                  value="jwks"
                  checked={value.keySource === 'jwks'}
                  onChange={() => {
                    set({ keySource: 'jwks' })
                  }}
                />
                Paste a JWK Set
              </label>
              <label class="radio">
                <input
                  type="radio"
                  name="key-source"
                  value="jwks_uri"
                  checked={value.keySource === 'jwks_uri'}
                  onChange={() => {
                    set({ keySource: 'jwks_uri' })
                  }}
                />
                Fetch them from a URL (jwks_uri)
              </label>
            </div>
          </fieldset>
          {value.keySource === 'jwks' ? (
            <JwksField
              id="app-jwks"
              value={value.jwks}
              onChange={(jwks) => {
                set({ jwks })
              }}
              error={errors['jwks']}
            />
          ) : (
            <Field id="app-jwks-uri" label="JWK Set URL" hint={uriHint} error={errors['jwks_uri']}>
              <input
                id="app-jwks-uri"
                type="text"
                inputMode="url"
                required
                maxLength={2048}
                autoComplete="off"
                spellcheck={false}
                placeholder="https://ci.example.com/.well-known/jwks.json"
                value={value.jwksUri}
                aria-invalid={errors['jwks_uri'] !== undefined}
                aria-describedby={describedBy('app-jwks-uri', uriHint, errors['jwks_uri'])}
                onInput={(e) => {
                  set({ jwksUri: e.currentTarget.value })
                }}
              />
            </Field>
          )}
        </div>
      )}
      {value.method === 'federation' && (
        <div class="auth-details">
          <p class="hint">
            The workload sends its platform’s OIDC token as the client assertion. It is accepted
            when it is signed by this issuer, is meant for this audience and its subject and
            conditions match. More policies can be added on the application’s page.
          </p>
          <TrustPolicyFields
            idPrefix="trust"
            value={value.policy}
            onChange={(policy) => {
              set({ policy })
            }}
            errors={errors}
          />
          {errors['policy'] !== undefined && <p class="field-error">{errors['policy']}</p>}
        </div>
      )}
    </fieldset>
  )
}
