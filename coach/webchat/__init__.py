"""The patient web chat: a phone-first page on the socket.io channel, with clip recording.

`router` (FastAPI APIRouter) serves:
  GET  /chat, /chat/join#code=…, /chat/upload#u=…  the page (chat, join, SMS clip upload)
  GET  /chat/static/<file>                    its script, style and the socket.io client
  POST /chat/api/session                      a new anonymous web chat token (join page)
  POST /chat/api/inbox                        shows a queued prompt (Bearer web token)
  POST /chat/api/clip                         a recorded clip (Bearer web token)
  POST /chat/api/upload-link-clip             a clip via an SMS upload link (Bearer link token)
Mount it in the portal (`app.include_router(router)`), or run `coach webchat`
(coach.webchat.server, which also serves the Twilio status callback).
"""

from coach.webchat.router import router

__all__ = ["router"]
