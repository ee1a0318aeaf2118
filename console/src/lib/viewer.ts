// Who is signed in, as the hub's `viewer` query says; loaded once after sign-in.
import { reactive } from 'vue'
import { ViewerDocument, type ViewerQuery } from '../graphql/generated'
import { run } from './graphql'

export type Viewer = ViewerQuery['viewer']

export const session = reactive<{ viewer: Viewer | null; notice: string }>({ viewer: null, notice: '' })

let pending: Promise<Viewer | null> | null = null

/** Ask the hub who is signed in; callers at the same moment share one request. */
export function loadViewer(): Promise<Viewer | null> {
  pending ??= run(ViewerDocument)
    .then((result) => (session.viewer = result.data?.viewer ?? null))
    .catch(() => (session.viewer = null))
    .finally(() => { pending = null })
  return pending
}
