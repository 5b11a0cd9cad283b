"""A fake Telegram Bot API: sendMessage, getFile, answerCallbackQuery and file downloads, plus
builders for the updates Telegram posts to a webhook (with its secret token header).

Shapes follow https://core.telegram.org/bots/api (Update, Message, Video, VideoNote, Document,
CallbackQuery, File); results are wrapped as {"ok": true, "result": …}.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from typing import Any

import httpx

from tests.fakes.http import FakeServer, Reply, wait_for

BOT_TOKEN = "123456:fake-telegram-bot-token"
WEBHOOK_SECRET = "fake-telegram-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Coach", "username": "coach_test_bot"}


class FakeTelegram(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.callback_answers: list[str] = []
        self.send_lock = threading.Lock()
        self._ids = itertools.count(1000)
        self._update_ids = itertools.count(500_000)

    def handle(self, request: dict[str, Any]) -> Reply:
        path = request["path"]
        method_prefix = f"/bot{BOT_TOKEN}/"
        file_prefix = f"/file/bot{BOT_TOKEN}/"
        if path.startswith(file_prefix):
            wanted = path[len(file_prefix) :]
            for file_path, data in self.files.values():
                if file_path == wanted:
                    return Reply(200, data)
            return Reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if not path.startswith(method_prefix):
            return Reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = path[len(method_prefix) :]
        payload = json.loads(request["body"] or b"{}")
        if method == "sendMessage":
            return self._send_message(payload)
        if method == "getFile":
            found = self.files.get(str(payload.get("file_id")))
            if found is None:
                return Reply(
                    400,
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                )
            file_path, data = found
            return Reply(
                200,
                {
                    "ok": True,
                    "result": {
                        "file_id": payload["file_id"],
                        "file_unique_id": "u" + payload["file_id"][:8],
                        "file_size": len(data),
                        "file_path": file_path,
                    },
                },
            )
        if method == "answerCallbackQuery":
            self.callback_answers.append(str(payload.get("callback_query_id")))
            return Reply(200, {"ok": True, "result": True})
        return Reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def _send_message(self, payload: dict[str, Any]) -> Reply:
        message_id = next(self._ids)
        with self.send_lock:
            self.sent.append({**payload, "message_id": message_id})
        chat_id = int(payload["chat_id"])
        return Reply(
            200,
            {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "from": BOT_USER,
                    "chat": {"id": chat_id, "type": "private", "first_name": "Patient"},
                    "date": int(time.time()),
                    "text": payload.get("text", ""),
                },
            },
        )

    # --- what tests do ---------------------------------------------------------------------
    def add_file(self, data: bytes, folder: str = "videos", suffix: str = "mp4") -> str:
        """Host a file the bot can fetch with getFile; its file_id."""
        file_id = "BAAC" + secrets.token_hex(12)
        self.files[file_id] = (f"{folder}/file_{len(self.files)}.{suffix}", data)
        return file_id

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": "Patient", "language_code": "en"}
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._ids),
                "from": user,
                "chat": {"id": chat_id, "first_name": "Patient", "type": "private"},
                "date": int(time.time()),
                **content,
            },
        }

    def text_update(self, chat_id: int, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            content["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
        return self._message(chat_id, **content)

    def video_update(self, chat_id: int, data: bytes, kind: str = "video") -> dict[str, Any]:
        """A `video`, round `video_note`, or video `document` message."""
        file_id = self.add_file(data, "video_notes" if kind == "video_note" else "videos")
        unique = {"file_id": file_id, "file_unique_id": "u" + file_id[:8], "file_size": len(data)}
        if kind == "video":
            content = {
                "video": {
                    **unique,
                    "width": 720,
                    "height": 1280,
                    "duration": 12,
                    "mime_type": "video/mp4",
                }
            }
        elif kind == "video_note":
            content = {"video_note": {**unique, "length": 384, "duration": 12}}
        else:
            content = {"document": {**unique, "file_name": "clip.mp4", "mime_type": "video/mp4"}}
        return self._message(chat_id, **content)

    def callback_update(self, chat_id: int, data: str) -> dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": "Patient"}
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._ids)),
                "from": user,
                "message": {
                    "message_id": next(self._ids),
                    "from": BOT_USER,
                    "chat": {"id": chat_id, "type": "private", "first_name": "Patient"},
                    "date": int(time.time()),
                    "text": "(a question with buttons)",
                },
                "chat_instance": "42",
                "data": data,
            },
        }

    @staticmethod
    def post_update(
        url: str, update: dict[str, Any], secret: str | None = WEBHOOK_SECRET
    ) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return httpx.post(url, json=update, headers=headers, timeout=30)

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self.send_lock:
            return [m for m in self.sent if int(m["chat_id"]) == chat_id]

    def wait_for_messages(self, chat_id: int, count: int, timeout_s: float = 120) -> list[dict]:
        return wait_for(
            lambda: (lambda got: got[:count] if len(got) >= count else None)(
                self.messages_to(chat_id)
            ),
            timeout_s,
            f"{count} Telegram messages to {chat_id}",
        )
