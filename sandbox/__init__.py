"""The local sandbox: a terminal chat with the real bot, and the local Bot API it talks to."""
