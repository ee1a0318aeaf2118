// The console's one way to the hub: POST /graphql, the same schema, permissions and audit trail
// as every agency system.
import type { TypedDocumentString } from '../graphql/generated'
import { CONSOLE_HEADER } from './session'

export interface HubError {
  message: string
  path?: (string | number)[]
  extensions?: { code?: string; field?: string; [key: string]: unknown }
}

export interface Result<T> {
  data: T | null
  errors: HubError[]
}

type Listener = (message: string) => void
let onUnauthenticated: Listener = () => {}

/** Called when the hub answers 401: the session is gone or expired. */
export function whenUnauthenticated(listener: Listener): void {
  onUnauthenticated = listener
}

export async function run<R, V>(document: TypedDocumentString<R, V>, variables?: V): Promise<Result<R>> {
  const response = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', [CONSOLE_HEADER]: '1' },
    body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
  })
  if (response.status === 401) {
    // The session is gone: the listener sends the user to sign in; the page gets an answer with no data.
    const body = await response.json().catch(() => null)
    const error: HubError = body?.errors?.[0] ?? { message: 'unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }
    onUnauthenticated(error.message)
    return { data: null, errors: [error] }
  }
  const body = await response.json()
  return { data: body.data ?? null, errors: body.errors ?? [] }
}

/** The first error of a code, if any (FORBIDDEN, NOT_FOUND, BAD_USER_INPUT ...). */
export function errorOf(result: Result<unknown>, code: string): HubError | undefined {
  return result.errors.find((e) => e.extensions?.code === code)
}
