import { useState } from 'preact/hooks'

import { api, messageOf } from '../api/client'
import type { Administrator, Role } from '../api/types'
import {
  CreateAccountDialog,
  PasswordField,
  SetPasswordDialog,
} from '../components/account-dialogs'
import { AccountActions, AccountTable } from '../components/account-table'
import { ErrorMessage, Notice } from '../components/alert'
import { CopyValue } from '../components/code-block'
import { ConfirmDialog, Dialog } from '../components/dialog'
import { StatusBadge } from '../components/status-badge'
import { useSession } from '../lib/session'
import { useAsync } from '../lib/use-async'

const ROLES: { role: Role; label: string; description: string }[] = [
  { role: 'owner', label: 'Owner', description: 'Everything, including administrators and keys' },
  { role: 'admin', label: 'Admin', description: 'APIs, applications, users and the audit log' },
  { role: 'viewer', label: 'Viewer', description: 'Reads everything, changes nothing' },
]

/** Reads the administrator again for its ETag, so a concurrent change is refused (412). */
async function patchAdministrator(
  tenant: string,
  id: string,
  body: { role?: Role; status?: 'active' | 'disabled'; password?: string },
): Promise<void> {
  const path = { tenant, administrator: id }
  const { etag } = await api.get('/admin/v1/tenants/{tenant}/administrators/{administrator}', {
    path,
  })
  await api.patch('/admin/v1/tenants/{tenant}/administrators/{administrator}', {
    path,
    ifMatch: etag,
    body,
  })
}

/** Console administrators of the tenant (owners only). */
export function AdministratorsPage() {
  const { tenant, session } = useSession()
  const list = useAsync(
    async (signal) =>
      (
        await api.get('/admin/v1/tenants/{tenant}/administrators', {
          path: { tenant },
          signal,
        })
      ).data,
    [tenant],
  )
  const [creating, setCreating] = useState(false)
  const [created, setCreated] = useState<{ username: string; password: string } | undefined>(
    undefined,
  )
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [deleting, setDeleting] = useState<Administrator | undefined>(undefined)
  const [resetting, setResetting] = useState<Administrator | undefined>(undefined)
  const [changingRole, setChangingRole] = useState<Administrator | undefined>(undefined)
  const [newRole, setNewRole] = useState<Role>('viewer')

  const update = (
    admin: Administrator,
    body: { role?: Role; status?: 'active' | 'disabled' },
    done: string,
  ) => {
    setError(undefined)
    setNotice(undefined)
    patchAdministrator(tenant, admin.id, body).then(
      () => {
        setNotice(done)
        list.reload()
      },
      (reason: unknown) => {
        setError(messageOf(reason))
        list.reload()
      },
    )
  }

  return (
    <div class="page">
      <p class="breadcrumb">Settings</p>
      <div class="page-header">
        <h1>Administrators</h1>
        <button
          type="button"
          class="button button-primary"
          onClick={() => {
            setCreating(true)
          }}
        >
          Add administrator
        </button>
      </div>
      <p class="hint">
        People who sign in to this console for tenant <strong>{tenant}</strong>. They are not OAuth
        clients and not password-grant users.
      </p>
      {notice !== undefined && <Notice tone="success">{notice}</Notice>}
      <ErrorMessage>{error}</ErrorMessage>
      <ErrorMessage>{list.error}</ErrorMessage>
      {list.data === undefined && list.error === undefined && <p aria-busy="true">Loading…</p>}
      {list.data !== undefined && (
        <AccountTable
          label="Administrators"
          accounts={list.data.items}
          note={(admin) => (
            <>
              {admin.id === session.administrator.id && <span class="tag">You</span>}
              {admin.signs_in_with === 'portal_link' && (
                <span class="tag" title="Signs in with portal links from the platform; no password">
                  Portal link
                </span>
              )}
            </>
          )}
          columns={[
            {
              label: 'Role',
              cell: (admin) => <span class={`role role-${admin.role}`}>{admin.role}</span>,
            },
            { label: 'Status', cell: (admin) => <StatusBadge status={admin.status} /> },
          ]}
          lastSignInAt={(admin) => admin.last_sign_in_at}
          actions={(admin) =>
            admin.id !== session.administrator.id && (
              <>
                <button
                  type="button"
                  class="button button-small"
                  onClick={() => {
                    setNewRole(admin.role)
                    setChangingRole(admin)
                  }}
                >
                  Change role <span class="visually-hidden">of {admin.username}</span>
                </button>
                <AccountActions
                  username={admin.username}
                  isDisabled={admin.status === 'disabled'}
                  onStatus={() => {
                    update(
                      admin,
                      { status: admin.status === 'active' ? 'disabled' : 'active' },
                      admin.status === 'active'
                        ? `${admin.username} is disabled and signed out.`
                        : `${admin.username} is enabled.`,
                    )
                  }}
                  onSetPassword={
                    admin.signs_in_with === 'portal_link'
                      ? undefined
                      : () => {
                          setResetting(admin)
                        }
                  }
                  onDelete={() => {
                    setDeleting(admin)
                  }}
                />
              </>
            )
          }
        />
      )}
      <CreateAdministratorDialog
        open={creating}
        onClose={() => {
          setCreating(false)
        }}
        onCreated={(admin, password) => {
          setCreating(false)
          list.reload()
          if (password !== undefined) setCreated({ username: admin.username, password })
          else setNotice(`Added ${admin.username}.`)
        }}
      />
      <Dialog
        title="Administrator added"
        open={created !== undefined}
        onClose={() => {
          setCreated(undefined)
        }}
      >
        {created !== undefined && (
          <>
            <p>
              Give <strong>{created.username}</strong> this password through a safe channel. It is
              shown only now.
            </p>
            <CopyValue id="new-admin-password" label="Password" value={created.password} secret />
            <div class="actions">
              <button
                type="button"
                class="button button-primary"
                onClick={() => {
                  setCreated(undefined)
                }}
              >
                Done
              </button>
            </div>
          </>
        )}
      </Dialog>
      <ConfirmDialog
        title={`Change the role of ${changingRole?.username ?? ''}`}
        open={changingRole !== undefined}
        onClose={() => {
          setChangingRole(undefined)
        }}
        confirmLabel="Change role"
        onConfirm={async () => {
          if (changingRole === undefined) return
          await patchAdministrator(tenant, changingRole.id, { role: newRole })
          setNotice(`${changingRole.username} is now ${newRole}.`)
          list.reload()
        }}
      >
        <RoleChoice
          name="change-role"
          value={changingRole?.role ?? 'viewer'}
          onChange={setNewRole}
        />
      </ConfirmDialog>
      <SetPasswordDialog
        account={resetting}
        id="admin-new-password"
        save={(admin, password) => patchAdministrator(tenant, admin.id, { password })}
        onClose={() => {
          setResetting(undefined)
        }}
        onDone={(admin) => {
          setResetting(undefined)
          setNotice(`Password of ${admin.username} changed.`)
          list.reload()
        }}
      />
      <ConfirmDialog
        title={`Delete ${deleting?.username ?? ''}?`}
        open={deleting !== undefined}
        onClose={() => {
          setDeleting(undefined)
        }}
        confirmLabel="Delete administrator"
        danger
        onConfirm={async () => {
          if (deleting === undefined) return
          await api.delete('/admin/v1/tenants/{tenant}/administrators/{administrator}', {
            path: { tenant, administrator: deleting.id },
          })
          setNotice(`Deleted ${deleting.username}.`)
          list.reload()
        }}
      >
        <p>
          <strong>{deleting?.username}</strong> is signed out at once and can no longer sign in.
          Their past changes stay in the audit log.
        </p>
      </ConfirmDialog>
    </div>
  )
}

function CreateAdministratorDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean
  onClose: () => void
  onCreated: (admin: Administrator, password: string | undefined) => void
}) {
  const { tenant } = useSession()
  const [role, setRole] = useState<Role>('viewer')
  const [password, setPassword] = useState('')
  return (
    <CreateAccountDialog
      title="Add administrator"
      idPrefix="admin"
      busyLabel="Adding…"
      open={open}
      onClose={onClose}
      create={async (username) =>
        (
          await api.post('/admin/v1/tenants/{tenant}/administrators', {
            path: { tenant },
            body: { username, role, ...(password !== '' && { password }) },
          })
        ).data
      }
      onCreated={(data) => {
        setPassword('')
        onCreated(data, data.password)
      }}
    >
      <RoleChoice name="admin-role" value={role} onChange={setRole} />
      <PasswordField
        id="admin-password"
        optional
        hint="Leave empty to generate one, shown once."
        value={password}
        onInput={setPassword}
      />
    </CreateAccountDialog>
  )
}

function RoleChoice({
  name,
  value,
  onChange,
}: {
  name: string
  value: Role
  onChange: (role: Role) => void
}) {
  const [chosen, setChosen] = useState(value)
  return (
    <fieldset class="field">
      <legend>Role</legend>
      {ROLES.map((r) => (
        <label class="radio radio-block" key={r.role}>
          <input
            type="radio"
            name={name}
            value={r.role}
            checked={chosen === r.role}
            onChange={() => {
              setChosen(r.role)
              onChange(r.role)
            }}
          />
          <span>
            <strong>{r.label}</strong> <span class="muted">— {r.description}</span>
          </span>
        </label>
      ))}
    </fieldset>
  )
}
