// The console's session: the token lives in the hub's HttpOnly cookie; requests name themselves
// with CONSOLE_HEADER so the hub accepts the cookie (a page of another site cannot send it).
export const CONSOLE_HEADER = 'X-Hub-Console'

export class SignInFailed extends Error {}

async function failure(response: Response): Promise<string> {
  try {
    const body = await response.json()
    return body?.errors?.[0]?.message ?? `HTTP ${response.status}`
  } catch {
    return `HTTP ${response.status}`
  }
}

export async function signIn(token: string): Promise<void> {
  const response = await fetch('/console/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', [CONSOLE_HEADER]: '1' },
    body: JSON.stringify({ token }),
  })
  if (!response.ok) throw new SignInFailed(await failure(response))
}

export async function signOut(): Promise<void> {
  await fetch('/console/session', { method: 'DELETE', credentials: 'same-origin' })
}
