import type { Application } from '../../domain/model.js'

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/**
 * Ready-to-run token requests for a new application. Only the secret is left as a
 * placeholder ($CLIENT_SECRET), so the snippets can be shown again later without it.
 */
export function tokenRequestSnippets(input: {
  tokenEndpoint: string
  clientId: string
  audience: string | null
  scopes: string[]
  authMethod?: Application['tokenEndpointAuthMethod']
}) {
  if (input.authMethod === 'private_key_jwt') return assertionSnippets(input)
  const scope = input.scopes.join(' ')
  const json = JSON.stringify({
    client_id: input.clientId,
    client_secret: '__SECRET__',
    ...(input.audience !== null && { audience: input.audience }),
    grant_type: 'client_credentials',
    ...(scope !== '' && { scope }),
  }).replace('"__SECRET__"', `"'"$CLIENT_SECRET"'"`)
  const form = [
    `-d grant_type=client_credentials`,
    `-d client_id=${input.clientId}`,
    `-d "client_secret=$CLIENT_SECRET"`,
    ...(input.audience !== null ? [`--data-urlencode "audience=${input.audience}"`] : []),
    ...(scope !== '' ? [`--data-urlencode "scope=${scope}"`] : []),
  ].join(' \\\n  ')
  const basicExtra = [
    ...(input.audience !== null ? [`--data-urlencode "audience=${input.audience}"`] : []),
    ...(scope !== '' ? [`--data-urlencode "scope=${scope}"`] : []),
  ]
  return {
    token_endpoint: input.tokenEndpoint,
    audience: input.audience,
    curl: `curl -s ${input.tokenEndpoint} \\\n  -H 'content-type: application/json' \\\n  -d '${json}'`,
    curl_form: `curl -s ${input.tokenEndpoint} \\\n  ${form}`,
    curl_basic: [
      `curl -s ${input.tokenEndpoint}`,
      `-u "${input.clientId}:$CLIENT_SECRET"`,
      `-d grant_type=client_credentials`,
      ...basicExtra,
    ].join(' \\\n  '),
    typescript: [
      `import { createTokenSource } from '@tokenmint/client'`,
      ``,
      `const tokens = createTokenSource({`,
      `  tokenUrl: '${input.tokenEndpoint}',`,
      `  clientId: '${input.clientId}',`,
      `  clientSecret: process.env.CLIENT_SECRET!,`,
      ...(input.audience !== null ? [`  audience: '${input.audience}',`] : []),
      ...(scope !== '' ? [`  scope: '${scope}',`] : []),
      `})`,
      `const response = await tokens.authFetch('${input.audience ?? 'https://api.example.com'}/…')`,
    ].join('\n'),
    python: [
      `import os, requests`,
      ``,
      `response = requests.post(`,
      `    "${input.tokenEndpoint}",`,
      `    auth=("${input.clientId}", os.environ["CLIENT_SECRET"]),`,
      `    data={"grant_type": "client_credentials"${input.audience !== null ? `, "audience": "${input.audience}"` : ''}${scope !== '' ? `, "scope": "${scope}"` : ''}},`,
      `    timeout=10,`,
      `)`,
      `response.raise_for_status()`,
      `access_token = response.json()["access_token"]`,
    ].join('\n'),
  }
}

/**
 * The same for an application without a secret: the client assertion ($CLIENT_ASSERTION) is a
 * private_key_jwt assertion signed with its key, or a workload's platform token.
 */
function assertionSnippets(input: {
  tokenEndpoint: string
  clientId: string
  audience: string | null
  scopes: string[]
}) {
  const scope = input.scopes.join(' ')
  const json = JSON.stringify({
    client_id: input.clientId,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: '__ASSERTION__',
    ...(input.audience !== null && { audience: input.audience }),
    grant_type: 'client_credentials',
    ...(scope !== '' && { scope }),
  }).replace('"__ASSERTION__"', `"'"$CLIENT_ASSERTION"'"`)
  const form = [
    `curl -s ${input.tokenEndpoint}`,
    `-d grant_type=client_credentials`,
    `-d client_id=${input.clientId}`,
    `-d client_assertion_type=${ASSERTION_TYPE}`,
    `-d "client_assertion=$CLIENT_ASSERTION"`,
    ...(input.audience !== null ? [`--data-urlencode "audience=${input.audience}"`] : []),
    ...(scope !== '' ? [`--data-urlencode "scope=${scope}"`] : []),
  ].join(' \\\n  ')
  return {
    token_endpoint: input.tokenEndpoint,
    audience: input.audience,
    curl: `curl -s ${input.tokenEndpoint} \\\n  -H 'content-type: application/json' \\\n  -d '${json}'`,
    curl_form: form,
    // No HTTP Basic without a secret: the form request is the portable one.
    curl_basic: form,
    typescript: [
      `import { createTokenSource, tokenFile } from '@tokenmint/client'`,
      ``,
      `const tokens = createTokenSource({`,
      `  tokenUrl: '${input.tokenEndpoint}',`,
      `  clientId: '${input.clientId}',`,
      `  // A workload's platform token, read again for each request (or githubActionsToken(),`,
      `  // or privateKeyJwt({ privateKey, kid }) for an application with registered keys).`,
      `  clientAssertion: tokenFile('/var/run/secrets/tokens/tokenmint'),`,
      ...(input.audience !== null ? [`  audience: '${input.audience}',`] : []),
      ...(scope !== '' ? [`  scope: '${scope}',`] : []),
      `})`,
      `const response = await tokens.authFetch('${input.audience ?? 'https://api.example.com'}/…')`,
    ].join('\n'),
    python: [
      `import os, requests`,
      ``,
      `response = requests.post(`,
      `    "${input.tokenEndpoint}",`,
      `    data={`,
      `        "grant_type": "client_credentials",`,
      `        "client_id": "${input.clientId}",`,
      `        "client_assertion_type": "${ASSERTION_TYPE}",`,
      `        "client_assertion": os.environ["CLIENT_ASSERTION"],`,
      ...(input.audience !== null ? [`        "audience": "${input.audience}",`] : []),
      ...(scope !== '' ? [`        "scope": "${scope}",`] : []),
      `    },`,
      `    timeout=10,`,
      `)`,
      `response.raise_for_status()`,
      `access_token = response.json()["access_token"]`,
    ].join('\n'),
  }
}

/** One ready-to-run token request per granted API, the secret a placeholder. */
export function tokenRequests(application: Application, issuer: string) {
  const grants = application.grants.length > 0 ? application.grants : [undefined]
  return grants.map((grant) =>
    tokenRequestSnippets({
      tokenEndpoint: `${issuer}/oauth/token`,
      clientId: application.clientId,
      audience: grant?.audience ?? null,
      scopes: grant?.scopes ?? [],
      authMethod: application.tokenEndpointAuthMethod,
    }),
  )
}
