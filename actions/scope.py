"""Is a message about this bank at all? The second opinion the unsure paths ask before they ask the customer to
rephrase.

When the model is unsure (``nlu_fallback``) or the FAQ index finds no answer, the assistant used to ask the
customer to rephrase, with the nearest FAQ questions as suggestions. For "电脑开不了机了咋整" or "what's a good movie"
that is the wrong answer: rephrasing will not make it a banking question. Such a message names nothing of what a
bank does. ``names_banking`` looks for the words of the bank's business (lending and its terms, the company
applying, accounts and payments, the service's own words: verification, a person, an appointment) and amounts of
money; a message with none of them, outside a form, is declined with what the assistant does
(``utter_out_of_scope``), and one naming banking served elsewhere is told where to go (actions/other_banking.py).

Only the unsure paths ask: a message the model or the FAQ index understood is answered as before, and inside a
form nothing is declined (an answer about the customer's own business has no banking word and belongs to the form).
Lower-cased text, Traditional folded to Simplified (textkit).
"""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.entities import mentions_foreign_currency
from actions.markers import active_form
from actions.other_banking import other_banking_topic, tell_where_to_go
from textkit.chinese import CJK_RE, fold

_ZH_BANKING = (
    r"贷|带款|借|提(?:款|现|钱|一笔|点|多少|\d)|(?:用|缺|要|欠|这笔|那笔)钱|还款|还钱|还贷|还本|归还|欠|还(?=掉|上|清|一半|全|这期|那笔)"
    r"|(?<![继连持手])续|展期|用款|放款|支用|(?<![这那一新哪同爆])款(?!式)|首付|(?<!流量)额度|授信|利息|利率|息费|罚息|贴息|计息"
    r"|付息|先息|年化|月供|分期|等额|本金|期限|逾期|结清|征信|信用|担保|抵押|质押|审批|审核|进度|申请|材料|资料|报表|财务"
    r"|营业执照|执照|企业|公司|个体|工商|法人|小微|商户|经营|生意|周转|融资|资金|受托支付|流水|发票|纳税|税|账|开户|银行"
    r"|本行|贵行|网点|支行|分行|柜台|网银|转账|汇(?=款|钱|一笔|到|率|出|入)|存款|定期|理财|卡(?=丢|被|片|号|里|上|消磁)"
    r"|新卡|补卡|换卡|吞卡|挂失|密码|手续费|管理费|服务费|费用|费率|收费|合同|签约|代发|工资|补贴|政策|诈骗|骗|盗|钓鱼"
    r"|冒充|假冒|身份|u盾|隐私|验证|短信|手机号|人工|客服|经理|服务|工单|投诉|态度|效率|不满|预约|年审|回访|回电|联系我"
    r"|到账|入账|扣|[0-9一二三四五六七八九十两百千]+\s*(?:万|元|块|期|个月|年)|\d{5,}|人民币|美元|美金|欧元|港币|外币"
    r"|金融|普惠|收益|交易明细|证明|回单|地址|电话|号码|信息|数据|泄露|真人|活人|工作人员|机器|维权|理我|回复|跟进|登记|留言"
    r"|留了|坑|出问题|app|支付|[一二两三五六十]年|放弃|不要了|别往下"
    # the customer's own business: what it does, its shop or factory
    r"|(?:我们|我|公司)(?:是|主要)?做|做.{1,6}(?:生意|买卖)|开(?:了)?(?:个|家|一家)?(?:店|厂|公司|餐馆|饭店|工作室)|门店|店铺|网店"
    r"|餐饮|批发|零售|贸易|制造|加工|养殖|种植|物流|运输|装修|工程|外贸|电商|进货|采购|原材料|库存|订单|客户|供应商"
)
_EN_BANKING = (
    r"(?<![a-z])(?:loans?|credit|borrow\w*|lend\w*|interest|rates?|repay\w*|pay(?:ing|s|ment|ments)?|paid|owe\w*"
    r"|renew\w*|roll ?over|draw\w*|withdraw\w*|line|limit|cash|apply|applied|applica\w+|approv\w+|documents?"
    r"|licen[cs]e|business(?:es)?|company|companies|firm|enterprise|sme|account|bank\w*|branch(?:es)?|manager|terms?"
    r"|overdue|late payment|fees?|charges?|funds?|funding|financ\w+|cash ?flow|working capital|tax\w*|invoices?"
    r"|collateral|guarant\w+|mortgage|statements?|otp|code|verif\w+|sms|agent|human|person|someone|somebody|operator"
    r"|customer service|contract|instal+ments?|principal|deposits?|transfers?|cards?|pin|password|yuan|rmb|cny|lpr"
    r"|payroll|salar\w+|subsid\w+|fraud\w*|scam\w*|phishing|stolen|stranger|privacy|appointment|review|e-?banking"
    r"|call me|callback|call-back|call back|called|ring me|phone|number|ticket|complain\w*|service|status|news|result"
    r"|request\w*|handling|handled|scheduled|get back|representative|staff|rep|app|data|wealth|usb|dollars?|euros?|usd"
    r"|eur|regulator|satisf\w+|balance|outstanding|settle\w*|full amount|all|exit|abort|forget it|changed my mind"
    r"|pardon|resend|catch that|what was that|one more time|(?:sr|ap|ln)\d{6,}|\d+(?:[.,]\d+)?\s*(?:k|m|w|million"
    r"|thousand)?(?:\s*(?:yuan|rmb|cny|months?|years?))?)(?![a-z])"
)
# What the customer says about the conversation itself (cancel, repeat, don't know, language, yes/no, hello,
# thanks): never declined as out of scope, whatever the model read; their own rules or a rephrase answer them.
_CONVERSATION = (
    r"取消|算了|不办|停|退出|结束|不想|再说|重复|刚才|不知道|不清楚|没想好|不确定|说不准|英文|中文|英语|谢谢|好的|可以"
    r"|是的|对|不是|没有|你好|您好|在吗|嗯|哦|行|不弄|中止|不搞|撤销|终止|别弄|不继续|打住|跳过|随便|看着办|帮我定|答不上"
    r"|再讲|上一条|再发|重说|刚刚|没看到|全还|全部|都还|汉语|普通话"
    r"|(?<![a-z])(?:hi|hello|hey|thanks|thank you|yes|yeah|no|nope|ok|okay|cancel|stop|quit|repeat|again|english"
    r"|chinese|mandarin|not sure|don'?t know|never ?mind|bye|what did you say|missed that|say that|all of it"
    r"|everything|in full|the whole|the full)(?![a-z])"
)
_BANKING = re.compile(f"{_ZH_BANKING}|{_EN_BANKING}|{_CONVERSATION}", re.IGNORECASE)
# Words that carry no topic. A message made only of them ("那个东西怎么弄一下啊", "how do I do this") says nothing
# of what it is about: it may well be the bank's, and is asked to rephrase rather than declined.
_ZH_FUNCTION_WORDS = re.compile(
    r"那个|这个|东西|事情|事儿|怎么|如何|什么|一下|可以|那|这|事|咋|弄|搞|整|办|做|下|啊|呢|吧|吗|嘛|呀|哦|的|了|我|你|们|要|想"
    r"|能|请|帮|啥|是|有|在|就|也|都|个|些|样|么|不|没|给|把|让|会|该|得|还|又|再|先|呃|额|诶|喂"
)
_EN_FUNCTION_WORDS = frozenset(
    "i you we me my our your it its this that these those the a an how what which do does did can could would should"
    " is are am be was to of for with about on in at thing things stuff one please help there here so just now then"
    " get got go make want need like know tell say let's lets".split()
)
_NOT_WORDS = re.compile(r"[\W_]+")


def says_what_it_is_about(text: str) -> bool:
    """Some word of the message carries a topic (two Chinese characters or one word left after the function words)."""
    folded = fold(text).lower()
    chinese = _ZH_FUNCTION_WORDS.sub("", "".join(CJK_RE.findall(folded)))
    words = [w for w in _NOT_WORDS.split(CJK_RE.sub(" ", folded)) if w and not w.isdigit()]
    return len(chinese) >= 2 or any(w not in _EN_FUNCTION_WORDS for w in words)


def names_banking(text: str) -> bool:
    """The message names something of a bank's business (a word of lending, accounts, payments or this service, an
    amount of money) or speaks about the conversation itself: it may be the bank's, so it is not declined."""
    return _BANKING.search(fold(text)) is not None


def not_for_this_assistant(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, index_says_out_of_scope: bool = False
) -> bool:
    """A message the assistant could not place, answered for what it is: outside a form, banking served elsewhere is
    told where to go; a message the FAQ index finds nearer an out-of-scope anchor (``index_says_out_of_scope``), or
    one outside a form naming nothing of a bank, is declined with what the assistant does. True when it answered;
    False leaves the "not sure" answer to the caller."""
    text = str((tracker.latest_message or {}).get("text") or "")
    outside_a_form = active_form(tracker) is None and not text.startswith("/")
    if outside_a_form and (other_banking_topic(text) is not None or mentions_foreign_currency(text)):
        tell_where_to_go(dispatcher, tracker)
        return True
    if index_says_out_of_scope or (outside_a_form and says_what_it_is_about(text) and not names_banking(text)):
        dispatcher.utter_message(response="utter_out_of_scope")
        return True
    return False


class ActionOutOfScope(Action):
    """A message read as out of scope: declined with what the assistant does, unless its words name banking the bank
    serves elsewhere, which the model often reads as out of scope: then where to go for it."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = str((tracker.latest_message or {}).get("text") or "")
        if other_banking_topic(text) is not None:
            tell_where_to_go(dispatcher, tracker)
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionAnswerWithoutQuestion(Action):
    """An answer with no question pending ("50万", "我们是做餐饮的"): asked which service it is for. A message the
    model read as an answer that names banking served elsewhere is told where to go, and one that names nothing of
    a bank and carries no entity (no amount, no term, no name) is declined."""

    def name(self) -> str:
        return "action_answer_without_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if (tracker.latest_message or {}).get("entities") or not not_for_this_assistant(dispatcher, tracker):
            dispatcher.utter_message(response="utter_which_service_for_inform")
        return []
