"""The demo's staff and canned replies (``python -m handoff seed-demo``, run by ``make run`` in development).

Idempotent: a user or canned reply that exists is left as it is. The passwords are published in the README and
printed by ``make run``, so the command refuses to run outside development.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from handoff import agents
from handoff.config import SKILLS, Settings
from handoff.db import create_engine, create_sessionmaker
from handoff.models import CannedReply, Role

PUDONG = "上海浦东支行 Shanghai Pudong Branch"  # the branch of the lending core's demo customers


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    password: str
    role: Role
    skills: tuple[str, ...]
    max_chats: int = 3
    external_id: str | None = None
    branch: str | None = None


DEMO_USERS = (
    DemoUser("agent1", "李娜 Li Na", "demo-agent-1", Role.AGENT, ("general", "lending")),
    DemoUser("agent2", "王强 Wang Qiang", "demo-agent-2", Role.AGENT, ("general", "complaints", "security")),
    DemoUser("supervisor", "陈静 Chen Jing", "demo-supervisor", Role.SUPERVISOR, SKILLS[:4], 2),
    DemoUser("admin", "Admin", "demo-admin-pass", Role.ADMIN, ()),
    # AM001 looks after every demo customer of the lending core; AM002 is the branch's other account manager.
    DemoUser(
        "manager1", "王芳 Wang Fang", "demo-manager-1", Role.ACCOUNT_MANAGER, ("account_manager",), 3, "AM001", PUDONG
    ),
    DemoUser(
        "manager2", "李强 Li Qiang", "demo-manager-2", Role.ACCOUNT_MANAGER, ("account_manager",), 3, "AM002", PUDONG
    ),
)

DEMO_CANNED_REPLIES = (
    ("问候", "zh", "您好，我是人工客服，已经看到您和智能助手的对话记录，请问还有什么可以帮您？", None),
    (
        "Greeting",
        "en",
        "Hello, I'm a customer service agent. I've read your conversation with the assistant; how can I help?",
        None,
    ),
    ("稍等核实", "zh", "好的，请您稍等，我为您核实一下。", None),
    ("One moment", "en", "Thank you, please give me a moment to check that for you.", None),
    ("提款到账", "zh", "提款审批通过后，资金一般在1个工作日内到达您的对公结算账户。", "lending"),
    (
        "Drawdown timing",
        "en",
        "Once a drawdown is approved, the money usually reaches your business account within one working day.",
        "lending",
    ),
    ("投诉受理", "zh", "非常抱歉给您带来不便，您的投诉已登记，我们会在2个工作日内给您答复。", "complaints"),
    (
        "Complaint logged",
        "en",
        "I'm sorry for the trouble. Your complaint is recorded and you will have our answer within two working days.",
        "complaints",
    ),
    (
        "冻结账户",
        "zh",
        "为保障资金安全，请立即拨打银行卡背面的官方客服电话冻结账户，切勿向任何人透露验证码。",
        "security",
    ),
    (
        "Freeze the account",
        "en",
        "To keep your money safe, please call the official number on the back of your card now to freeze the account, and never share a one-time code.",
        "security",
    ),
)


async def seed(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            for demo in DEMO_USERS:
                if await agents.get_user_by_username(session, username=demo.username) is None:
                    await agents.create_user(
                        session,
                        username=demo.username,
                        display_name=demo.display_name,
                        password=demo.password,
                        role=demo.role,
                        skills=demo.skills,
                        max_chats=demo.max_chats,
                        known_skills=SKILLS,
                        external_id=demo.external_id,
                        branch=demo.branch,
                    )
            existing = {(r.title, r.language) for r in (await session.execute(select(CannedReply))).scalars()}
            for title, language, text, skill in DEMO_CANNED_REPLIES:
                if (title, language) not in existing:
                    session.add(CannedReply(title=title, language=language, text=text, skill=skill))
            await session.commit()
    finally:
        await engine.dispose()
    print("demo staff: " + ", ".join(f"{u.username} / {u.password}" for u in DEMO_USERS))
