import { useState } from 'preact/hooks'

import { api, messageOf } from '../api/client'
import type { User } from '../api/types'
import {
  CreateAccountDialog,
  PasswordField,
  SetPasswordDialog,
} from '../components/account-dialogs'
import { AccountActions, AccountTable } from '../components/account-table'
import { ErrorMessage, Notice } from '../components/alert'
import { ConfirmDialog } from '../components/dialog'
import { Field } from '../components/field'
import { Pager } from '../components/pager'
import { StatusBadge } from '../components/status-badge'
import { DateTime } from '../components/time'
import { apiLabel, useApis } from '../lib/data'
import { plural } from '../lib/format'
import { useSession } from '../lib/session'
import { useAsync, useCursor } from '../lib/use-async'
import { ScopePicker } from '../components/scope-picker'

type UserAction = 'disable' | 'enable' | 'unlock'

/** Tenant users of the password grant (not administrators: they never sign in here). */
export function UsersPage() {
  const { tenant, canWrite } = useSession()
  const pages = useCursor(tenant)
  const list = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/users', {
          path: { tenant },
          query: { limit: 50, cursor: pages.cursor },
          signal,
        })
      ).data,
    [tenant, pages.cursor],
  )
  const [creating, setCreating] = useState(false)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [passwordFor, setPasswordFor] = useState<User | undefined>(undefined)
  const [deleting, setDeleting] = useState<User | undefined>(undefined)

  const act = (user: User, action: UserAction) => {
    setError(undefined)
    setNotice(undefined)
    const path = `/admin/v1/tenants/{tenant}/users/{user}/${action}` as const
    api.post(path, { path: { tenant, user: user.id } }).then(
      () => {
        setNotice(
          action === 'disable'
            ? `${user.username} is disabled: sign-ins and refresh tokens are refused.`
            : action === 'enable'
              ? `${user.username} is enabled.`
              : `${user.username} is unlocked.`,
        )
        list.reload()
      },
      (reason: unknown) => {
        setError(messageOf(reason))
      },
    )
  }

  return (
    <div class="page">
      <p class="breadcrumb">Settings</p>
      <div class="page-header">
        <h1>Users</h1>
        {canWrite && (
          <button
            type="button"
            class="button button-primary"
            onClick={() => {
              setCreating(true)
            }}
          >
            Create user
          </button>
        )}
      </div>
      <p class="hint">
        Accounts that integrations sign in as with the password grant. Prefer applications with
        client credentials unless an integration must act as a user. Console administrators are
        managed separately.
      </p>
      {notice !== undefined && <Notice tone="success">{notice}</Notice>}
      <ErrorMessage>{error}</ErrorMessage>
      <ErrorMessage>{list.error}</ErrorMessage>
      {list.data === undefined && list.error === undefined && <p aria-busy="true">Loading…</p>}
      {list.data !== undefined && list.data.items.length === 0 && (
        <p class="empty">No users. Most integrations need none.</p>
      )}
      {list.data !== undefined && list.data.items.length > 0 && (
        <AccountTable
          label="Users"
          accounts={list.data.items}
          note={(user) =>
            (user.display_name ?? user.email) !== null && (
              <span class="cell-note">
                {[user.display_name, user.email].filter((x) => x !== null).join(' · ')}
              </span>
            )
          }
          columns={[
            {
              label: 'Status',
              cell: (user) => (
                <>
                  <StatusBadge status={user.status} />
                  {user.locked_until !== null && (
                    <span class="cell-note">
                      until <DateTime iso={user.locked_until} />
                    </span>
                  )}
                </>
              ),
            },
            {
              label: 'Scopes',
              cell: (user) =>
                plural(
                  user.grants.reduce((n, g) => n + g.scopes.length, 0),
                  'scope',
                ),
            },
          ]}
          lastSignInAt={(user) => user.last_login_at}
          actions={
            canWrite
              ? (user) => (
                  <>
                    {user.status === 'locked' && (
                      <button
                        type="button"
                        class="button button-small"
                        onClick={() => {
                          act(user, 'unlock')
                        }}
                      >
                        Unlock <span class="visually-hidden">{user.username}</span>
                      </button>
                    )}
                    <AccountActions
                      username={user.username}
                      isDisabled={user.status === 'disabled'}
                      onStatus={() => {
                        act(user, user.status === 'disabled' ? 'enable' : 'disable')
                      }}
                      onSetPassword={() => {
                        setPasswordFor(user)
                      }}
                      onDelete={() => {
                        setDeleting(user)
                      }}
                    />
                  </>
                )
              : undefined
          }
        />
      )}
      {list.data !== undefined && (
        <Pager
          label="User pages"
          page={pages.page}
          hasPrevious={pages.hasPrevious}
          nextCursor={list.data.next_cursor}
          onPrevious={pages.previous}
          onNext={pages.next}
        />
      )}
      <CreateUserDialog
        open={creating}
        onClose={() => {
          setCreating(false)
        }}
        onCreated={(user) => {
          setCreating(false)
          setNotice(`Created ${user.username}.`)
          list.reload()
        }}
      />
      <SetPasswordDialog
        account={passwordFor}
        id="user-new-password"
        save={(user, password) =>
          api.post('/admin/v1/tenants/{tenant}/users/{user}/password', {
            path: { tenant, user: user.id },
            body: { password },
          })
        }
        onClose={() => {
          setPasswordFor(undefined)
        }}
        onDone={(user) => {
          setPasswordFor(undefined)
          setNotice(`Password of ${user.username} changed; its refresh tokens have ended.`)
        }}
      />
      <ConfirmDialog
        title={`Delete ${deleting?.username ?? ''}?`}
        open={deleting !== undefined}
        onClose={() => {
          setDeleting(undefined)
        }}
        confirmLabel="Delete user"
        danger
        onConfirm={async () => {
          if (deleting === undefined) return
          await api.delete('/admin/v1/tenants/{tenant}/users/{user}', {
            path: { tenant, user: deleting.id },
          })
          setNotice(`Deleted ${deleting.username}.`)
          list.reload()
        }}
      >
        <p>
          Integrations signing in as <strong>{deleting?.username}</strong> fail from now on, and its
          refresh tokens end. This cannot be undone.
        </p>
      </ConfirmDialog>
    </div>
  )
}

function CreateUserDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean
  onClose: () => void
  onCreated: (user: User) => void
}) {
  const { tenant } = useSession()
  const apis = useApis({ for: 'users' })
  const [password, setPassword] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [email, setEmail] = useState('')
  const [audience, setAudience] = useState('')
  const [scopes, setScopes] = useState<string[]>([])
  const selected = apis.data?.find((a) => a.audience === audience)
  return (
    <CreateAccountDialog
      title="Create user"
      idPrefix="user"
      busyLabel="Creating…"
      wide
      open={open}
      onClose={onClose}
      create={async (username) =>
        (
          await api.post('/admin/v1/tenants/{tenant}/users', {
            path: { tenant },
            body: {
              username,
              password,
              ...(displayName.trim() !== '' && { display_name: displayName.trim() }),
              ...(email.trim() !== '' && { email: email.trim() }),
              grants: selected === undefined ? [] : [{ audience: selected.audience, scopes }],
            },
          })
        ).data
      }
      onCreated={(user) => {
        setPassword('')
        setDisplayName('')
        setEmail('')
        setScopes([])
        onCreated(user)
      }}
    >
      <PasswordField
        id="user-password"
        hint="At least 12 characters; stored as an Argon2id hash."
        value={password}
        onInput={setPassword}
      />
      <Field id="user-display" label="Display name" optional>
        <input
          id="user-display"
          type="text"
          value={displayName}
          onInput={(e) => {
            setDisplayName(e.currentTarget.value)
          }}
        />
      </Field>
      <Field id="user-email" label="Email" optional>
        <input
          id="user-email"
          type="email"
          value={email}
          onInput={(e) => {
            setEmail(e.currentTarget.value)
          }}
        />
      </Field>
      <Field id="user-api" label="API" optional hint="What tokens issued for this user may hold.">
        <select
          id="user-api"
          value={audience}
          aria-describedby="user-api-hint"
          onChange={(e) => {
            setAudience(e.currentTarget.value)
            setScopes([])
          }}
        >
          <option value="">No API</option>
          {apis.data?.map((a) => (
            <option key={a.id} value={a.audience}>
              {apiLabel(a)}
            </option>
          ))}
        </select>
      </Field>
      {selected !== undefined && (
        <ScopePicker key={selected.id} api={selected} selected={scopes} onChange={setScopes} />
      )}
    </CreateAccountDialog>
  )
}
