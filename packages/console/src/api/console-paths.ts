/**
 * The console's own session routes (`/console/api/session`), which the admin API's OpenAPI
 * document does not describe, in the shape openapi-typescript generates so that the same
 * typed `request()` covers them.
 */

type Json<T> = { content: { 'application/json': T } }
type NoContent = { content?: never }
type Problem = Json<{ type: string; title: string; status: number; detail: string }>

export type Role = 'owner' | 'admin' | 'viewer'

export interface Session {
  csrf_token: string
  administrator: { id: string; username: string; role: Role; tenant: string }
  expires_at: string
}

export interface ConsolePaths {
  '/console/api/session': {
    get: { responses: { 200: Json<Session>; 401: Problem } }
    post: {
      requestBody: Json<{ tenant: string; username: string; password: string }>
      responses: { 200: Json<Session>; 401: Problem; 429: Problem }
    }
    delete: { responses: { 204: NoContent } }
  }
  '/console/api/portal-session': {
    post: {
      requestBody: Json<{ link: string }>
      responses: { 200: Json<Session & { return_url: string | null }>; 401: Problem; 403: Problem }
    }
  }
}
