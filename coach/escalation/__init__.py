"""The escalation lifecycle, in one home (used by the chat actions, the scheduler, the portal).

Import the submodules, not this package: `coach.escalation.spool` must stay importable from
the Rasa environment (stdlib only), so nothing here imports SQLAlchemy.

- raise (`raising`): `EscalationRequest(kind, idempotency_key, evidence)`,
  `raise_escalation(session, patient, request)` writes the escalation and its outbox rows.
- red flags (`red_flag`): `record_red_flag(session, record)` (live and replayed alike).
- who is told (`recipients`): `recipients(session, escalation, patient, audience)`, the one
  fan-out for the first message, the ladder, dead letters and the duty inbox.
- ladder (`ladder`): `run_ladder(factory)`. Dead letter (`deadletter`):
  `escalate_dead_letter(session, dead_notification)`.
- acknowledge / resolve (`acknowledge`): `acknowledge(session, escalation_id, actor, note)`,
  `resolve(session, escalation_id, actor, note)` → `AckResult(outcome, escalation)` with
  outcome `done` | `already` | `not_found`. The caller commits.
- links (`links`): `portal_alert_url(escalation_id)`, `ack_url(token)`,
  `check_link(session, token)` (for a confirmation page), `acknowledge_by_link(session, token,
  note)` → `LinkResult(outcome, escalation, claim)` with outcome `done` | `already` | `used` |
  `expired` | `invalid` | `not_found`.
- spool (`spool`, stdlib only; `replay`): `spool_escalation(record) -> Path`,
  `replay_spool(factory)`.
- keys (`keys`): `bounded_key(*parts)`, `digest(*parts)`.
- operators (`cli`): `coach escalations list | ack ID | resolve ID`; `ack_endpoint` is the
  minimal /ack page `coach portal` serves until the portal app serves /ack itself.
"""
