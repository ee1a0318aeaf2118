// The hub's ingestion error codes (docs/ingest.md) as the sentences a grid worker reads next to a field.
const INGEST: Record<string, string> = {
  INVALID_ID_NUMBER_LENGTH: '身份证号应为 18 位',
  INVALID_ID_NUMBER_FORMAT: '身份证号应为 17 位数字加 1 位数字或 X',
  INVALID_ID_NUMBER_BIRTH_DATE: '身份证号中的出生日期不存在',
  INVALID_ID_NUMBER_CHECK_DIGIT: '身份证号校验位不符，请核对是否输错一位',
  INVALID_CREDIT_CODE_LENGTH: '统一社会信用代码应为 18 位',
  INVALID_CREDIT_CODE_FORMAT: '统一社会信用代码含有不允许的字符',
  INVALID_CREDIT_CODE_CHECK_CHAR: '统一社会信用代码校验位不符',
  INVALID_PHONE: '电话应为 11 位手机号或带区号的固定电话',
  CREDIT_CODE_ON_PERSON: '自然人不填统一社会信用代码',
  ID_NUMBER_ON_ORGANISATION: '单位不填身份证号',
  TIMESTAMP_IN_FUTURE: '发现时间不能晚于现在',
  REGION_NOT_FOUND: '所选区域不存在',
  INVALID_MISSING: '必填',
  INVALID_STRING_TOO_SHORT: '必填',
}

/** A table's Chinese sentence for a code, or the hub's own message for a code without one. */
function sentences(table: Record<string, string>): (code: string, message: string) => string {
  return (code, message) => table[code] ?? message
}

/** An ingestion error next to its field. */
export const ingestMessage = sentences(INGEST)

// Why a case was not enrolled in a campaign (enrolCampaignCases), as a coordination centre reads it.
const ENROL: Record<string, string> = {
  CASE_NOT_FOUND: '没有此编号的案件',
  CASE_OUTSIDE_REGION: '案件不在本次行动的区域内',
  CATEGORY_NOT_TARGETED: '案件类型不属于本次行动的重点领域',
  CASE_NOT_OPEN: '案件已办结，不能纳入清仓',
  NOT_BACKLOG: '案件既未标记为积案、老案、难案，立案时间也未超过积案期限',
  DUPLICATE_IN_CALL: '本次重复填写',
  ALREADY_ENROLLED: '已纳入本次行动',
  TEXT_TOO_LONG: '甄别意见过长',
}

/** A case refused by enrolCampaignCases. */
export const enrolMessage = sentences(ENROL)
