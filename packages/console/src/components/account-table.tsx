import type { ComponentChildren } from 'preact'

import { DateTime, Time } from './time'

interface Account {
  id: string
  username: string
  created_at: string
}

/**
 * A table of accounts (tenant users, console administrators): the username, the page's own
 * `columns`, the last sign-in, the creation date and, when `actions` is given, the row's actions.
 */
export function AccountTable<T extends Account>({
  label,
  accounts,
  note,
  columns,
  lastSignInAt,
  actions,
}: {
  label: string
  accounts: T[]
  /** Beside the username. */
  note: (account: T) => ComponentChildren
  columns: { label: string; cell: (account: T) => ComponentChildren }[]
  lastSignInAt: (account: T) => string | null
  actions?: ((account: T) => ComponentChildren) | undefined
}) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table class="table table-cards">
        <thead>
          <tr>
            <th scope="col">Username</th>
            {columns.map((column) => (
              <th scope="col" key={column.label}>
                {column.label}
              </th>
            ))}
            <th scope="col">Last sign-in</th>
            <th scope="col">Created</th>
            {actions !== undefined && (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {accounts.map((account) => (
            <tr key={account.id}>
              <td data-label="Username">
                <span class="strong">{account.username}</span>
                {note(account)}
              </td>
              {columns.map((column) => (
                <td data-label={column.label} key={column.label}>
                  {column.cell(account)}
                </td>
              ))}
              <td data-label="Last sign-in">
                <Time iso={lastSignInAt(account)} />
              </td>
              <td data-label="Created">
                <DateTime iso={account.created_at} />
              </td>
              {actions !== undefined && (
                <td data-label="Actions" class="row-actions">
                  {actions(account)}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** The row actions every account has: enable or disable it, set its password, delete it. */
export function AccountActions({
  username,
  isDisabled,
  onStatus,
  onSetPassword,
  onDelete,
}: {
  username: string
  isDisabled: boolean
  /** Enables a disabled account, disables any other. */
  onStatus: () => void
  /** Absent for an account without a password (a portal-link administrator). */
  onSetPassword: (() => void) | undefined
  onDelete: () => void
}) {
  return (
    <>
      <button type="button" class="button button-small" onClick={onStatus}>
        {isDisabled ? 'Enable' : 'Disable'} <span class="visually-hidden">{username}</span>
      </button>
      {onSetPassword !== undefined && (
        <button type="button" class="button button-small" onClick={onSetPassword}>
          Set password <span class="visually-hidden">for {username}</span>
        </button>
      )}
      <button type="button" class="button button-small button-danger" onClick={onDelete}>
        Delete <span class="visually-hidden">{username}</span>
      </button>
    </>
  )
}
