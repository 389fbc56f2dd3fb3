import type { ComponentChildren } from 'preact'

import { GITHUB_ACTIONS_ISSUER, type TrustPolicyDraft } from '../lib/credentials'
import { describedBy, Field } from './field'

const ISSUER_HINT = (
  <>
    The platform’s OIDC issuer, exactly as its tokens’ <code>iss</code> says:{' '}
    <code>{GITHUB_ACTIONS_ISSUER}</code> for GitHub Actions, <code>https://gitlab.com</code> for
    GitLab CI, or your cluster’s service-account issuer for Kubernetes.
  </>
)
const AUDIENCE_HINT = (
  <>
    What the platform token’s <code>aud</code> must contain: the audience the workload asks its
    platform for (GitHub: <code>core.getIDToken(audience)</code>; Kubernetes: the projected token’s
    audience).
  </>
)
const SUBJECT_HINT = (
  <>
    Matched exactly. A <code>*</code> may stand only for a whole segment between <code>/</code> or{' '}
    <code>:</code> — in the middle for one segment, at the end for the rest:{' '}
    <code>repo:acme/*:ref:refs/heads/main</code> admits every acme repository on main, while{' '}
    <code>repo:acme/deploy*</code> is refused. Kubernetes:{' '}
    <code>system:serviceaccount:NAMESPACE:NAME</code>.
  </>
)
const GITHUB_HINT = (
  <>
    {' '}
    <strong>Any GitHub user can mint tokens from this issuer</strong>, so the subject must name the
    owner exactly: <code>repo:OWNER/…</code>.
  </>
)
const CONDITIONS_HINT = (
  <>
    More claims the token must carry, each matched like the subject: <code>environment</code> ={' '}
    <code>production</code> (GitHub), or <code>kubernetes.io/namespace</code> = <code>ci</code> (a
    nested claim as a /-path).
  </>
)

/**
 * A trust policy's fields: which outside workload (a GitHub Actions job, a Kubernetes service
 * account) may authenticate as the application. `idPrefix` keeps ids unique on the page.
 */
export function TrustPolicyFields({
  idPrefix,
  value,
  onChange,
  errors,
  disabled = false,
}: {
  idPrefix: string
  value: TrustPolicyDraft
  onChange: (value: TrustPolicyDraft) => void
  errors: Record<string, string>
  disabled?: boolean
}) {
  const set = (patch: Partial<TrustPolicyDraft>) => {
    onChange({ ...value, ...patch })
  }
  const setCondition = (index: number, patch: Partial<TrustPolicyDraft['conditions'][number]>) => {
    set({ conditions: value.conditions.map((c, i) => (i === index ? { ...c, ...patch } : c)) })
  }
  const id = (name: string) => `${idPrefix}-${name}`
  const subjectHint = (
    <>
      {SUBJECT_HINT}
      {value.issuer.trim() === GITHUB_ACTIONS_ISSUER && GITHUB_HINT}
    </>
  )
  const text = (
    name: 'issuer' | 'audience' | 'subject',
    label: string,
    hint: ComponentChildren,
    placeholder: string,
  ) => (
    <Field id={id(name)} label={label} hint={hint} error={errors[name]}>
      <input
        id={id(name)}
        type="text"
        class={name === 'subject' ? 'code-input' : undefined}
        inputMode={name === 'issuer' ? 'url' : undefined}
        required
        maxLength={name === 'issuer' ? 2048 : 512}
        autoComplete="off"
        spellcheck={false}
        placeholder={placeholder}
        value={value[name]}
        disabled={disabled}
        aria-invalid={errors[name] !== undefined}
        aria-describedby={describedBy(id(name), hint, errors[name])}
        onInput={(e) => {
          set({ [name]: e.currentTarget.value })
        }}
      />
    </Field>
  )

  return (
    <>
      {text('issuer', 'Issuer URL', ISSUER_HINT, GITHUB_ACTIONS_ISSUER)}
      {text('audience', 'Audience', AUDIENCE_HINT, 'tokenmint')}
      {text('subject', 'Subject pattern', subjectHint, 'repo:acme/deploy:ref:refs/heads/main')}
      <fieldset class="field" disabled={disabled}>
        <legend>
          Claim conditions<span class="optional"> (optional)</span>
        </legend>
        <p class="hint" id={id('conditions-hint')}>
          {CONDITIONS_HINT}
        </p>
        {value.conditions.map((condition, i) => {
          const rowError = errors[`condition-${i}`]
          const errorId = rowError === undefined ? undefined : id(`condition-${i}-error`)
          return (
            <div key={i} class="condition-row">
              <div class="inline-form">
                <Field
                  id={id(`condition-name-${i}`)}
                  label={
                    <>
                      Claim<span class="visually-hidden"> of condition {i + 1}</span>
                    </>
                  }
                >
                  <input
                    id={id(`condition-name-${i}`)}
                    type="text"
                    class="code-input"
                    autoComplete="off"
                    spellcheck={false}
                    placeholder={i === 0 ? 'environment' : 'kubernetes.io/namespace'}
                    value={condition.name}
                    aria-invalid={rowError !== undefined}
                    aria-describedby={errorId}
                    onInput={(e) => {
                      setCondition(i, { name: e.currentTarget.value })
                    }}
                  />
                </Field>
                <Field
                  id={id(`condition-pattern-${i}`)}
                  label={
                    <>
                      Pattern<span class="visually-hidden"> of condition {i + 1}</span>
                    </>
                  }
                >
                  <input
                    id={id(`condition-pattern-${i}`)}
                    type="text"
                    class="code-input"
                    autoComplete="off"
                    spellcheck={false}
                    placeholder={i === 0 ? 'production' : 'ci'}
                    value={condition.pattern}
                    aria-invalid={rowError !== undefined}
                    aria-describedby={errorId}
                    onInput={(e) => {
                      setCondition(i, { pattern: e.currentTarget.value })
                    }}
                  />
                </Field>
                <button
                  type="button"
                  class="button button-small"
                  onClick={() => {
                    set({ conditions: value.conditions.filter((_, j) => j !== i) })
                  }}
                >
                  Remove<span class="visually-hidden"> condition {i + 1}</span>
                </button>
              </div>
              {rowError !== undefined && (
                <p class="field-error" id={errorId}>
                  {rowError}
                </p>
              )}
            </div>
          )
        })}
        {errors['conditions'] !== undefined && (
          <p class="field-error" role="alert">
            {errors['conditions']}
          </p>
        )}
        <button
          type="button"
          class="button button-small"
          aria-describedby={id('conditions-hint')}
          onClick={() => {
            set({ conditions: [...value.conditions, { name: '', pattern: '' }] })
          }}
        >
          Add a condition
        </button>
      </fieldset>
    </>
  )
}
