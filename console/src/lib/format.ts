// Every date, label and identifier the console shows is formatted here, and only here.
import { LABELS } from '../graphql/labels.generated'

const TIME_ZONE = 'Asia/Shanghai'

const dateTimeParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
})

function parts(value: string | Date): Record<string, string> {
  const date = typeof value === 'string' ? new Date(value) : value
  return Object.fromEntries(dateTimeParts.formatToParts(date).map((p) => [p.type, p.value]))
}

/** 2026-04-17 09:30, in Beijing time. */
export function dateTime(value: string | Date | null | undefined): string {
  if (!value) return '—'
  const p = parts(value)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** 2026-04-17: a DateTime in Beijing time, or a Date as it is. */
export function day(value: string | Date | null | undefined): string {
  if (!value) return '—'
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value
  const p = parts(value)
  return `${p.year}-${p.month}-${p.day}`
}

/** Today in Beijing, as YYYY-MM-DD. */
export function today(now: Date = new Date()): string {
  return day(now)
}

/** The Chinese label of an enum value, e.g. label('CaseStatus', 'IN_MEDIATION') → 调解中. */
export function label(enumName: string, value: string | null | undefined): string {
  if (value == null) return '—'
  return LABELS[enumName]?.[value] ?? value
}

/** Options for a select: every value of an enum with its label. */
export function options(enumName: string): { value: string; label: string }[] {
  return Object.entries(LABELS[enumName] ?? {}).map(([value, text]) => ({ value, label: text }))
}

/** An identifier as the hub sent it (masked unless the user holds `pii`); absent: a dash. */
export function identifier(value: string | null | undefined): string {
  return value ? value : '—'
}

/** Whether the hub masked a value (it replaces the hidden characters with *). */
export function isMasked(value: string | null | undefined): boolean {
  return !!value && value.includes('*')
}

/** 0.4567 → 45.7% */
export function percent(rate: number | null | undefined): string {
  return rate == null ? '—' : `${(rate * 100).toFixed(1)}%`
}

/** The month key of a summary group (2026-04) as users read it: 2026年4月. */
export function month(key: string | null | undefined): string {
  const match = key?.match(/^(\d{4})-(\d{2})$/)
  return match ? `${match[1]}年${Number(match[2])}月` : (key ?? '—')
}

/** The UTC instant where a Beijing calendar day starts (for date-range filters). */
export function startOfDay(isoDay: string): string {
  return new Date(`${isoDay}T00:00:00+08:00`).toISOString()
}

/** The UTC instant where a Beijing calendar day ends (a deadline "by that day"). */
export function endOfDay(isoDay: string): string {
  return new Date(`${isoDay}T23:59:59+08:00`).toISOString()
}

/** Time left until an expiry, in words: 7小时59分, or 已过期. */
export function remaining(expiresAt: string | null | undefined, now: Date = new Date()): string {
  if (!expiresAt) return '—'
  const minutes = Math.floor((new Date(expiresAt).getTime() - now.getTime()) / 60000)
  if (minutes <= 0) return '已过期'
  const hours = Math.floor(minutes / 60)
  return hours > 0 ? `${hours}小时${minutes % 60}分` : `${minutes}分钟`
}
