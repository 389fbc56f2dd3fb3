import type { FieldError } from '../api/client'
import {
  dateInDays,
  endOfLocalDay,
  formatDateTimeInZone,
  formatDuration,
  localDate,
  timeZone,
} from '../lib/format'
import { describedBy, Field } from './field'

export const ENVIRONMENTS = ['dev', 'stage', 'prod']

export interface DetailsValue {
  name: string
  description: string
  environment: string
  expiry: 'custom' | 'never'
  /** YYYY-MM-DD in the administrator's time zone, when expiry is custom: ends at 23:59 there. */
  expiresOn: string
}

export function detailsFrom(app?: {
  name: string
  description: string
  environment: string
  expires_at: string | null
}): DetailsValue {
  return {
    name: app?.name ?? '',
    description: app?.description ?? '',
    environment: app?.environment ?? 'prod',
    expiry: app === undefined || app.expires_at !== null ? 'custom' : 'never',
    expiresOn:
      app?.expires_at === null || app?.expires_at === undefined
        ? dateInDays(90)
        : localDate(app.expires_at),
  }
}

/** Client-side checks, so the common mistakes are caught before a request. */
export function checkDetails(value: DetailsValue, today = dateInDays(0)): Record<string, string> {
  const errors: Record<string, string> = {}
  if (value.name.trim() === '') errors['name'] = 'Enter a name, such as "CI deploy (prod)".'
  if (value.environment.trim() === '') errors['environment'] = 'Enter an environment, such as prod.'
  if (value.expiry === 'custom') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value.expiresOn)) errors['expires_at'] = 'Choose a date.'
    else if (value.expiresOn < today) errors['expires_at'] = 'Choose a date in the future.'
  }
  return errors
}

/** Server field errors (`errors[].field`) keyed like checkDetails'. */
export function fieldErrors(fields: readonly FieldError[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of fields) out[f.field.split('.')[0] ?? f.field] = f.message
  return out
}

export function DetailsFields({
  value,
  onChange,
  errors,
  disabled = false,
}: {
  value: DetailsValue
  onChange: (value: DetailsValue) => void
  errors: Record<string, string>
  disabled?: boolean
}) {
  const set = (patch: Partial<DetailsValue>) => {
    onChange({ ...value, ...patch })
  }
  const nameHint = 'What the integration is, so you know what breaks if it is revoked.'
  const envHint = 'dev, stage, prod or your own label. Use one application per environment.'
  return (
    <>
      <Field id="app-name" label="Name" hint={nameHint} error={errors['name']}>
        <input
          id="app-name"
          type="text"
          required
          maxLength={200}
          autoComplete="off"
          value={value.name}
          disabled={disabled}
          aria-invalid={errors['name'] !== undefined}
          aria-describedby={describedBy('app-name', nameHint, errors['name'])}
          onInput={(e) => {
            set({ name: e.currentTarget.value })
          }}
        />
      </Field>
      <Field id="app-description" label="Description" optional error={errors['description']}>
        <textarea
          id="app-description"
          rows={2}
          maxLength={2000}
          value={value.description}
          disabled={disabled}
          aria-invalid={errors['description'] !== undefined}
          aria-describedby={describedBy('app-description', undefined, errors['description'])}
          onInput={(e) => {
            set({ description: e.currentTarget.value })
          }}
        />
      </Field>
      <Field id="app-environment" label="Environment" hint={envHint} error={errors['environment']}>
        <input
          id="app-environment"
          type="text"
          list="environments"
          required
          maxLength={50}
          autoComplete="off"
          value={value.environment}
          disabled={disabled}
          aria-invalid={errors['environment'] !== undefined}
          aria-describedby={describedBy('app-environment', envHint, errors['environment'])}
          onInput={(e) => {
            set({ environment: e.currentTarget.value })
          }}
        />
        <datalist id="environments">
          {ENVIRONMENTS.map((env) => (
            <option key={env} value={env} />
          ))}
        </datalist>
      </Field>
      <fieldset class="field" disabled={disabled}>
        <legend>Expiration</legend>
        <p class="hint" id="expiry-hint">
          Credentials that end on their own limit the damage of a forgotten integration.
        </p>
        <div class="radio-row">
          <label class="radio">
            <input
              type="radio"
              name="expiry"
              value="custom"
              checked={value.expiry === 'custom'}
              aria-describedby="expiry-hint"
              onChange={() => {
                set({ expiry: 'custom' })
              }}
            />
            Custom date <span class="tag">Recommended</span>
          </label>
          <label class="radio">
            <input
              type="radio"
              name="expiry"
              value="never"
              checked={value.expiry === 'never'}
              onChange={() => {
                set({ expiry: 'never' })
              }}
            />
            Never
          </label>
        </div>
        {value.expiry === 'custom' && (
          <Field
            id="app-expires-on"
            label={`Expires at the end of (${timeZone()} time)`}
            hint={expiryHint(value.expiresOn)}
            error={errors['expires_at']}
          >
            <input
              id="app-expires-on"
              type="date"
              required
              min={dateInDays(0)}
              value={value.expiresOn}
              aria-invalid={errors['expires_at'] !== undefined}
              aria-describedby={describedBy(
                'app-expires-on',
                expiryHint(value.expiresOn),
                errors['expires_at'],
              )}
              onInput={(e) => {
                set({ expiresOn: e.currentTarget.value })
              }}
            />
          </Field>
        )}
      </fieldset>
    </>
  )
}

export function LifetimeField({
  value,
  onChange,
  defaultSeconds,
  choices,
  disabled = false,
  error,
}: {
  value: number | null
  onChange: (value: number | null) => void
  defaultSeconds: number | undefined
  choices: number[]
  disabled?: boolean
  error?: string | undefined
}) {
  const hint = 'Shorter is safer: a leaked token is useful only until it expires.'
  const options =
    value === null || choices.includes(value) ? choices : [...choices, value].sort((a, b) => a - b)
  return (
    <Field id="token-lifetime" label="Access token lifetime" hint={hint} error={error}>
      <select
        id="token-lifetime"
        value={value === null ? '' : String(value)}
        disabled={disabled}
        aria-describedby={describedBy('token-lifetime', hint, error)}
        onChange={(e) => {
          const raw = e.currentTarget.value
          onChange(raw === '' ? null : Number(raw))
        }}
      >
        <option value="">
          Tenant default{defaultSeconds === undefined ? '' : ` (${formatDuration(defaultSeconds)})`}
        </option>
        {options.map((s) => (
          <option key={s} value={String(s)}>
            {formatDuration(s)}
          </option>
        ))}
      </select>
    </Field>
  )
}

/** "Ends Mar 31, 2027, 11:59 PM Europe/Berlin": the exact instant, in the administrator's zone. */
function expiryHint(date: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(date)
    ? `Ends ${formatDateTimeInZone(endOfLocalDay(date))}, your time zone.`
    : 'The application stops working at the end of this day, in your time zone.'
}

/** "never", or the exact instant the chosen day ends in the administrator's time zone. */
export function expiresAtOf(value: DetailsValue): string {
  return value.expiry === 'never' ? 'never' : endOfLocalDay(value.expiresOn)
}

const INPUT_OF: Record<string, string> = {
  name: 'app-name',
  description: 'app-description',
  environment: 'app-environment',
  expires_at: 'app-expires-on',
}

/** Moves focus to the first input in error, so the keyboard user lands on what to fix. */
export function focusFirstError(errors: Record<string, string>): void {
  for (const field of Object.keys(INPUT_OF)) {
    if (errors[field] !== undefined) {
      document.getElementById(INPUT_OF[field] ?? '')?.focus()
      return
    }
  }
}
