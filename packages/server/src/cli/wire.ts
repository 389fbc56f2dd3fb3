// The admin API's wire types, as its OpenAPI document declares them: http/admin/schemas.ts is
// what generates /admin/v1/openapi.json, so the CLI reads its types from the same source the
// console's generated types come from, and a change to a response shows up here at compile time.
import type { Static } from 'typebox'

import type * as C from '../http/admin/config-schema.js'
import type * as S from '../http/admin/schemas.js'

export type TenantView = Static<typeof S.Tenant>
export type CreatedTenantView = Static<typeof S.CreatedTenant>
export type ExistingTenantView = Static<typeof S.ExistingTenant>
export type ApiView = Static<typeof S.Api>
export type UpdatedApiView = Static<typeof S.UpdatedApi>
export type ApplicationView = Static<typeof S.Application>
export type ApplicationDetailView = Static<typeof S.ApplicationDetail>
export type CreatedApplicationView = Static<typeof S.CreatedApplication>
export type UpdatedApplicationView = Static<typeof S.UpdatedApplication>
export type ApplicationPageView = Static<typeof S.ApplicationPage>
export type RotatedSecretView = Static<typeof S.RotatedSecret>
export type SigningKeyView = Static<typeof S.SigningKey>
export type RotatedKeysView = Static<typeof S.RotatedKeys>
export type AuditPageView = Static<typeof S.AuditPage>
export type UserView = Static<typeof S.User>
export type UserPageView = Static<typeof S.UserPage>
export type AdministratorView = Static<typeof S.Administrator>
export type CreatedAdministratorView = Static<typeof S.CreatedAdministrator>
export type AdministratorListView = Static<typeof S.AdministratorList>
export type ConfigFileView = Static<typeof C.ConfigFile>
export type ConfigPlanView = Static<typeof C.ConfigPlan>
export type AppliedConfigView = Static<typeof C.AppliedConfig>
