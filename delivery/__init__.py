"""The digest pipeline: everything the bot pushes (digests, alerts) goes through here.

Each tick plans, in our own tables: the digests whose slot has come and the alerts for newly
ingested articles (planner.py). The pipeline then works through the ledger in batches
(pipeline.py): it claims a batch (marking it "sending"), composes each message (composer.py),
sends it through the flood budget (sender.py), and records how each send ended, one
transaction per batch (recorder.py). Several processes may send; their heartbeat shares the
flood budget among them (heartbeat.py). Nothing lives in the scheduler, so a restart loses
nothing.

Delivery guarantees, per ledger row:
- a row is planned once: (chat, digest span end) and (chat, alert article) are unique;
- a row marked "sending" by a run that is gone (the process died) becomes "ambiguous" once
  its lease (DELIVERY__LEASE_SECONDS) has run out, and so does a send that got no answer
  (timeout, dropped connection): Telegram may have delivered
  it. The policy: an ambiguous row is sent again, up to DELIVERY__MAX_ATTEMPTS attempts in
  all, then recorded as failed. We prefer a rare duplicate to a lost digest; duplicates are
  bounded by the rows in flight (at most 2 x DELIVERY__BATCH) when a process dies;
- a send that never left (no connection, 429 after every retry, a migrated group) goes back
  to "planned" without using an attempt;
- 403 (blocked, kicked, deactivated) and "chat not found" mark the chat inactive: its rows
  fail unsent, and nothing is retried until the chat writes /start again.
"""
