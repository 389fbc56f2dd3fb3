const LABELS: Record<string, string> = {
  active: 'Active',
  revoked: 'Revoked',
  expired: 'Expired',
  disabled: 'Disabled',
  locked: 'Locked',
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{LABELS[status] ?? status}</span>
}
