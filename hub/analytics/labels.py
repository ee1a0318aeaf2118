"""The Chinese names users know for the domain's codes, for summaries and reports."""

from __future__ import annotations

CATEGORY = {
    "LAND_ACQUISITION": "征地拆迁", "LABOUR": "劳动争议", "ENVIRONMENT": "环境污染", "MEDICAL": "医疗纠纷",
    "TRAFFIC_ACCIDENT": "交通事故", "PRIVATE_LENDING": "民间借贷", "PROPERTY_MANAGEMENT": "物业管理",
    "INTELLECTUAL_PROPERTY": "知识产权", "FOOD_DRUG_SAFETY": "食品药品安全", "NEIGHBOUR": "邻里纠纷",
    "MARRIAGE_FAMILY": "婚姻家庭", "CONTRACT": "合同纠纷", "OTHER": "其他",
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
    "LITIGATION": "诉讼",
}
MEETING_LEVEL = {"DISTRICT": "区级", "TOWNSHIP": "乡镇(街道)级"}
RECORD_KIND = {
    "SCREENING": "排查", "INTAKE": "受理", "MEDIATION_SESSION": "调解", "AGREEMENT": "调解协议",
    "JUDICIAL_CONFIRMATION": "司法确认", "HANDOVER": "移交", "ESCALATION": "上报", "REFERRAL": "导入其他程序",
    "PETITION": "信访", "STABILITY_ASSESSMENT": "风险评估", "STABILITY_PLAN": "稳控方案", "FOLLOW_UP": "回访",
    "CLOSURE": "结案",
}
