// 消息: the agency's events as they happen, over the hub's WebSocket (graphql-transport-ws). The session
// cookie authenticates it (the hub accepts it from the console's own origin only). After a disconnection it
// subscribes again with `after` set to the last event's seq, so nothing is missed; keys already seen are
// dropped, so nothing is shown twice.
import { createClient, type Client } from 'graphql-ws'
import { reactive } from 'vue'
import { AgenciesDocument, EventsDocument, EventsPositionDocument, type EventsSubscription } from '../graphql/generated'
import { run } from './graphql'

export type HubEvent = EventsSubscription['events']
type Data = Record<string, Record<string, unknown> | undefined>

const KEEP = 30 // events listed in the bell
const WAIT_FIRST = 1_000
const WAIT_MOST = 30_000

export const feed = reactive({ recent: [] as HubEvent[], unread: 0, connected: false,
  names: {} as Record<string, string> })  // agency code → name, for the messages' words

const listeners = new Set<(event: HubEvent) => void>()
const seen = new Set<string>()
let client: Client | null = null
let running = false
let last: number | null = null
let wait = WAIT_FIRST
let timer: ReturnType<typeof setTimeout> | undefined

/** Call `listener` for each new event; returns the unsubscribe. */
export function onEvent(listener: (event: HubEvent) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

function url(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`
}

const SEEN = 1_000 // keys remembered to drop a repeat (a resumed subscription's overlap)

function take(event: HubEvent): void {
  last = Math.max(last ?? 0, event.seq)
  if (seen.has(event.key)) return
  seen.add(event.key)
  if (seen.size > SEEN) seen.delete(seen.values().next().value as string) // the oldest
  feed.recent.unshift(event)
  feed.recent.splice(KEEP)
  feed.unread += 1
  listeners.forEach((listener) => listener(event))
}

function connect(): void {
  const mine = createClient({
    url: url(), lazy: true, retryAttempts: 0, keepAlive: 20_000,
    on: { connected: () => { feed.connected = true; wait = WAIT_FIRST } },
  })
  client = mine
  const again = (reason?: unknown): void => {
    feed.connected = false
    void mine.dispose()
    if (client !== mine) return
    client = null
    // 4403: the session is gone (expired, revoked); the next page request sends the user to sign in.
    if ((reason as CloseEvent | undefined)?.code === 4403) running = false
    if (!running) return
    timer = setTimeout(connect, wait)
    wait = Math.min(wait * 2, WAIT_MOST)
  }
  mine.subscribe<EventsSubscription>({ query: EventsDocument.toString(), variables: { after: last } }, {
    next: (result) => { if (result.data?.events) take(result.data.events) },
    error: again,
    complete: again,
  })
}

/** Start listening (on sign-in): from now on, or after the last event already shown. "Now" is the outbox's
 * position read first, so an event written while the WebSocket is being set up still arrives. */
export function startEvents(): void {
  if (running) return
  running = true
  void run(EventsPositionDocument, {}).catch(() => null).then((answer) => {
    last ??= answer?.data?.eventsPosition ?? null // not read (the network): from when the subscription starts
    if (running && !client) connect()
  })
  void run(AgenciesDocument, { region: null }).then((answer) => {
    feed.names = Object.fromEntries((answer.data?.agencies ?? []).map((a) => [a.code, a.name]))
  })
}

/** Stop listening (on sign-out); what was shown is forgotten. */
export function stopEvents(): void {
  running = false
  clearTimeout(timer)
  const current = client
  client = null
  void current?.dispose()
  feed.connected = false
  feed.recent.splice(0)
  feed.unread = 0
  seen.clear()
  last = null
}

/** One line for an event, in the words of the work plan. */
export function describe(event: HubEvent): string {
  const data = (event.data ?? {}) as Data
  const name = (code: unknown): string => feed.names[String(code ?? '')] ?? String(code ?? '')
  const no = event.caseNo ?? ''
  switch (event.kind) {
    case 'CASE_HANDED_TO':
      return `${name(data.handover?.fromAgency)} 移交案件 ${no}，请接收或退回`
    case 'HANDOVER_ANSWERED':
      return `${name(data.answer?.answeredBy)} ${data.answer?.decision === 'ACCEPTED' ? '已接收' : '已退回'}移交的案件 ${no}`
    case 'PETITION_ON_CASE':
      return `案件 ${no} 有新的信访`
    case 'ESCALATED_PETITION':
      return `案件 ${no} 有越级信访`
    case 'WARNING_RAISED':
      return `预警：${data.warning?.ruleLabel ?? ''} ${no}`
    case 'DECISION_ASSIGNED':
      return `联席会议交办：${data.decision?.text ?? ''}`
    case 'DEADLINE_NEAR':
      return `期限临近：${data.deadline?.summary ?? no}`
    default:
      return no
  }
}
