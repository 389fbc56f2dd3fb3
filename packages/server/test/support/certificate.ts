import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/**
 * A self-signed P-256 certificate valid one day, made with the openssl CLI into `dir`, for the
 * names and addresses in `subjectAltName` (e.g. `IP:127.0.0.1,DNS:localhost`). Tests serve with
 * it and give it to Tokenmint as the CA to trust.
 */
export function makeTestCertificate(
  dir: string,
  commonName: string,
  subjectAltName: string,
): { cert: string; key: string; certFile: string } {
  const certFile = path.join(dir, 'cert.pem')
  const keyFile = path.join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      `subjectAltName=${subjectAltName}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  )
  return {
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile, 'utf8'),
    certFile,
  }
}
