"""Text rules shared by the hub, the actions, the FAQ index and the lending core; no service of its own.

- chinese: Chinese characters, Traditional read as Simplified (one OpenCC converter)
- language: what language a message is written in
- creditcode: the unified social credit code's check character (GB 32100-2015)
- masking: ID, credit-code, card, account and mobile numbers masked in free text
"""
