"""Enrolment: a therapist's one-time invite (code, links, QR codes) and its redemption.

API (the portal's enrolment page and `coach patients add|invite` call it):

    patient = add_patient(session, therapist_id, NewPatient(...), created_by="portal:dr@clinic")
    invite = create_invite(session, patient_id, created_by="dr@clinic")   # -> NewInvite
    links = invite_links(invite.code)          # WhatsApp / Telegram / SMS / web chat
    pngs = qr_pngs(links)                      # {"web": b"\x89PNG…", "whatsapp": …}
    result = redeem_invite(session, code, channel, sender_id)   # -> RedeemResult

Codes are single-use, expire (coach/content/channels.yml), are stored only as SHA-256, and
wrong guesses lock a sender out for a while.
"""

from coach.enrolment.invites import (
    NewInvite,
    RedeemResult,
    RedeemStatus,
    create_invite,
    redeem_invite,
)
from coach.enrolment.links import InviteLinks, invite_links, qr_png, qr_pngs
from coach.enrolment.patients import NewPatient, add_patient

__all__ = [
    "add_patient",
    "InviteLinks",
    "NewInvite",
    "NewPatient",
    "RedeemResult",
    "RedeemStatus",
    "create_invite",
    "invite_links",
    "qr_png",
    "qr_pngs",
    "redeem_invite",
]
