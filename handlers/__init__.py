"""Telegram handlers: update -> domain/storage -> reply.

handlers.registry adds them all in one ordered list; handlers.messages is the one way they (and
the digest pipeline) send and edit messages. This file imports nothing, so importing one handler
module does not import them all.
"""
