#!/usr/bin/env python3
"""(Re)generate the example data of ``make demo``: examples/mappings.csv and examples/records.csv.

Usage (from anywhere)::

    python3 scripts/make_examples.py

Standard library only and deterministic (``random.Random(20261126)``): every run writes byte-identical files.
It reads examples/eqc_fixtures.json, the companies the EQC stand-in serves, so that curated names never
overlap the fixtures and the names meant to be unknown to EQC really are unknown to the stand-in.

Every generated record is checked against a Python model of the resolution order (plan -> account ->
hardcode -> name -> account_name, then EQC) and of ``enterprise.normalize_name``: the script stops with an
error rather than write a record that would not land in the category it was made for.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

SEED: Final = 20261126
ROOT: Final = Path(__file__).resolve().parent.parent
EXAMPLES: Final = ROOT / "examples"
FIXTURES: Final = EXAMPLES / "eqc_fixtures.json"
# Fixture companies of the review demo (examples/review_records.csv): EQC's uncertain answers, some of them wrong.
# They are never drawn as names EQC knows here (records.csv stays as it was); unknown names still avoid them.
REVIEW_DEMO_IDS: Final = frozenset(f"67000000{i}" for i in range(1, 8))
MAPPINGS_CSV: Final = EXAMPLES / "mappings.csv"
RECORDS_CSV: Final = EXAMPLES / "records.csv"

MAPPING_COLUMNS: Final = ("alias_name", "canonical_id", "match_type")
RECORD_COLUMNS: Final = ("plan_code", "customer_name", "account_name", "account_number")

# Full-width punctuation, spelled as escapes so that the source stays free of look-alike characters.
LP: Final = "\uff08"  # full-width (
RP: Final = "\uff09"  # full-width )
IDEOGRAPHIC_SPACE: Final = "\u3000"
EM_DASH: Final = "\u2014"

# The hard-coded plan overrides the database already holds (deploy/data_hardcode_overrides.sql).
DB_HARDCODES: Final[dict[str, str]] = {
    "FP0001": "614810477",
    "FP0002": "614810477",
    "FP0003": "610081428",
    "P0809": "608349737",
    "SC002": "604809109",
    "SC007": "602790403",
    "XNP466": "603968573",
    "XNP467": "603968573",
    "XNP596": "601038164",
}
DB_HARDCODES_IN_RECORDS: Final = ("FP0001", "P0809", "XNP466")
NEW_HARDCODES: Final = ("FPX001", "FPX002", "SCX011", "SCX012", "XNQ210", "HCP0801")

TOTAL_RECORDS: Final = 3000
# category -> share of the records (percent); they add up to 100.
SHARES: Final[dict[str, int]] = {
    "plan": 25,
    "account": 10,
    "hardcode": 5,
    "name": 20,
    "account_name": 5,
    "eqc_known": 15,
    "eqc_unknown": 8,
    "no_name": 7,
    "empty": 3,
    "duplicate": 2,
}
EQC_KNOWN_DISTINCT: Final = 25
EQC_UNKNOWN_DISTINCT: Final = 30
NO_NAME_DISTINCT: Final = 70

# --------------------------------------------------------------------------------------------- normalization

# A copy of enterprise._name_decorations() (deploy/function_name_decorations.sql).
DECORATIONS: Final = (
    "已转出", "转出", "已转入", "转入",
    "已终止", "终止", "已注销", "注销",
    "已吊销", "吊销", "已撤销", "撤销",
    "已解散", "解散", "已清算", "清算中", "清算",
    "已破产", "破产", "已迁出", "迁出",
    "已停业", "停业", "已歇业", "歇业",
    "已关闭", "关闭", "已销户", "销户",
    "已冻结", "冻结", "已作废", "作废",
    "已失效", "失效", "已过户", "过户",
    "已退保", "退保", "已停用", "停用",
    "已合并", "被合并", "已退出", "退出",
    "存续", "在业", "在册",
)  # fmt: skip
_DECO: Final = "|".join(DECORATIONS)
_SEP: Final = "[-_\u2014\u2013:\u00b7]"
_START: Final = re.compile(rf"^(?:\((?:{_DECO})\){_SEP}*|(?:{_DECO}){_SEP}+)+")
_END: Final = re.compile(rf"(?:{_SEP}*\((?:{_DECO})\)|{_SEP}*(?:{_DECO})|[-\u2014\u2013.\u3002]|\(\))+$")
_PLACEHOLDER: Final = re.compile(r"^(?:null|none|nan|n/a|#n/a|空白|空|无|/)$")
_WHITESPACE: Final = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_TRANSLATE: Final = str.maketrans(
    {
        "\u3010": "(",  # 【
        "\u3011": ")",  # 】
        "\u3014": "(",  # 〔
        "\u3015": ")",  # 〕
        "\u3016": "(",  # 〖
        "\u3017": ")",  # 〗
        "[": "(",
        "]": ")",
        "\u300c": None,  # 「
        "\u300d": None,  # 」
        "\u300e": None,  # 『
        "\u300f": None,  # 』
        '"': None,
        "\u201c": None,  # left double quotation mark
        "\u201d": None,  # right double quotation mark
    }
)


def normalize_name(name: str) -> str:
    """A Python model of enterprise.normalize_name (deploy/function_normalize_name.sql)."""
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", name)).lower().translate(_TRANSLATE)
    text = text.replace("()", "")
    text = _START.sub("", text, count=1)
    text = _END.sub("", text, count=1)
    return _PLACEHOLDER.sub("", text, count=1)


def standin_key(name: str) -> str:
    """The EQC stand-in's comparison key: NFKC, no whitespace, lower case (company_enrichment.standin)."""
    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


def code_key(code: str) -> str:
    """How resolution compares plan codes and account numbers: btrim (spaces only)."""
    return code.strip(" ")


# ------------------------------------------------------------------------------------------------ fixtures


@dataclass(frozen=True)
class FixtureCompany:
    company_id: str
    full_name: str
    aliases: tuple[str, ...]


def load_fixtures(path: Path) -> list[FixtureCompany]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("companies"), list):
        raise SystemExit(f"{path}: expected an object with a 'companies' list")
    companies: list[FixtureCompany] = []
    for entry in data["companies"]:
        if not isinstance(entry, dict):
            raise SystemExit(f"{path}: every company must be an object")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise SystemExit(f"{path}: aliases must be a list of strings")
        companies.append(
            FixtureCompany(
                company_id=str(entry["companyId"]),
                full_name=str(entry["companyFullName"]),
                aliases=tuple(str(a) for a in aliases),
            )
        )
    return companies


class Eqc:
    """What the stand-in answers to a search, for the checks."""

    def __init__(self, companies: Sequence[FixtureCompany]) -> None:
        self.companies = list(companies)
        self._index = [(standin_key(c.full_name), {standin_key(a) for a in c.aliases}) for c in companies]
        self.db_keys = {normalize_name(n) for c in companies for n in (c.full_name, *c.aliases)}

    def finds(self, name: str) -> bool:
        wanted = standin_key(name)
        if not wanted:
            return False
        return any(
            wanted == full or wanted in aliases or (len(wanted) >= 2 and wanted in full)
            for full, aliases in self._index
        )

    def clashes(self, name: str) -> bool:
        """Whether a name meant to be unknown could match a fixture company in any way."""
        key = standin_key(name)
        return (
            self.finds(name)
            or normalize_name(name) in self.db_keys
            or any(full in key for full, _ in self._index)
            or any(key in aliases for _, aliases in self._index)
        )


# ---------------------------------------------------------------------------------------- curated companies

CURATED_CITIES: Final = ("上海", "北京", "深圳", "广州", "杭州", "成都")
CITY_WITH_SHI: Final = ("深圳", "广州", "杭州", "成都")  # often written with 市
CURATED_TRADES: Final = (
    "锦程", "星汇", "瑞丰", "嘉禾", "恒信", "宏远", "博远", "凯盛", "安泰", "德润", "华腾", "金桥",
    "联创", "明源", "永盛", "誉达", "汇通", "润泽", "新港", "远航", "晨光", "东升", "海纳", "弘毅",
    "嘉信", "景行", "聚能", "坤元", "立信", "领航", "美达", "南华", "启明", "青松", "三和", "尚品",
    "盛世", "拓普", "万象", "伟业", "翔宇", "信诚", "雅居", "亿嘉", "优创", "正邦", "致远", "卓越",
    "紫金", "百川", "宝华", "昌盛", "辰宇", "大成", "鼎新", "方圆", "丰泽", "高远", "冠华", "国泰",
    "和顺", "鸿运", "华美", "汇金", "佳和", "建元", "金鼎", "君诚", "凯瑞", "蓝海", "乐康", "力拓",
    "利民", "龙腾", "鹿鸣", "茂源", "敏达", "宁远", "鹏飞", "普惠", "齐心", "乾元", "荣昌", "瑞祥",
    "森茂", "尚德", "泰和", "天成", "同创", "万通", "文华", "祥和", "欣荣", "星河", "旭日", "扬帆",
    "耀华", "一诺", "益康", "银杏",
)  # fmt: skip
CURATED_INDUSTRIES: Final = (
    "科技", "贸易", "实业", "物流", "建设", "医药", "电子", "信息技术", "投资管理", "食品",
    "机械设备", "环保科技", "新能源", "文化传媒", "供应链管理", "建筑工程", "生物科技", "网络科技",
    "餐饮管理", "物业服务", "化工", "纺织", "汽车服务", "广告", "咨询服务",
)  # fmt: skip
ENGLISH_COMPANIES: Final = (
    ("Acme Trading Co., Ltd.", "Acme"),
    ("Globex Logistics (Shanghai) Co., Ltd.", "Globex"),
    ("Northwind Pharmaceuticals Limited", "Northwind"),
    ("Blue River Technology Co., Ltd.", "Blue River"),
    ("Pacific Rim Holdings Ltd.", "Pacific Rim"),
)
REGIONS: Final = ("华东区", "华南区", "华北区", "西南区", "华中区")

CHINESE_COMPANIES: Final = 95
SHORT_NAMES: Final = 10  # companies that also have a short-name alias
PLAN_COMPANIES: Final = 75  # companies with a plan code
SECOND_PLAN: Final = 15  # of which this many have two
ACCOUNT_COMPANIES: Final = 60
ACCOUNT_NAME_COMPANIES: Final = 50


@dataclass
class Company:
    company_id: str
    trade: str
    industry: str
    names: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    hardcodes: list[str] = field(default_factory=list)
    account_names: list[str] = field(default_factory=list)


def unique(rng: random.Random, make: Callable[[random.Random], str], taken: set[str]) -> str:
    """A value from ``make`` that is not in ``taken`` (which it joins)."""
    for _ in range(10_000):
        value = make(rng)
        if value not in taken:
            taken.add(value)
            return value
    raise SystemExit("could not find a fresh value")


def make_company_id(rng: random.Random) -> str:
    return str(rng.randrange(600_000_000, 700_000_000))


def make_plan_code(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(('AN', 'PN', 'QY', 'ZY'))}{rng.randrange(1, 1000):03d}"
    return f"PL{rng.randrange(2018, 2026)}-{rng.randrange(1, 1000):03d}"


def make_unknown_plan_code(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.4:
        return f"{rng.choice(('AN', 'PN', 'QY', 'ZY'))}{rng.randrange(1, 1000):03d}"
    if style < 0.8:
        return f"PL{rng.randrange(2018, 2026)}-{rng.randrange(1, 1000):03d}"
    return f"{rng.choice(('TMP', 'XN', 'NEW'))}{rng.randrange(100, 10_000)}"


def make_account_number(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"GM{rng.randrange(100_000, 1_000_000)}"
    return f"ACC-{rng.randrange(10_000, 100_000)}"


def chinese_name(rng: random.Random, trade: str, industry: str, form: str) -> str:
    city = rng.choice(CURATED_CITIES)
    prefix = f"{city}市" if city in CITY_WITH_SHI and rng.random() < 0.4 else city
    match form:
        case "group":
            return f"{prefix}{trade}{LP}集团{RP}有限公司"
        case "bracket_city":
            return f"{trade}{LP}{city}{RP}{industry}有限公司"
        case "joint_stock":
            return f"{prefix}{trade}{industry}股份有限公司"
        case _:
            return f"{prefix}{trade}{industry}有限公司"


def account_display_name(rng: random.Random, trade: str, industry: str, full_name: str) -> str:
    short = industry[:2]
    match rng.randrange(4):
        case 0:
            return f"{rng.choice(REGIONS)}养老金计划账户-{trade}{short}"
        case 1:
            return f"{full_name}企业年金"
        case 2:
            return f"{trade}{industry}职业年金计划"
        case _:
            return f"{rng.choice(REGIONS)}企业年金集合计划-{trade}{short}"


def build_companies(rng: random.Random, eqc: Eqc) -> list[Company]:
    reserved_ids = {c.company_id for c in eqc.companies} | set(DB_HARDCODES.values())
    taken_ids = set(reserved_ids)

    def fresh_id(r: random.Random) -> str:
        while True:
            candidate = make_company_id(r)
            if not candidate.startswith("680000"):
                return candidate

    trades = rng.sample(CURATED_TRADES, CHINESE_COMPANIES)
    forms = ["group"] * 4 + ["bracket_city"] * 4 + ["joint_stock"] * 14
    forms += ["plain"] * (CHINESE_COMPANIES - len(forms))
    rng.shuffle(forms)
    companies: list[Company] = []
    for trade, form in zip(trades, forms, strict=True):
        industry = rng.choice(CURATED_INDUSTRIES)
        company = Company(unique(rng, fresh_id, taken_ids), trade, industry)
        company.names.append(chinese_name(rng, trade, industry, form))
        companies.append(company)
    for full_name, trade in ENGLISH_COMPANIES:
        company = Company(unique(rng, fresh_id, taken_ids), trade, "贸易")
        company.names.append(full_name)
        companies.append(company)
    rng.shuffle(companies)

    chinese = [c for c in companies if c.trade in trades]
    for company in chinese[:SHORT_NAMES]:
        company.names.append(f"{company.trade}{company.industry}")

    taken_codes = set(DB_HARDCODES) | set(NEW_HARDCODES)
    for i, company in enumerate(companies[:PLAN_COMPANIES]):
        company.plans.append(unique(rng, make_plan_code, taken_codes))
        if i < SECOND_PLAN:
            company.plans.append(unique(rng, make_plan_code, taken_codes))
    taken_accounts: set[str] = set()
    for company in companies[20 : 20 + ACCOUNT_COMPANIES]:
        company.accounts.append(unique(rng, make_account_number, taken_accounts))
    for company, code in zip(companies[-len(NEW_HARDCODES) :], NEW_HARDCODES, strict=True):
        company.hardcodes.append(code)
    for company in companies[40 : 40 + ACCOUNT_NAME_COMPANIES]:
        company.account_names.append(account_display_name(rng, company.trade, company.industry, company.names[0]))
    return companies


def mapping_rows(companies: Sequence[Company]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for kind in ("plan", "account", "hardcode", "name", "account_name"):
        for company in companies:
            aliases = {
                "plan": company.plans,
                "account": company.accounts,
                "hardcode": company.hardcodes,
                "name": company.names,
                "account_name": company.account_names,
            }[kind]
            rows.extend((alias, company.company_id, kind) for alias in aliases)
    return rows


# ---------------------------------------------------------------------------------------- unknown material

UNKNOWN_CITIES: Final = (
    "南昌", "太原", "石家庄", "贵阳", "兰州", "海口", "徐州", "温州", "佛山", "东莞",
    "洛阳", "绍兴", "烟台", "常州", "泉州", "芜湖", "柳州", "宜昌", "株洲", "绵阳",
)  # fmt: skip
UNKNOWN_TRADES: Final = (
    "赣江鸿图", "晋阳", "燕赵", "黔山", "陇原", "椰风", "彭城", "瓯江", "禅城", "莞邑", "河洛", "越州",
    "芝罘", "龙城", "刺桐", "鸠兹", "龙潭", "夷陵", "湘东", "涪江", "红谷", "汾河", "滹沱", "筑城",
    "金城", "琼岛", "云龙", "鹿城", "南海", "松山",
)  # fmt: skip
UNKNOWN_INDUSTRIES: Final = (
    "机电设备", "建材贸易", "包装材料", "服饰", "五金制品", "商贸", "劳务派遣", "装饰工程", "农业开发",
    "印务", "仓储服务", "光电科技", "模具制造", "酒店管理", "家具制造",
)  # fmt: skip


def unknown_company_names(rng: random.Random, n: int, eqc: Eqc, curated_keys: set[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    trades = list(UNKNOWN_TRADES)
    rng.shuffle(trades)
    for trade in trades:
        if len(names) == n:
            break
        city = rng.choice(UNKNOWN_CITIES)
        suffix = "股份有限公司" if rng.random() < 0.2 else "有限公司"
        name = f"{city}{trade}{rng.choice(UNKNOWN_INDUSTRIES)}{suffix}"
        key = normalize_name(name)
        if len(name) < 8 or key in seen or key in curated_keys or eqc.clashes(name):
            continue
        seen.add(key)
        names.append(name)
    if len(names) < n:
        raise SystemExit(f"only {len(names)} unknown company names; add trade names")
    return names


def unknown_account_names(rng: random.Random, n: int, avoid: set[str]) -> list[str]:
    names: list[str] = []
    for _ in range(10_000):
        if len(names) == n:
            return names
        trade = rng.choice(UNKNOWN_TRADES)
        industry = rng.choice(UNKNOWN_INDUSTRIES)
        name = account_display_name(rng, trade, industry, f"{rng.choice(UNKNOWN_CITIES)}{trade}{industry}有限公司")
        key = normalize_name(name)
        if key and key not in avoid:
            avoid.add(key)
            names.append(name)
    raise SystemExit("could not make enough unknown account names")


PLACEHOLDERS: Final = ("", "", "", "N/A", "n/a", "无", "-", "--", EM_DASH, "null", "NULL", "空白", "#N/A", " ")
BLANKS: Final = ("", "", "", " ", "  ")

# --------------------------------------------------------------------------------------------- decorations

STATUS_FORMS: Final = (
    "{}-已转出",
    LP + "已转出" + RP + "{}",
    "{}(注销)",
    "{}" + EM_DASH + "终止",
    "\u3010已转出\u3011{}",
    "{}\u3010已注销\u3011",
    "已转出-{}",
    "{}" + LP + "吊销" + RP,
    "{}_已销户",
)


def to_fullwidth(text: str) -> str:
    return "".join(IDEOGRAPHIC_SPACE if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def swap_bracket_width(text: str) -> str:
    if LP in text:
        return text.replace(LP, "(").replace(RP, ")")
    return text.replace("(", LP).replace(")", RP)


def sprinkle_spaces(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randrange(1, 3)):
        chars.insert(rng.randrange(1, len(chars)), rng.choice((" ", " ", IDEOGRAPHIC_SPACE)))
    return "".join(chars)


def pad(rng: random.Random, text: str) -> str:
    return rng.choice(("", " ", "  ", IDEOGRAPHIC_SPACE)) + text + rng.choice(("", " ", IDEOGRAPHIC_SPACE))


def decorate(rng: random.Random, name: str) -> str:
    """A spelling of ``name`` as real data has it, which normalize_name maps back to the same key."""
    ops: list[Callable[[str], str]] = [
        lambda s: sprinkle_spaces(rng, s),
        lambda s: pad(rng, s),
        lambda s: to_fullwidth(s) if any(c.isascii() and c.isalnum() for c in s) else swap_bracket_width(s),
        lambda s: s.upper() if s.isascii() else rng.choice(STATUS_FORMS).format(s),
        lambda s: rng.choice(STATUS_FORMS).format(s),
        lambda s: rng.choice(STATUS_FORMS).format(s),
        lambda s: "\u300c" + s + "\u300d",
        lambda s: s + "\u3002",
    ]
    for _ in range(50):
        text = name
        for op in rng.sample(ops, rng.randrange(1, 3)):
            text = op(text)
        if text != name and normalize_name(text) == normalize_name(name):
            return text
    raise SystemExit(f"could not decorate {name!r}")


def decorate_search_safe(rng: random.Random, name: str) -> str:
    """Spaces, ideographic spaces, bracket width: decorations EQC (and its stand-in) see through."""
    for _ in range(50):
        text = name
        if (LP in text or "(" in text) and rng.random() < 0.5:
            text = swap_bracket_width(text)
        if rng.random() < 0.7:
            text = sprinkle_spaces(rng, text)
        text = pad(rng, text)
        if text != name and standin_key(text) == standin_key(name) and normalize_name(text) == normalize_name(name):
            return text
    raise SystemExit(f"could not decorate {name!r}")


# ------------------------------------------------------------------------------------------------- records

Record = tuple[str, str, str, str]  # plan_code, customer_name, account_name, account_number


@dataclass
class Material:
    companies: list[Company]
    eqc: Eqc
    unknown_plans: list[str]
    unknown_accounts: list[str]
    unknown_account_names: list[str]
    eqc_known_names: list[str]
    eqc_unknown_names: list[str]
    curated_names: list[tuple[Company, str]]
    no_name_keys: list[tuple[str, str, str]]


def maybe(rng: random.Random, p: float, value: Callable[[], str], otherwise: str = "") -> str:
    return value() if rng.random() < p else otherwise


def gen_plan(rng: random.Random, m: Material) -> Record:
    company = rng.choice([c for c in m.companies if c.plans])
    plan = rng.choice(company.plans)
    plan = pad(rng, plan).replace(IDEOGRAPHIC_SPACE, " ") if rng.random() < 0.1 else plan
    roll = rng.random()
    if roll < 0.45:
        name = rng.choice(company.names)
    elif roll < 0.6:
        name = rng.choice(m.eqc_unknown_names + m.eqc_known_names)
    elif roll < 0.7:
        name = rng.choice(PLACEHOLDERS)
    else:
        name = ""
    account_name = maybe(rng, 0.3, lambda: rng.choice(company.account_names or m.unknown_account_names))
    account = maybe(rng, 0.3, lambda: rng.choice(company.accounts or m.unknown_accounts))
    return plan, name, account_name, account


def gen_account(rng: random.Random, m: Material) -> Record:
    company = rng.choice([c for c in m.companies if c.accounts])
    plan = maybe(rng, 0.3, lambda: rng.choice(m.unknown_plans))
    name = maybe(rng, 0.5, lambda: rng.choice(company.names))
    account_name = maybe(rng, 0.3, lambda: rng.choice(company.account_names or m.unknown_account_names))
    account = rng.choice(company.accounts)
    return plan, name, account_name, account


def gen_hardcode(rng: random.Random, m: Material) -> Record:
    plan = rng.choice(NEW_HARDCODES + DB_HARDCODES_IN_RECORDS)
    owner = next((c for c in m.companies if plan in c.hardcodes), None)
    roll = rng.random()
    if roll < 0.4 and owner is not None:
        name = rng.choice(owner.names)
    elif roll < 0.6:
        name = rng.choice(m.eqc_unknown_names)
    else:
        name = ""
    account = maybe(rng, 0.2, lambda: rng.choice(m.unknown_accounts))
    return plan, name, "", account


def gen_name(rng: random.Random, m: Material) -> Record:
    company, alias = rng.choice(m.curated_names)
    name = decorate(rng, alias) if rng.random() < 0.6 else alias
    plan = maybe(rng, 0.25, lambda: rng.choice(m.unknown_plans))
    account = maybe(rng, 0.2, lambda: rng.choice(m.unknown_accounts))
    account_name = maybe(rng, 0.2, lambda: rng.choice(company.account_names or m.unknown_account_names))
    return plan, name, account_name, account


def gen_account_name(rng: random.Random, m: Material) -> Record:
    company = rng.choice([c for c in m.companies if c.account_names])
    account_name = rng.choice(company.account_names)
    if rng.random() < 0.3:
        account_name = pad(rng, sprinkle_spaces(rng, account_name))
    roll = rng.random()
    if roll < 0.5:
        name = ""
    elif roll < 0.75:
        name = rng.choice(PLACEHOLDERS)
    else:
        name = rng.choice(m.eqc_unknown_names)  # unknown, but the account name resolves it before any lookup
    plan = maybe(rng, 0.3, lambda: rng.choice(m.unknown_plans))
    account = maybe(rng, 0.3, lambda: rng.choice(m.unknown_accounts))
    return plan, name, account_name, account


def gen_eqc_known(rng: random.Random, m: Material) -> Record:
    name = rng.choice(m.eqc_known_names)
    name = decorate_search_safe(rng, name) if rng.random() < 0.3 else name
    plan = maybe(rng, 0.3, lambda: rng.choice(m.unknown_plans))
    account = maybe(rng, 0.3, lambda: rng.choice(m.unknown_accounts))
    account_name = maybe(rng, 0.2, lambda: rng.choice(m.unknown_account_names))
    return plan, name, account_name, account


def gen_eqc_unknown(rng: random.Random, m: Material) -> Record:
    name = rng.choice(m.eqc_unknown_names)
    name = sprinkle_spaces(rng, name) if rng.random() < 0.15 else name
    plan = maybe(rng, 0.3, lambda: rng.choice(m.unknown_plans))
    account = maybe(rng, 0.3, lambda: rng.choice(m.unknown_accounts))
    account_name = maybe(rng, 0.2, lambda: rng.choice(m.unknown_account_names))
    return plan, name, account_name, account


def gen_no_name(rng: random.Random, m: Material) -> Record:
    plan, account_name, account = rng.choice(m.no_name_keys)
    return plan, rng.choice(PLACEHOLDERS), account_name, account


def gen_empty(rng: random.Random, m: Material) -> Record:
    return rng.choice(BLANKS), rng.choice(BLANKS), rng.choice(BLANKS), rng.choice(BLANKS)


GENERATORS: Final[dict[str, Callable[[random.Random, Material], Record]]] = {
    "plan": gen_plan,
    "account": gen_account,
    "hardcode": gen_hardcode,
    "name": gen_name,
    "account_name": gen_account_name,
    "eqc_known": gen_eqc_known,
    "eqc_unknown": gen_eqc_unknown,
    "no_name": gen_no_name,
    "empty": gen_empty,
}


def no_name_keys(rng: random.Random, m: Material, n: int) -> list[tuple[str, str, str]]:
    keys: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    while len(keys) < n:
        shape = rng.choice(("plan", "account", "account_name", "plan+account", "all"))
        plan = rng.choice(m.unknown_plans) if shape in ("plan", "plan+account", "all") else ""
        account = rng.choice(m.unknown_accounts) if shape in ("account", "plan+account", "all") else ""
        account_name = rng.choice(m.unknown_account_names) if shape in ("account_name", "all") else ""
        key = (plan, account_name, account)
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


# ------------------------------------------------------------------------------------------------- checks


class Resolver:
    """What resolution should answer for a record, modelled on enterprise._lookup_company_ids."""

    def __init__(self, mappings: Iterable[tuple[str, str, str]], eqc: Eqc) -> None:
        self.maps: dict[str, dict[str, str]] = {k: {} for k in ("plan", "account", "hardcode", "name", "account_name")}
        for alias, company_id, kind in mappings:
            key = normalize_name(alias) if kind in ("name", "account_name") else code_key(alias)
            self.maps[kind][key] = company_id
        for code, company_id in DB_HARDCODES.items():
            self.maps["hardcode"].setdefault(code, company_id)
        self.eqc = eqc

    def category(self, record: Record) -> str:
        plan_code, customer_name, account_name, account_number = record
        plan, account = code_key(plan_code), code_key(account_number)
        name, account_name_key = normalize_name(customer_name), normalize_name(account_name)
        if plan and plan in self.maps["plan"]:
            return "plan"
        if account and account in self.maps["account"]:
            return "account"
        if plan and plan in self.maps["hardcode"]:
            return "hardcode"
        if name and name in self.maps["name"]:
            return "name"
        if account_name_key and account_name_key in self.maps["account_name"]:
            return "account_name"
        if name:
            return "eqc_known" if self.eqc.finds(customer_name.strip(" ")) else "eqc_unknown"
        if plan or account or account_name_key:
            return "no_name"
        return "empty"


def check_mappings(rows: Sequence[tuple[str, str, str]], eqc: Eqc) -> None:
    pairs = Counter((alias, kind) for alias, _, kind in rows)
    keys = Counter(
        (normalize_name(alias) if kind in ("name", "account_name") else code_key(alias), kind)
        for alias, _, kind in rows
    )
    problems = [f"alias {a!r} ({k}) appears twice" for (a, k), n in pairs.items() if n > 1]
    problems += [f"lookup key {key!r} ({k}) appears twice" for (key, k), n in keys.items() if n > 1]
    for alias, company_id, kind in rows:
        if not re.fullmatch(r"6\d{8}", company_id):
            problems.append(f"canonical_id {company_id!r} is not 9 digits starting with 6")
        if alias != alias.strip() or not alias:
            problems.append(f"alias {alias!r} is empty or padded")
        if kind in ("name", "account_name") and not normalize_name(alias):
            problems.append(f"alias {alias!r} ({kind}) normalizes to ''")
        if kind == "name" and normalize_name(alias) in eqc.db_keys:
            problems.append(f"name alias {alias!r} is an EQC fixture name")
        if kind in ("plan", "hardcode") and alias in DB_HARDCODES:
            problems.append(f"code {alias!r} is already a hardcode row in the database")
    if problems:
        raise SystemExit("mappings.csv would be wrong:\n  " + "\n  ".join(problems))


# ----------------------------------------------------------------------------------------------------- main


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> int:
    rng = random.Random(SEED)
    eqc = Eqc(load_fixtures(FIXTURES))

    companies = build_companies(rng, eqc)
    mappings = mapping_rows(companies)
    check_mappings(mappings, eqc)
    resolver = Resolver(mappings, eqc)
    taken_codes = set(resolver.maps["plan"]) | set(resolver.maps["hardcode"]) | set(resolver.maps["account"])

    curated_keys = set(resolver.maps["name"])
    eqc_unknown = unknown_company_names(rng, EQC_UNKNOWN_DISTINCT, eqc, curated_keys)
    sure = [c for c in eqc.companies if c.company_id not in REVIEW_DEMO_IDS]
    fixture_names = [c.full_name for c in sure] + [a for c in sure for a in c.aliases]
    eqc_known = rng.sample(fixture_names, EQC_KNOWN_DISTINCT)
    material = Material(
        companies=companies,
        eqc=eqc,
        unknown_plans=[unique(rng, make_unknown_plan_code, taken_codes) for _ in range(60)],
        unknown_accounts=[unique(rng, make_account_number, taken_codes) for _ in range(60)],
        unknown_account_names=unknown_account_names(rng, 40, set(resolver.maps["account_name"])),
        eqc_known_names=eqc_known,
        eqc_unknown_names=eqc_unknown,
        curated_names=[(c, n) for c in companies for n in c.names],
        no_name_keys=[],
    )
    material.no_name_keys = no_name_keys(rng, material, NO_NAME_DISTINCT)

    counts = {category: TOTAL_RECORDS * share // 100 for category, share in SHARES.items()}
    labelled: list[tuple[str, Record]] = []
    for category, generate in GENERATORS.items():
        labelled.extend((category, generate(rng, material)) for _ in range(counts[category]))
    labelled.extend(("duplicate", record) for _, record in rng.sample(labelled, counts["duplicate"]))
    rng.shuffle(labelled)

    wrong = [
        (category, record)
        for category, record in labelled
        if category != "duplicate" and resolver.category(record) != category
    ]
    if wrong:
        raise SystemExit(f"{len(wrong)} record(s) would not resolve as intended, e.g. {wrong[:3]}")

    write_csv(MAPPINGS_CSV, MAPPING_COLUMNS, mappings)
    write_csv(RECORDS_CSV, RECORD_COLUMNS, (record for _, record in labelled))

    kinds = Counter(kind for _, _, kind in mappings)
    print(f"wrote {MAPPINGS_CSV.relative_to(ROOT)}: {len(mappings)} mappings, {len(companies)} companies")
    for kind in ("plan", "account", "hardcode", "name", "account_name"):
        print(f"  {kind:<13} {kinds[kind]:>5}")
    print(f"wrote {RECORDS_CSV.relative_to(ROOT)}: {len(labelled)} records")
    by_category = Counter(category for category, _ in labelled)
    outcome = Counter(resolver.category(record) for _, record in labelled)
    distinct = {
        "eqc_known": len({normalize_name(r[1]) for c, r in labelled if c == "eqc_known"}),
        "eqc_unknown": len({normalize_name(r[1]) for c, r in labelled if c == "eqc_unknown"}),
        "no_name": len({(code_key(r[0]), normalize_name(r[2]), code_key(r[3])) for c, r in labelled if c == "no_name"}),
    }
    print(f"  {'category':<13} {'rows':>5} {'share':>6}   resolved as (duplicates included)")
    for category in SHARES:
        note = f"   {distinct[category]} distinct keys" if category in distinct else ""
        resolved = "" if category == "duplicate" else f"{outcome[category]:>5}"
        share = 100 * by_category[category] / len(labelled)
        print(f"  {category:<13} {by_category[category]:>5} {share:>5.1f}%   {resolved}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
