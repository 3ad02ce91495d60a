"""A provider's error answers: what they said (ApiError) in either provider's envelope, and their request id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ApiError:
    """What a non-2xx answer said, in whichever envelope the provider used."""

    status: int
    type: str
    code: str
    message: str
    request_id: str


class RequestRefused(Exception):
    """A refusal the caller asked to handle itself (e.g. a beta API this organization lacks); carries the answer."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def error_fields(body: JsonObject, response: httpx.Response) -> ApiError:
    """Anthropic `{"type":"error","error":{type,message,details}}`, OpenAI `{"error":{...}}` or `{"error":"text"}`."""
    error = body.get("error")
    kind = code = message = ""
    if isinstance(error, dict):
        kind = _text(error.get("type"))
        message = _text(error.get("message"))
        details = error.get("details")
        code = _text(details.get("error_code")) if isinstance(details, dict) else ""
        code = code or _text(error.get("code"))
    elif isinstance(error, str):
        message = error
    else:
        message = _text(body.get("message"))
    message = short_text(message) or short_text(response.text) or response.reason_phrase
    if kind and kind not in message:
        message = f"{kind}: {message}"
    return ApiError(response.status_code, kind, code, message, request_id(response, body))


def request_id(response: httpx.Response, body: JsonObject) -> str:
    return response.headers.get("request-id") or response.headers.get("x-request-id") or _text(body.get("request_id"))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


_TAGS = re.compile(r"<[^>]*>")


def short_text(text: str, limit: int = 300) -> str:
    flat = " ".join(_TAGS.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
