import { GITHUB_ACTIONS_ISSUER } from './credentials'

const GITLAB_ISSUER = 'https://gitlab.com'

/**
 * How a workload admitted by a trust policy puts its platform's OIDC token in
 * $CLIENT_ASSERTION, for the token requests the server writes: GitHub Actions and GitLab CI by
 * their issuer, anything else as a Kubernetes projected service-account token.
 */
export function platformTokenCommand(policy: { issuer: string; audience: string }): string {
  if (policy.issuer === GITHUB_ACTIONS_ISSUER)
    return [
      `# In the GitHub Actions job, with "permissions: id-token: write":`,
      `CLIENT_ASSERTION=$(curl -sf -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \\`,
      `  "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=${encodeURIComponent(policy.audience)}" | jq -r .value)`,
    ].join('\n')
  if (policy.issuer === GITLAB_ISSUER)
    return [
      `# In .gitlab-ci.yml, the job asks for an ID token with this audience:`,
      `#   id_tokens:`,
      `#     TOKENMINT_ID_TOKEN:`,
      `#       aud: ${policy.audience}`,
      `CLIENT_ASSERTION=$TOKENMINT_ID_TOKEN`,
    ].join('\n')
  return [
    `# A token from ${policy.issuer} with the audience "${policy.audience}". In Kubernetes,`,
    `# a projected service-account token (serviceAccountToken: audience: ${policy.audience},`,
    `# path: tokenmint), read afresh for each request: it rotates.`,
    `CLIENT_ASSERTION=$(cat /var/run/secrets/tokens/tokenmint)`,
  ].join('\n')
}
