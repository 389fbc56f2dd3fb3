import { createContext } from 'preact'
import { useContext } from 'preact/hooks'

import type { Role, Session } from '../api/types'

export interface SessionContextValue {
  session: Session
  tenant: string
  role: Role
  /** Admins and owners may change things; viewers only read. */
  canWrite: boolean
  isOwner: boolean
  signOut: () => Promise<void>
}

export const SessionContext = createContext<SessionContextValue | undefined>(undefined)

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext)
  if (value === undefined) throw new Error('useSession outside a signed-in console')
  return value
}
