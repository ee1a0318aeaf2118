import { describe, expect, it } from 'vitest'
import { dateTime, day, endOfDay, isMasked, label, month, percent, remaining, startOfDay } from './format'

describe('format', () => {
  it('shows instants in Beijing time', () => {
    expect(dateTime('2026-04-17T01:30:00Z')).toBe('2026-04-17 09:30')
    expect(dateTime('2026-04-17T16:30:00Z')).toBe('2026-04-18 00:30')
    expect(day('2026-04-17T16:30:00Z')).toBe('2026-04-18')
    expect(day('2026-05-17')).toBe('2026-05-17')
    expect(dateTime(null)).toBe('—')
  })

  it('starts a Beijing day at 16:00 UTC the day before', () => {
    expect(startOfDay('2026-04-18')).toBe('2026-04-17T16:00:00.000Z')
    expect(endOfDay('2026-04-18')).toBe('2026-04-18T15:59:59.000Z')
  })

  it('labels enum values in Chinese, and leaves unknown ones as they are', () => {
    expect(label('Channel', 'PEOPLES')).toBe('人民调解')
    expect(label('Channel', 'NOT_A_CHANNEL')).toBe('NOT_A_CHANNEL')
    expect(label('Channel', null)).toBe('—')
  })

  it('formats rates, months and what is left of a session', () => {
    expect(percent(0.4567)).toBe('45.7%')
    expect(percent(null)).toBe('—')
    expect(month('2026-04')).toBe('2026年4月')
    const now = new Date('2026-04-17T00:00:00Z')
    expect(remaining('2026-04-17T07:59:30Z', now)).toBe('7小时59分')
    expect(remaining('2026-04-17T00:10:00Z', now)).toBe('10分钟')
    expect(remaining('2026-04-16T00:00:00Z', now)).toBe('已过期')
  })

  it('knows a masked identifier', () => {
    expect(isMasked('510199********7900')).toBe(true)
    expect(isMasked('510199198209157900')).toBe(false)
  })
})
