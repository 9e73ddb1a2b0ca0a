"""Fixture corpora written by the tests themselves (independent of the real corpus)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def _entry(
    entry_id: str, topic: str, zh: list[str], en: list[str], answer_zh: str, answer_en: str, version: int = 1
) -> dict[str, Any]:
    return {
        "id": entry_id,
        "topic": topic,
        "version": version,
        "effective_date": "2026-11-01",
        "questions": {"zh": zh, "en": en},
        "answer": {"zh": answer_zh, "en": answer_en},
    }


FIXTURE_ENTRIES = [
    _entry(
        "drawdown-arrival-001",
        "drawdown.arrival_time",
        ["提款多久能到账", "提款后钱什么时候到", "用款申请后多长时间到账"],
        ["How long does a drawdown take to arrive?", "When will the money I drew reach my account?"],
        "提款通常5分钟内到账，最长不超过2小时。",
        "Drawn money usually arrives within 5 minutes, at most 2 hours.",
    ),
    _entry(
        "loan-rate-001",
        "loan.interest_rate",
        ["贷款利率是多少", "年化利息怎么算的", "利率能不能便宜点"],
        ["What is the interest rate on the loan?", "How is the loan rate set?"],
        "年利率3.45%至6.00%，按一年期LPR加点确定。",
        "The annual rate is 3.45% to 6.00%, 1-year LPR plus a margin.",
    ),
    _entry(
        "renewal-what-001",
        "renewal.what",
        ["什么是无还本续贷", "续贷是不是不用先还本金", "贷款到期了能不能不还本金直接续"],
        ["What is renewal without repaying principal?", "Can I renew my loan without paying it back first?"],
        "无还本续贷指到期前申请、审批通过后延长到期日，无需先归还本金。",
        "Renewal without repaying principal extends the maturity without paying the principal back first.",
    ),
    _entry(
        "service-hours-001",
        "service.hours",
        ["人工客服几点上班", "你们的服务时间是什么时候", "晚上有人工吗"],
        ["What are your service hours?", "When can I talk to a live agent?"],
        "智能助手7x24小时服务；人工客服每天08:00至22:00。",
        "The assistant is available 24/7; live agents 08:00 to 22:00 every day.",
    ),
    _entry(
        "loan-materials-001",
        "loan.materials",
        ["申请贷款需要准备哪些材料", "贷款要交什么资料", "办贷款要带营业执照吗"],
        ["What documents do I need to apply for a loan?", "Which papers are required for the application?"],
        "需要营业执照、法定代表人身份证、近12个月纳税记录和银行流水。",
        "You need the business licence, the legal representative's ID, 12 months of tax records and bank statements.",
    ),
    _entry(
        "security-fraud-001",
        "security.fraud",
        ["有人冒充银行给我打电话怎么办", "接到诈骗电话要我转账", "账户被盗了怎么处理"],
        ["Someone called pretending to be the bank, what should I do?", "I think my account was hacked"],
        "银行不会索要验证码或要求转账，请立即挂断并拨打客服热线冻结账户。",
        "The bank never asks for codes or transfers; hang up and call the hotline to freeze the account.",
    ),
]


def write_corpus(folder: Path, entries: list[dict[str, Any]]) -> Path:
    """Write `entries` split over two YAML files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    half = len(entries) // 2
    for name, chunk in (("a.yaml", entries[:half]), ("b.yaml", entries[half:])):
        (folder / name).write_text(yaml.safe_dump({"entries": chunk}, allow_unicode=True), encoding="utf-8")
    return folder
