"""Outside channels: one module per channel's protocol (``wechat``: the Official Account; ``wecom``: WeCom
customer service), and what they share: ``inbound`` (store before answering, dedupe, process in order),
``delivery`` (the transcript to the channel's API through a cursor, within the channel's reply window),
``binding`` (a channel user proves with a one-time code which bank customer they are), ``errors``.

A channel's customer talks to the same conversations, assistant, queue, agents and service requests as the web
widget: the channel turns their messages into customer messages (handoff/conversations.py) and delivers every
message the transcript gets after theirs.
"""
