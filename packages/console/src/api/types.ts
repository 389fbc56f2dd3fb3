import type { ResponseBody, RequestBody } from './client'

/** Names for the admin API's shapes, taken from the generated OpenAPI types. */
export type Tenant = ResponseBody<'/admin/v1/tenants/{tenant}', 'get'>
export type ApplicationPage = ResponseBody<'/admin/v1/tenants/{tenant}/applications', 'get'>
/** An application as lists show it. */
export type Application = ApplicationPage['items'][number]
/** One application as its page loads it, with ready-to-run token requests. */
export type ApplicationDetail = ResponseBody<
  '/admin/v1/tenants/{tenant}/applications/{clientId}',
  'get'
>
export type CreatedApplication = ResponseBody<'/admin/v1/tenants/{tenant}/applications', 'post'>
export type CreateApplicationBody = RequestBody<'/admin/v1/tenants/{tenant}/applications', 'post'>
export type UpdateApplicationBody = RequestBody<
  '/admin/v1/tenants/{tenant}/applications/{clientId}',
  'patch'
>
export type UpdatedApplication = ResponseBody<
  '/admin/v1/tenants/{tenant}/applications/{clientId}',
  'patch'
>
export type RotatedSecret = ResponseBody<
  '/admin/v1/tenants/{tenant}/applications/{clientId}/rotate-secret',
  'post'
>
export type Secret = NonNullable<Application['secrets']>[number]
/** A public key registered to a private_key_jwt application. */
export type ClientKey = NonNullable<ApplicationDetail['keys']>[number]
/** Which outside workloads (federation) may authenticate as an application. */
export type TrustPolicy = NonNullable<ApplicationDetail['trust_policies']>[number]
export type Snippets = CreatedApplication['snippets']
export type Grant = Application['grants'][number]
export type Api = ResponseBody<'/admin/v1/tenants/{tenant}/apis/{api}', 'get'>
export type Catalog = NonNullable<Api['catalog']>
export type CatalogAction = Catalog['categories'][number]['resources'][number]['actions'][number]
export type Preset = Api['presets'][number]
export type CreateApiBody = RequestBody<'/admin/v1/tenants/{tenant}/apis', 'post'>
export type AuditEvent = ResponseBody<'/admin/v1/tenants/{tenant}/audit', 'get'>['items'][number]
/** The server's closed list of audit record types. */
export type AuditEventType = AuditEvent['type']
export type User = ResponseBody<'/admin/v1/tenants/{tenant}/users/{user}', 'get'>
export type Administrator = ResponseBody<
  '/admin/v1/tenants/{tenant}/administrators/{administrator}',
  'get'
>
export type { Role, Session } from './console-paths'

export type Insights = ResponseBody<'/admin/v1/tenants/{tenant}/insights', 'get'>
export type Finding = Insights['findings'][number]
export type Leak = ResponseBody<'/admin/v1/tenants/{tenant}/leaks', 'get'>['items'][number]
export type Webhook = ResponseBody<'/admin/v1/tenants/{tenant}/webhooks', 'get'>['items'][number]
export type WebhookDelivery = ResponseBody<
  '/admin/v1/tenants/{tenant}/webhooks/{webhook}/deliveries',
  'get'
>['items'][number]
