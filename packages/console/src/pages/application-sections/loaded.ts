import type { ApplicationDetail as Application } from '../../api/types'

export interface Loaded {
  app: Application
  etag: string | undefined
}
