import { describe, expect, it } from 'vitest'
import { enrolMessage, ingestMessage } from './errors'

describe('ingestMessage', () => {
  it('says a known code in Chinese', () => {
    expect(ingestMessage('INVALID_ID_NUMBER_CHECK_DIGIT', 'the check digit is wrong')).toBe('身份证号校验位不符，请核对是否输错一位')
  })

  it('keeps the hub message for a code it does not know', () => {
    expect(ingestMessage('DUPLICATE_IN_BATCH', 'sourceId repeated')).toBe('sourceId repeated')
  })
})

describe('enrolMessage', () => {
  it('says why a case was not enrolled, in Chinese', () => {
    expect(enrolMessage('NOT_BACKLOG', 'the case is neither tagged')).toContain('积案期限')
  })

  it('keeps the hub message for a code it does not know', () => {
    expect(enrolMessage('SOMETHING_NEW', 'why')).toBe('why')
  })
})
