"""Word lists and reference tables of the fictitious district 清河区 (code 510199).

Pure data: Chinese names, regions, agencies, organisations and the phrases the case
histories are written with. Identifiers are English, the data is Chinese.
"""

from __future__ import annotations

from typing import Any

DISTRICT_CODE = "510199"
DISTRICT_NAME = "清河区"
PROVINCE = "四川省"

# Common surnames appear more than once so they are drawn more often.
SURNAMES = (
    "王王王李李李张张张刘刘刘陈陈陈杨杨黄黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭"
    "曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢钟谭廖贾夏付方邹熊秦邱江尹薛段雷侯龙史陶黎贺"
    "顾毛郝龚邵万严覃戴向汤"
)
MALE_GIVEN = "伟强军勇杰磊涛明超斌刚平辉鹏华飞波成建国志文德林海峰宇浩俊鑫凯东兵川龙福贵清富顺永胜"
FEMALE_GIVEN = "芳娟敏静丽艳霞燕玲红梅琳莉婷雪慧秀英兰琴萍蓉倩颖洁露佳月凤珍桂春霜"

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "199",
)

# Townships (乡镇 / 街道) in code order, each with its villages (村) or communities (社区).
TOWNSHIPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("清河街道", ("滨河社区", "文昌社区", "新华社区", "望江社区")),
    ("东城街道", ("东苑社区", "春晖社区", "玉带社区", "和平社区")),
    ("柳林镇", ("桃源村", "杨柳村", "柳林社区", "双桥村")),
    ("白鹤镇", ("白鹤村", "红星村", "长青村", "鹤鸣村")),
    ("石桥镇", ("石桥社区", "高桥村", "永丰村", "龙潭村")),
    ("青山镇", ("青山村", "松林村", "团结村")),
    ("双河乡", ("双河村", "三合村", "新民村", "光明村")),
    ("云溪乡", ("云溪村", "友谊村", "胜利村", "金竹村")),
)
STREETS = ("清河路", "滨河路", "文昌街", "新华路", "建设路", "人民路", "东风路", "春晖街", "望江路", "桂花巷")

# District-level agencies: (code, name, AgencyKind value, region code, parent code).
DISTRICT_AGENCIES: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("QH-CC", "清河区大调解协调中心", "COORDINATION_CENTRE", DISTRICT_CODE, None),
    ("QH-SFJ", "清河区司法局", "JUSTICE_BUREAU", DISTRICT_CODE, None),
    ("QH-XFJ", "清河区信访局", "PETITION_BUREAU", DISTRICT_CODE, None),
    ("QH-WWB", "中共清河区委维稳办", "STABILITY_OFFICE", DISTRICT_CODE, None),
    ("QH-ZZZX", "清河区综治中心", "GOVERNANCE_CENTRE", DISTRICT_CODE, None),
    ("QH-RSJ", "清河区人力资源和社会保障局", "ADMINISTRATIVE_DEPARTMENT", DISTRICT_CODE, None),
    ("QH-WJJ", "清河区卫生健康局", "ADMINISTRATIVE_DEPARTMENT", DISTRICT_CODE, None),
    ("QH-JJDD", "清河区公安分局交通警察大队", "ADMINISTRATIVE_DEPARTMENT", DISTRICT_CODE, None),
    ("QH-ZJJ", "清河区住房和城乡建设局", "ADMINISTRATIVE_DEPARTMENT", DISTRICT_CODE, None),
    ("QH-ZRZYJ", "清河区自然资源局", "ADMINISTRATIVE_DEPARTMENT", DISTRICT_CODE, None),
    ("QH-STHJJ", "清河区生态环境局", "ADMINISTRATIVE_DEPARTMENT", DISTRICT_CODE, None),
    ("QH-SCJGJ", "清河区市场监督管理局", "ADMINISTRATIVE_DEPARTMENT", DISTRICT_CODE, None),
    ("QH-FY", "清河区人民法院", "COURT", DISTRICT_CODE, None),
    ("QH-FY-LL", "清河区人民法院柳林人民法庭", "COURT", "510199003", "QH-FY"),
    ("QH-FY-SQ", "清河区人民法院石桥人民法庭", "COURT", "510199005", "QH-FY"),
    ("QH-YTW", "清河区医疗纠纷人民调解委员会", "SOCIAL_MEDIATION_ORG", DISTRICT_CODE, "QH-SFJ"),
    ("QH-LSTJ", "清河区律师调解工作室", "SOCIAL_MEDIATION_ORG", DISTRICT_CODE, "QH-SFJ"),
)
# The people's tribunal serving each township (by township number); the rest go to QH-FY.
TRIBUNAL_OF_TOWNSHIP = {3: "QH-FY-LL", 4: "QH-FY-LL", 5: "QH-FY-SQ", 6: "QH-FY-SQ", 7: "QH-FY-SQ"}
# The department in charge of each category (谁主管谁负责); MEDICAL may also go to QH-YTW.
DEPARTMENT_OF = {
    "LABOUR": "QH-RSJ",
    "MEDICAL": "QH-WJJ",
    "TRAFFIC_ACCIDENT": "QH-JJDD",
    "PROPERTY_MANAGEMENT": "QH-ZJJ",
    "LAND_ACQUISITION": "QH-ZRZYJ",
    "ENVIRONMENT": "QH-STHJJ",
    "FOOD_DRUG_SAFETY": "QH-SCJGJ",
    "INTELLECTUAL_PROPERTY": "QH-SCJGJ",
    "ENTERPRISE_RESTRUCTURING": "QH-RSJ",
}
# Where responsibility is unclear a dispute may be passed round these departments, in this order.
PASSED_AROUND = {
    "LAND_ACQUISITION": ("QH-ZRZYJ", "QH-ZJJ", "QH-STHJJ"),
    "ENVIRONMENT": ("QH-STHJJ", "QH-ZRZYJ", "QH-SCJGJ"),
    "PROPERTY_MANAGEMENT": ("QH-ZJJ", "QH-SCJGJ", "QH-ZRZYJ"),
    "FOOD_DRUG_SAFETY": ("QH-SCJGJ", "QH-WJJ", "QH-STHJJ"),
}
# Systems that record only name and phone of natural persons, never the ID number.
ID_LESS_AGENCIES = frozenset({"QH-ZJJ", "QH-SCJGJ", "QH-STHJJ", "QH-LSTJ"})

# Relative frequency of each category: everyday disputes first, IP and food/drug rare.
CATEGORY_WEIGHTS = {
    "NEIGHBOUR": 20, "MARRIAGE_FAMILY": 15, "LABOUR": 13, "TRAFFIC_ACCIDENT": 11,
    "PROPERTY_MANAGEMENT": 10, "CONTRACT": 7, "PRIVATE_LENDING": 7, "LAND_ACQUISITION": 4,
    "MEDICAL": 4, "OTHER": 4, "ENVIRONMENT": 3, "INTELLECTUAL_PROPERTY": 1, "FOOD_DRUG_SAFETY": 1,
    "MILITARY_RELATED": 1, "ENTERPRISE_RESTRUCTURING": 1,
}

# Per category: issues, each with what the applicant demands and agreement terms
# (template with {app} {resp} {amount} {days}, amount range in yuan; 0 = no sum), screening
# colour that fits every issue, and the field named in handovers.
CATEGORY_TEXT: dict[str, dict[str, Any]] = {
    "NEIGHBOUR": dict(
        domain="相邻关系",
        details=("双方多次发生口角，有激化苗头", "曾发生推搡，经村干部劝阻暂时平息", "矛盾已持续近半年", "双方互不相让"),
        issues={
            "宅基地边界": ("重新确定边界", (("双方以原有界桩为准重新确定边界，{resp}于{days}日内拆除越界部分", 0, 0),)),
            "排水沟渠堵塞": ("疏通排水沟渠", (("{resp}负责疏通排水沟渠并承担费用{amount}元", 300, 3000),)),
            "房屋滴水": ("排除妨碍并赔偿损失", (("{resp}加装檐沟并补偿{app}墙体损失{amount}元", 500, 8000),)),
            "通行道路": ("恢复通行", (("{resp}拆除堆放物恢复道路通行，双方共同维护通道", 0, 0),)),
            "噪音扰民": ("停止噪音侵扰", (("{resp}承诺晚十时后停止作业，双方今后和睦相处", 0, 0),)),
            "树木遮挡采光": ("修剪树木", (("{resp}于{days}日内修剪遮挡树木，{app}不再主张赔偿", 0, 0),)),
            "院坝占用": ("腾退院坝", (("{resp}腾退占用院坝并补偿{app}{amount}元", 500, 5000),)),
        }),
    "MARRIAGE_FAMILY": dict(
        domain="婚姻家庭",
        details=("双方情绪激动，存在民转刑风险", "亲属多次调和未果", "矛盾已影响邻里", "一方已搬离住所"),
        issues={
            "离婚财产分割": ("分割夫妻共同财产", (("双方自愿离婚，住房归{resp}所有，{resp}补偿{app}{amount}元", 20000, 300000),)),
            "子女抚养费": ("支付子女抚养费", (("{resp}每月支付抚养费{amount}元至子女年满十八周岁", 800, 3000),)),
            "老人赡养": ("履行赡养义务", (("子女轮流赡养老人，{resp}每人每月承担生活费{amount}元", 300, 1500),)),
            "彩礼返还": ("返还彩礼", (("{resp}于{days}日内返还彩礼{amount}元", 20000, 150000),)),
            "遗产继承": ("依法分割遗产", (("双方按法定份额分割遗产，{resp}补偿{app}{amount}元", 10000, 200000),)),
            "家庭暴力": ("停止家庭暴力", (("双方自愿和好，{resp}书面保证不再实施家庭暴力", 0, 0),)),
        }),
    "LABOUR": dict(
        domain="劳动保障",
        details=("涉及农民工工资，临近年关易引发聚集", "用人单位负责人联系不上", "劳动者已多次讨要未果"),
        issues={
            "拖欠工资": ("支付拖欠工资", (("{resp}于{days}日内支付拖欠工资{amount}元", 3000, 60000),)),
            "工伤待遇": ("认定工伤并赔偿", (("{resp}按工伤标准一次性赔偿{amount}元", 20000, 300000),)),
            "解除劳动合同经济补偿": ("支付经济补偿金", (("{resp}一次性支付经济补偿金{amount}元，双方劳动关系依法解除", 5000, 80000),)),
            "社会保险缴纳": ("补缴社会保险", (("{resp}于{days}日内为{app}补缴社会保险费{amount}元", 3000, 40000),)),
            "加班费": ("支付加班费", (("{resp}支付加班费{amount}元", 1000, 20000),)),
        }),
    "TRAFFIC_ACCIDENT": dict(
        domain="道路交通事故损害赔偿",
        details=("事故造成一人受伤住院", "双方对责任认定无异议但赔偿数额分歧较大", "保险公司已介入定损"),
        issues={
            "机动车追尾事故": ("赔偿车辆维修费", (("{resp}一次性赔偿{app}车辆维修费等损失{amount}元", 2000, 40000),)),
            "电动车与行人碰撞": ("赔偿医疗费和误工费", (("{resp}一次性赔偿{app}医疗费、误工费等各项损失共计{amount}元", 3000, 80000),)),
            "货车剐蹭": ("赔偿财产损失", (("{resp}赔偿{app}财产损失{amount}元", 1000, 20000),)),
            "路口侧面碰撞": ("承担后续治疗费用", (("保险公司在交强险限额内赔付，超出部分由{resp}承担{amount}元", 5000, 150000),)),
        }),
    "PROPERTY_MANAGEMENT": dict(
        domain="物业管理",
        details=("涉及小区多户业主", "业主在业主群内发起联名", "物业服务合同即将到期"),
        issues={
            "物业费收缴": ("补缴物业费", (("{resp}于{days}日内补缴物业费{amount}元，物业公司同步整改服务问题", 800, 8000),)),
            "小区停车管理": ("规范停车收费", (("物业公司重新公示停车收费标准，退还多收费用{amount}元", 200, 3000),)),
            "电梯维修": ("及时维修电梯", (("{resp}于{days}日内完成电梯维修并承担费用", 0, 0),)),
            "公共收益分配": ("公开公共收益", (("{resp}公开近三年公共收益账目，由业主委员会监督使用", 0, 0),)),
            "房屋漏水维修": ("维修并赔偿漏水损失", (("{resp}负责维修并赔偿{app}装修损失{amount}元", 1000, 20000),)),
        }),
    "PRIVATE_LENDING": dict(
        domain="民间借贷",
        details=("借款有借条为证", "出借人多次催收未果", "双方系多年朋友关系"),
        issues={
            "借款返还": ("归还借款本金", (("{resp}分{days}期归还借款本金{amount}元", 5000, 300000),)),
            "借款利息": ("支付借款利息", (("{resp}于{days}日内一次性归还借款{amount}元，{app}放弃部分利息", 5000, 200000),)),
            "借款担保": ("承担担保责任", (("担保人{resp}在{amount}元范围内承担连带清偿责任", 10000, 300000),)),
        }),
    "LAND_ACQUISITION": dict(
        domain="土地征收与房屋拆迁",
        details=("涉及村民小组多户村民", "部分村民拒绝搬迁", "村民对补偿方案公示内容有异议", "项目施工受阻"),
        issues={
            "征地补偿标准": ("提高补偿标准", (("按照现行征收补偿方案补发{app}补偿款{amount}元", 20000, 300000),)),
            "安置房分配": ("落实安置房", (("征收部门对安置房源重新公示并按序选房", 0, 0),)),
            "青苗补偿": ("补发青苗补偿款", (("补发{app}青苗补偿款{amount}元", 2000, 30000),)),
            "拆迁过渡费": ("补发过渡费", (("补发{app}过渡安置费{amount}元", 5000, 60000),)),
            "宅基地面积认定": ("重新认定面积", (("委托测绘机构重新测量，按认定面积补发补偿款{amount}元", 10000, 150000),)),
        }),
    "MEDICAL": dict(
        domain="医疗纠纷",
        details=("患者家属在医院聚集", "家属要求封存病历", "医院已申请医疗损害鉴定"),
        issues={
            "手术并发症": ("赔偿医疗损害", (("{resp}一次性补偿{app}各项损失{amount}元，双方纠纷就此了结", 20000, 300000),)),
            "诊疗延误": ("赔偿医疗损害", (("{resp}减免后续治疗费用并补偿{amount}元", 10000, 150000),)),
            "用药不当": ("赔偿损失并公开诊疗过程", (("{resp}承担后续治疗费用并补偿{amount}元", 5000, 80000),)),
            "分娩意外": ("赔偿医疗损害", (("{resp}一次性补偿{app}{amount}元", 50000, 300000),)),
            "患者院内跌倒": ("赔偿医疗费", (("{resp}承担跌倒后治疗费用并补偿{amount}元", 3000, 40000),)),
        }),
    "ENVIRONMENT": dict(
        domain="生态环境保护",
        details=("周边群众反映强烈", "涉及多户居民", "已多次拨打热线投诉"),
        issues={
            "企业排放异味": ("停止排放并整改", (("{resp}限期完成废气治理设施改造并补偿周边住户{amount}元", 5000, 100000),)),
            "施工噪音扰民": ("整改降噪", (("{resp}调整施工时间，夜间停止高噪音作业", 0, 0),)),
            "污水外排": ("停止排污并赔偿", (("{resp}停止外排并赔偿周边农户损失{amount}元", 3000, 80000),)),
            "粉尘污染农作物": ("赔偿农作物损失", (("{resp}加装防尘设施并赔偿农作物损失{amount}元", 2000, 50000),)),
        }),
    "INTELLECTUAL_PROPERTY": dict(
        domain="知识产权保护",
        details=("涉及电商平台销售", "权利人已进行证据保全"),
        issues={
            "商标侵权": ("停止侵权并赔偿", (("{resp}停止销售侵权产品并赔偿{amount}元", 10000, 200000),)),
            "外观设计专利侵权": ("停止侵权并赔偿", (("{resp}停止生产销售并赔偿{amount}元", 20000, 200000),)),
            "著作权侵权": ("停止使用并支付许可费", (("{resp}下架侵权作品并支付许可使用费{amount}元", 5000, 50000),)),
            "仿冒包装装潢": ("停止使用仿冒包装", (("{resp}销毁仿冒包装并赔偿{amount}元", 10000, 100000),)),
        }),
    "FOOD_DRUG_SAFETY": dict(
        domain="食品药品安全监管",
        details=("消费者已保留购物凭证", "多名消费者反映类似问题"),
        issues={
            "过期食品": ("退一赔十", (("{resp}退还货款并赔偿{app}{amount}元", 500, 5000),)),
            "就餐后身体不适": ("赔偿医疗费", (("{resp}承担医疗费用{amount}元并书面致歉", 500, 20000),)),
            "保健品虚假宣传": ("退款并赔偿", (("{resp}退还货款并赔偿{amount}元", 1000, 30000),)),
            "药品质量": ("赔偿损失", (("{resp}赔偿{app}损失{amount}元", 500, 20000),)),
        }),
    "CONTRACT": dict(
        domain="合同履行",
        details=("双方签订有书面合同", "一方已停止履行", "涉及款项结算"),
        issues={
            "装修工程质量": ("返工并赔偿", (("{resp}于{days}日内返工整改并赔偿{app}{amount}元", 3000, 80000),)),
            "货款拖欠": ("支付货款", (("{resp}于{days}日内支付货款{amount}元", 10000, 400000),)),
            "房屋租赁押金": ("返还押金", (("{resp}退还押金{amount}元，租赁合同解除", 1000, 10000),)),
            "买卖合同违约": ("承担违约责任", (("{resp}支付违约金{amount}元", 5000, 100000),)),
            "土地承包合同": ("继续履行合同", (("双方继续履行承包合同，{resp}补付承包费{amount}元", 3000, 50000),)),
        }),
    "MILITARY_RELATED": dict(
        domain="涉军维权",
        details=("当事人系退役军人，情绪较为激动", "曾多次到区信访局反映", "诉求涉及政策落实"),
        issues={
            "退役安置待遇": ("落实安置待遇", (("{resp}按政策为{app}补发安置待遇{amount}元", 3000, 50000),)),
            "优抚金发放": ("补发优抚金", (("{resp}于{days}日内补发优抚金{amount}元", 1000, 20000),)),
            "军人家属就业": ("协调安排就业", (("{resp}协调为{app}家属安排公益性岗位，{app}不再主张其他诉求", 0, 0),)),
        }),
    "ENTERPRISE_RESTRUCTURING": dict(
        domain="企业改制",
        details=("涉及原企业职工多人，有聚集苗头", "改制时遗留问题，时间跨度长", "原企业已注销，责任主体不清"),
        issues={
            "改制职工安置": ("落实职工安置", (("{resp}一次性支付{app}安置补偿金{amount}元", 10000, 120000),)),
            "社保接续": ("补缴养老保险", (("{resp}于{days}日内为{app}补缴养老保险费{amount}元", 5000, 60000),)),
            "集资款返还": ("返还职工集资款", (("{resp}分期返还{app}集资款{amount}元", 5000, 80000),)),
        }),
    "OTHER": dict(
        domain="基层社会治理",
        details=("双方各执一词", "涉及村集体利益"),
        issues={
            "宠物伤人": ("赔偿医疗费", (("{resp}赔偿{app}医疗费等损失{amount}元", 500, 10000),)),
            "山林权属": ("明确山林权属", (("双方按林权证记载范围确定界址，共同埋设界桩", 0, 0),)),
            "集体经济收益分配": ("参与收益分配", (("按村民代表会议决议补发{app}收益分配款{amount}元", 500, 10000),)),
            "土地流转租金": ("支付流转租金", (("{resp}于{days}日内支付流转租金{amount}元", 2000, 40000),)),
        }),
}

# Organisation name templates per pool; "{w}" takes a trade-name word.
TRADE_WORDS = ("宏达", "鑫源", "华兴", "瑞丰", "恒通", "金泰", "顺利", "德盛", "永安", "兴旺", "锦程", "天成", "盛世", "和美")
ORG_TEMPLATES = {
    "employer": ("四川{w}建筑劳务有限公司", "清河{w}机械制造有限公司", "清河区{w}餐饮管理有限公司", "四川{w}物流有限公司"),
    "property": ("清河{w}物业服务有限公司",),
    "hospital": ("清河区{w}医院", "清河{w}骨科医院"),
    "factory": ("清河{w}化工有限公司", "清河{w}建材有限公司", "清河区{w}生猪养殖场"),
    "shop": ("清河区{w}超市", "清河区{w}大药房", "清河{w}餐饮店"),
    "company": ("四川{w}商贸有限公司", "清河{w}科技有限公司", "清河{w}装饰工程有限公司"),
    "insurer": ("{w}财产保险股份有限公司清河支公司",),
}
PUBLIC_BODIES = ("清河区土地房屋征收服务中心", "清河区城市建设投资服务中心")

LOCATIONS = {
    "PEOPLES_MEDIATION_COMMITTEE": ("村（社区）调解室", "镇（街道）调解中心", "当事人家中（流动调解）", "网络调解平台", "田间院坝（巡回调解）"),
    "ADMINISTRATIVE_DEPARTMENT": ("部门调解室", "行政调解室", "现场调解"),
    "COURT": ("诉调对接中心", "人民法庭调解室", "在线诉讼服务平台"),
    "SOCIAL_MEDIATION_ORG": ("调解工作室", "医调委调解室"),
    "COORDINATION_CENTRE": ("区大调解协调中心联调室",),
}
TRAININGS = (
    "人民调解员岗前培训", "民法典专题培训", "医疗纠纷调解专题培训", "劳动争议调解实务培训",
    "交通事故损害赔偿调解培训", "网格员矛盾纠纷排查培训", "信访法治化专题培训", "心理疏导技巧培训",
)
STABILITY_FACTORS = (
    "涉及人数众多", "当事人情绪激烈，有过激言行", "曾有越级上访经历", "存在群体性聚集苗头",
    "存在网络舆情风险", "涉及农民工工资，临近春节", "诉求涉及政策边界，短期内难以化解",
)
STABILITY_MEASURES = (
    "落实包案领导和专人稳控", "每日走访掌握当事人动态", "做好政策解释和心理疏导",
    "协调相关部门限期解决合理诉求", "重要敏感节点实行领导包保", "依法处置过激行为，防止事态扩大",
    "启动应急预案，防止群体性聚集",
)
PETITION_LEVEL_WORDS = {"TOWNSHIP": "镇（街道）", "DISTRICT": "区", "CITY": "市", "PROVINCE": "省", "BEIJING": "京"}
PETITION_FORM_WORDS = {"LETTER": "来信", "VISIT": "来访", "ONLINE": "网上信访", "PHONE": "来电"}
