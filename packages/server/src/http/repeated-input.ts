import type { FastifyInstance, FastifyRequest } from 'fastify'

/**
 * The first member name that occurs twice in the top-level object of `json`, text that
 * `JSON.parse` has already accepted. `JSON.parse` keeps the last of repeated names silently, so
 * `{"password":"guess","password":"real"}` means one thing to a proxy or log that reads the
 * first and another to us; RFC 6749 §3.2 forbids repeated parameters, JSON or not.
 * Only the top level matters: nested values are never parameters. One pass, linear.
 */
export function repeatedMemberName(json: string): string | undefined {
  const names = new Set<string>()
  let depth = 0
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (c === 0x7b || c === 0x5b)
      depth++ // { [
    else if (c === 0x7d || c === 0x5d)
      depth-- // } ]
    else if (c === 0x22) {
      const start = i
      for (i++; i < json.length && json.charCodeAt(i) !== 0x22; i++)
        if (json.charCodeAt(i) === 0x5c) i++
      if (depth !== 1) continue
      // In an object, a string followed by a colon is a name; any other string is a value.
      let next = i + 1
      while (/[ \t\n\r]/.test(json.charAt(next))) next++
      if (json.charAt(next) !== ':') continue
      const name = JSON.parse(json.slice(start, i + 1)) as string
      if (names.has(name)) return name
      names.add(name)
    }
  }
  return undefined
}

/**
 * Replaces the context's JSON parser with Fastify's own (same limits, same prototype-poisoning
 * refusal, same errors) followed by a check for repeated top-level members.
 */
export function refuseRepeatedJsonMembers(
  app: FastifyInstance,
  refusal: (name: string) => Error,
): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    void parse(request, body as string, (error, value) => {
      if (error !== null) {
        done(error, undefined)
        return
      }
      const repeated = repeatedMemberName(body as string)
      if (repeated === undefined) done(null, value)
      else done(refusal(repeated), undefined)
    })
  })
}

/**
 * Whether the request carries header `name` more than once. Node keeps only the first of
 * repeated singleton headers such as Authorization and drops the rest unseen, so a proxy that
 * reads the last one and this server would act on different credentials.
 */
export function hasRepeatedHeader(request: FastifyRequest, name: string): boolean {
  const raw = request.raw.rawHeaders
  let count = 0
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === name && ++count > 1) return true
  }
  return false
}
