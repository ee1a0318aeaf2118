"""The Chinese names users know for the domain's codes, for summaries, reports and the GraphQL schema."""

from __future__ import annotations

CATEGORY = {
    "LAND_ACQUISITION": "征地拆迁", "LABOUR": "劳动争议", "ENVIRONMENT": "环境污染", "MEDICAL": "医疗纠纷",
    "TRAFFIC_ACCIDENT": "交通事故", "PRIVATE_LENDING": "民间借贷", "PROPERTY_MANAGEMENT": "物业管理",
    "INTELLECTUAL_PROPERTY": "知识产权", "FOOD_DRUG_SAFETY": "食品药品安全", "NEIGHBOUR": "邻里纠纷",
    "MARRIAGE_FAMILY": "婚姻家庭", "CONTRACT": "合同纠纷", "MILITARY_RELATED": "涉军", "ENTERPRISE_RESTRUCTURING": "企业改制",
    "OTHER": "其他",
}
CHANNEL = {
    "PEOPLES": "人民调解", "ADMINISTRATIVE": "行政调解", "JUDICIAL": "司法调解", "SOCIAL": "社会调解",
    "PETITION": "信访", "STABILITY": "维稳",
}
AGENCY_KIND = {
    "PEOPLES_MEDIATION_COMMITTEE": "人民调解委员会", "ADMINISTRATIVE_DEPARTMENT": "行政部门", "COURT": "法院",
    "JUSTICE_BUREAU": "司法局", "PETITION_BUREAU": "信访局", "STABILITY_OFFICE": "维稳办",
    "GOVERNANCE_CENTRE": "综治中心", "SOCIAL_MEDIATION_ORG": "社会调解组织", "COORDINATION_CENTRE": "大调解协调中心",
}
STATUS = {
    "SCREENED": "已排查", "ACCEPTED": "已受理", "IN_MEDIATION": "调解中", "RESOLVED": "调解成功",
    "FAILED": "调解不成", "REFERRED": "已导入其他程序", "CLOSED": "已撤回",
}
RISK_LEVEL = {"LOW": "低", "MEDIUM": "中", "HIGH": "高", "MAJOR": "重大"}
REFERRAL_TARGET = {
    "ARBITRATION": "仲裁", "ADMINISTRATIVE_RULING": "行政裁决", "ADMINISTRATIVE_RECONSIDERATION": "行政复议",
    "LITIGATION": "诉讼", "CRIMINAL_RECONCILIATION": "刑事和解", "SETTLEMENT": "和解",
}
REFERRAL_STATUS = {"REFERRED": "已引导", "FILED": "已受理(立案)", "DECIDED": "已裁决(结案)"}
REFERRAL_OUTCOME = {
    "UPHELD": "支持请求", "PARTLY_UPHELD": "部分支持", "DISMISSED": "驳回(不予支持)", "SETTLED": "调解(和解)结案",
    "WITHDRAWN": "撤回(撤诉)",
}
MEETING_LEVEL = {"DISTRICT": "区级", "TOWNSHIP": "乡镇(街道)级"}
RECORD_KIND = {
    "SCREENING": "排查", "INTAKE": "受理", "MEDIATION_SESSION": "调解", "AGREEMENT": "调解协议",
    "JUDICIAL_CONFIRMATION": "司法确认", "HANDOVER": "移交", "HANDOVER_RESPONSE": "移交答复", "ESCALATION": "上报", "REFERRAL": "导入其他程序",
    "PETITION": "信访", "STABILITY_ASSESSMENT": "风险评估", "STABILITY_PLAN": "稳控方案", "FOLLOW_UP": "回访",
    "CLOSURE": "结案", "DETERMINATION": "认定",
}
CASE_FACT = {"CATEGORY": "纠纷类别", "RISK_LEVEL": "风险等级", "AMOUNT_IN_DISPUTE": "争议金额", "RESPONSIBLE_PERSON": "责任人",
             "DEADLINE": "办理时限"}
CASE_FIELD = {"STATUS": "状态", "RISK_LEVEL": "风险等级", "CATEGORY": "纠纷类别", "LEAD_AGENCY": "牵头单位",
              "RESPONSIBLE_PERSON": "责任人", "DEADLINE": "办理时限", "AMOUNT_IN_DISPUTE": "争议金额", "TAG": "标签"}
PROVENANCE_RULE = {
    "OPENING_RECORD": "立案记录所述", "LATEST_RECORD": "最新记录", "LATEST_ASSESSMENT": "最新风险评估",
    "HIGHEST_RISK": "所述最高风险", "LEAD_PRECEDENCE": "牵头单位规则", "DETERMINATION": "协调中心认定",
    "DERIVED": "多条记录推算", "DEFAULT": "默认值",
}
CASE_TAG = {
    "BACKLOG": "积案", "OLD": "老案", "DIFFICULT": "难案", "MASS": "群体性纠纷", "ESCALATED": "越级信访",
    "TYPICAL": "典型案例", "CAMPAIGN": "专项行动",
}
CLOSURE_OUTCOME = {"RESOLVED": "调解成功", "FAILED": "调解不成", "REFERRED": "导入其他程序", "WITHDRAWN": "撤回"}
SESSION_OUTCOME = {"CONTINUING": "继续调解", "AGREED": "达成协议", "FAILED": "调解不成"}
SCREENING_MODE = {"ROLLING": "滚动排查", "CENTRALISED": "集中排查", "SPECIAL": "专项排查"}
PETITION_FORM = {"LETTER": "来信", "VISIT": "来访", "ONLINE": "网上信访", "PHONE": "电话"}
PETITION_LEVEL = {"TOWNSHIP": "乡镇", "DISTRICT": "区", "CITY": "市", "PROVINCE": "省", "BEIJING": "北京"}
PARTY_ROLE = {"APPLICANT": "申请人", "RESPONDENT": "被申请人", "PETITIONER": "信访人", "THIRD_PARTY": "第三人"}
PARTY_KIND = {"NATURAL": "自然人", "ORGANISATION": "组织"}
VISIBILITY = {"NORMAL": "普通", "RESTRICTED": "维稳情报"}
REGION_LEVEL = {"DISTRICT": "区", "TOWNSHIP": "乡镇(街道)", "VILLAGE": "村(社区)", "GRID": "网格"}
MEDIATOR_KIND = {
    "FULL_TIME": "专职调解员", "PART_TIME": "兼职调解员", "GRID_WORKER": "网格员", "LAWYER": "律师", "VOLUNTEER": "志愿者",
}
DECISION_STATUS = {"OPEN": "待落实", "DONE": "已落实"}
SEVERITY = {"CRITICAL": "红色", "HIGH": "橙色", "MEDIUM": "黄色"}
SUMMARY_DIMENSION = {
    "AGENCY": "单位", "AGENCY_KIND": "单位类型", "CHANNEL": "调解渠道", "CATEGORY": "纠纷类型", "TOWNSHIP": "乡镇(街道)",
    "MONTH": "月份",
}
CASE_ORDER = {
    "OPENED_AT_DESC": "受理时间从新到旧", "OPENED_AT_ASC": "受理时间从旧到新", "LAST_ACTIVITY_DESC": "最近办理在前",
    "CASE_NO_ASC": "案件编号顺序",
}
INGEST_STATUS = {"CREATED": "新增", "UPDATED": "更新", "UNCHANGED": "无变化", "REJECTED": "拒收"}
AUDIT_OUTCOME = {"OK": "成功", "DENIED": "拒绝", "FAILED": "出错"}
APPOINTMENT_STATUS = {"APPOINTED": "在聘", "EXPIRED": "聘期届满", "DISMISSED": "解聘"}
TRAINING_KIND = {"COURSE": "培训课程", "GUIDANCE": "对口指导"}
NOTICE_INDICATOR = {
    "SCREENINGS_REPORTED": "排查上报数", "RESOLUTION_RATE": "调解成功率", "MEDIAN_DAYS_TO_RESOLUTION": "化解用时中位数(天)",
    "BACKLOG_CLEARED": "积案化解数", "OVERDUE_HANDOVERS": "逾期未接收移交", "ESCALATED_PETITIONS_PER_100": "每百件越级信访",
    "TRAINING_HOURS": "调解员培训学时",
}
NOTICE_STATUS = {"DRAFT": "草稿", "PUBLISHED": "已发布"}
NOTICE_UNIT_KIND = {"TOWNSHIP": "乡镇(街道)", "AGENCY": "单位"}
TYPICAL_CASE_STATUS = {"NOMINATED": "已推荐", "SELECTED": "已入选", "REJECTED": "未入选"}
BACKLOG_KIND = {"ACCUMULATED": "积案", "OLD": "老案", "DIFFICULT": "难案", "HARD_BONE": "骨头案", "NAIL": "钉子案"}
RESPONSIBILITY_LEVEL = {"DISTRICT": "区级", "TOWNSHIP": "乡镇(街道)级", "VILLAGE": "村(社区)级"}
ESCALATION_STAGE = {"UNIT": "责任单位", "COORDINATION_CENTRE": "大调解协调中心", "PARTY_GOVERNMENT": "党委、政府"}
CLEARANCE_OUTCOME = {"RESOLVED": "化解", "LAWFUL_CHANNEL": "依法导入法定途径", "PETITION_ENDED": "息诉罢访",
                     "CONCLUDED": "依法终结"}
CAMPAIGN_STEP = {"ENROLLED": "纳入清仓", "ASSIGNED": "明确责任", "ESCALATED": "提级协调", "CLEARED": "消案"}
CAMPAIGN_DIMENSION = {"TOWNSHIP": "乡镇(街道)", "LEVEL": "责任层级", "KIND": "案件类别"}
HANDOVER_MODE = {"TRANSFER": "转办", "ASSIGN": "交办", "REFER": "移送"}
HANDOVER_DECISION = {"ACCEPTED": "接收", "RETURNED": "退回"}
HANDOVER_STATUS = {"PENDING": "待接收", "ACCEPTED": "已接收", "RETURNED": "已退回"}
