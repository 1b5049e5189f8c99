"""Word pools for the sample ledger: customers by industry, people, titles, notes.

Kept apart from the generator so the generator reads as the SOP story it tells, and so the
pools can grow without touching logic. Every pool is a tuple: iteration order is fixed, which
keeps the sample byte-identical for a seed.
"""

from __future__ import annotations

# (surname, pinyin) and (given name, pinyin): people on both sides; pinyin builds e-mail addresses.
SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
    ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"),
    ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"),
    ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"),
    ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("袁", "yuan"), ("潘", "pan"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"), ("叶", "ye"),
)
GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei"), ("强", "qiang"),
    ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("秀英", "xiuying"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂英", "guiying"),
    ("建华", "jianhua"), ("晓东", "xiaodong"), ("海燕", "haiyan"), ("志强", "zhiqiang"), ("丽娟", "lijuan"),
    ("国庆", "guoqing"), ("文博", "wenbo"), ("思远", "siyuan"), ("雨婷", "yuting"), ("子涵", "zihan"),
    ("俊杰", "junjie"), ("佳怡", "jiayi"), ("浩然", "haoran"), ("欣怡", "xinyi"), ("宇航", "yuhang"),
    ("梦瑶", "mengyao"), ("建国", "jianguo"), ("红梅", "hongmei"), ("立新", "lixin"), ("振宇", "zhenyu"),
)

PROVINCES = ("江苏", "浙江", "广东", "山东", "四川", "湖北", "河南", "福建", "安徽", "湖南", "河北", "陕西",
             "辽宁", "江西", "云南", "山西", "广西", "贵州", "吉林", "黑龙江")
CITIES = ("南京", "杭州", "深圳", "广州", "济南", "成都", "武汉", "郑州", "厦门", "合肥", "长沙", "苏州",
          "宁波", "青岛", "西安", "沈阳", "南昌", "昆明", "无锡", "佛山", "东莞", "大连", "天津", "重庆")

# Industry → customer name patterns ({p} province, {c} city). National brands stand alone.
CUSTOMERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("能源电力", ("国家电网{p}省电力有限公司", "南方电网{c}供电局", "华能{p}发电有限公司", "中国石化{p}石油分公司",
              "国家能源集团{p}电力有限公司")),
    ("金融", ("招商银行{c}分行", "中国工商银行{c}分行", "平安银行{c}分行", "兴业银行{c}分行", "中国人寿{p}省分公司",
            "{c}农村商业银行")),
    ("通信", ("中国移动{p}有限公司", "中国联通{c}分公司", "中国电信{p}分公司")),
    ("制造", ("比亚迪汽车工业有限公司", "美的集团{c}生产基地", "海尔智家{c}工业园", "三一重工{c}产业园",
            "格力电器{c}有限公司", "宁德时代{c}基地")),
    ("医疗", ("{c}市第一人民医院", "{c}市中心医院", "{p}省人民医院", "{c}市妇幼保健院")),
    ("交通", ("{c}地铁集团有限公司", "{p}高速公路集团", "{c}港集团有限公司", "{c}机场集团")),
    ("政府", ("{c}市大数据管理局", "{c}市政务服务中心", "{p}省税务局信息中心", "{c}市公安局")),
    ("零售", ("华润万家{c}区域公司", "永辉超市{c}公司", "苏宁易购{c}分部")),
    ("教育", ("{c}大学", "{p}师范大学", "{c}市教育局")),
)

# Client-side titles by level (SPEC levels) and the role that title usually plays.
EXEC_TITLES = ("总经理", "副总经理", "CIO", "分管副行长", "副院长", "董事长")
DIRECTOR_TITLES = ("采购总监", "财务总监", "信息中心主任", "技术总监", "运营总监")
MANAGER_TITLES = ("IT经理", "采购经理", "业务部经理", "项目经理")
STAFF_TITLES = ("系统管理员", "业务专员", "采购专员")

NEEDS = ("数据中台建设", "智能客服升级", "供应链协同平台", "网络安全加固", "ERP系统替换", "营销数字化",
         "私有云扩容", "办公协同平台", "智能运维平台", "数据治理咨询", "BI报表平台", "移动办公改造")
LOST_REASONS = ("价格偏高", "竞争对手关系更深", "客户预算取消", "技术方案不匹配", "项目延期无限期", "资质不满足")
RISK_TEXTS = (
    ("market", "竞争对手低价抢单", "提前锁定控标点，高层拜访强化关系"),
    ("credit", "客户付款周期长，回款存在风险", "合同约定分期付款并提前开票"),
    ("partnership", "合作伙伴交付能力不足", "更换备选合作伙伴并加强监理"),
    ("technical", "客户现网系统兼容性未验证", "安排POC验证兼容性"),
    ("delivery", "交付周期紧张", "增加实施人员，分阶段上线"),
    ("compliance", "招标文件资质要求变化", "法务提前审核资质文件"),
)
FOLLOWUPS = ("已电话催款，客户答复月底付款", "发票已寄出，等待客户财务审批", "客户付款流程走OA中",
             "已发催款函", "客户要求补充验收报告")
REMARKS = ("客户年底有预算", "重点跟进", "需总部支持", "与去年项目相关", "老客户推荐")
