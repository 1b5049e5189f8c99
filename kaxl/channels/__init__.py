"""The weekly digest in group chats (SPEC §9): WeCom, DingTalk and Feishu custom robots.

One small module per vendor (payload, signing, how it answers), shared ones for the parts they
have in common: :mod:`message` (the text, from the same Digest as the e-mail), :mod:`escape`,
:mod:`split` (size limits), :mod:`pacing` (rate limits), :mod:`send` (HTTP, retries) and
:mod:`deliver` (which destination gets what, once per ISO week, under the e-mail's state/lock).

All three vendors answer HTTP 200 with an error code in the body, which is why generic
notification libraries (that trust the HTTP status) are not used.
"""
