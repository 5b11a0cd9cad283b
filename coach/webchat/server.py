"""`coach webchat`: serve the web chat page and the Twilio status callback as their own process
(`make run`, docker-compose's `webchat` service, tests). Not mounted in the portal: the portal's
CSRF check on every POST would refuse the page's API calls and Twilio's callbacks."""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

from coach.messaging.twilio_status import router as twilio_status_router
from coach.webchat.router import router as webchat_router

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8020


def build_app() -> FastAPI:
    """The web chat and the Twilio status callback as one small app."""
    app = FastAPI(title="Recovery coach web chat", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(webchat_router)
    app.include_router(twilio_status_router)
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the web chat server until Ctrl-C / SIGTERM."""
    parser = argparse.ArgumentParser(prog="coach webchat", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    # No websockets here (socket.io is Rasa's); "none" also avoids uvicorn's websockets import,
    # which the pinned websockets 10.4 cannot satisfy. No access log: URLs are not logged.
    uvicorn.run(
        build_app(),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        ws="none",
    )
    return 0
