"""Chart pictures in Slack messages: upload a chart's PNG once, then show it in an image block by its file id.

A chart is an extra, never a condition. `ChartUploads.picture` gives a Picture or None, and never raises:
- Cached per key (the caller's chart and data stamp: the store's change stamp, or an alert's identity), so a
  burst of the same question uploads once; concurrent askers of one key wait for the first upload.
- Rate-limited (UPLOADS_PER_MINUTE); past it, the message goes without its picture.
- Uploaded without a channel (bot.slack.uploads), so nothing appears in any channel by itself: the image block
  is the only place the picture shows. Its own client has a short timeout and no rate-limit sleeps, so a slow
  file server delays a reply by seconds at most, and never a post twice (the post is a separate call).
- A failure (missing files:write, a refused token, an unreachable file server) is logged and kept as a notice
  that the next admin's `/aispend` answer shows once (the same place as alerts Slack refused, bot.slack.listener).
  A failure pauses uploads (PAUSE after a refusal that will not go away by itself, the scope or the token;
  PAUSE_SHORT after any other), so the next answers and alerts do not each try again and wait out a timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.charts.model import ChartImage
from bot.slack.client import ConnectionRetry
from bot.slack.kit import MAX_BLOCKS, MAX_BLOCKS_JSON, Block, Message, blocks_size, truncate
from bot.slack.uploads import UploadError, upload_file

log = logging.getLogger(__name__)

UPLOADS_PER_MINUTE = 20  # files.getUploadURLExternal and files.completeUploadExternal are Tier 4 (100+/min)
UPLOAD_TIMEOUT = 5  # seconds per call: a chart may hold a reply back this long, not the 15 s of other calls
PAUSE = 15 * 60.0  # seconds without uploads after a refusal that needs an admin (scope, token)
PAUSE_SHORT = 120.0  # after any other failure: the next messages do not each wait out a timeout
# refusals that last until an admin acts: the scope, the token
LASTING = frozenset({"missing_scope", "invalid_auth", "not_authed", "token_revoked", "account_inactive"})
IMAGE_BLOCK = "aispend_chart"
ALT_LIMIT = 2000  # image block alt_text and title


@dataclass(frozen=True, slots=True)
class Picture:
    file_id: str
    alt: str
    title: str


def image_block(picture: Picture) -> Block:
    return {
        "type": "image",
        "block_id": IMAGE_BLOCK,
        "slack_file": {"id": picture.file_id},
        "alt_text": truncate(picture.alt, ALT_LIMIT),
        "title": {"type": "plain_text", "text": truncate(picture.title, ALT_LIMIT), "emoji": False},
    }


def with_picture(message: Message, picture: Picture | None, position: int = 2) -> Message:
    """`message` with the picture's image block at `position`; unchanged when there is no picture or no room
    (the message already says everything the picture shows)."""
    if picture is None:
        return message
    blocks = list(message.blocks)
    blocks.insert(min(position, len(blocks)), image_block(picture))
    if len(blocks) > MAX_BLOCKS or blocks_size(blocks) > MAX_BLOCKS_JSON:
        return message
    return Message(message.text, blocks)


def picture_in(blocks: object) -> Picture | None:
    """The picture an already posted message shows (its blocks as Slack sent them back), so an edit keeps it."""
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") == "image" and block.get("block_id") == IMAGE_BLOCK:
            file = block.get("slack_file")
            file_id = file.get("id") if isinstance(file, dict) else None
            title = block.get("title")
            text = title.get("text") if isinstance(title, dict) else None
            if isinstance(file_id, str) and file_id:
                return Picture(file_id, str(block.get("alt_text") or ""), str(text or ""))
    return None


class ChartUploads:
    def __init__(
        self,
        client: WebClient,
        *,
        per_minute: int = UPLOADS_PER_MINUTE,
        size: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # its own client: the same token and Slack, a short timeout, and no sleeping out a 429 before a reply
        self.client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=UPLOAD_TIMEOUT,
            retry_handlers=[ConnectionRetry(max_retry_count=1)],
        )
        self.per_minute = per_minute
        self.size = size
        self.clock = clock
        self.uploads = 0
        self.hits = 0
        self._cache: OrderedDict[Hashable, Picture] = OrderedDict()
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._paused_until = 0.0
        self._told: set[str] = set()
        self._notice: str | None = None

    def picture(self, key: Hashable, draw: Callable[[], ChartImage | None]) -> Picture | None:
        """The uploaded picture for `key`, drawing and uploading it the first time; None when there is none."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            try:
                return self._picture(key, draw)
            finally:
                with self._lock:
                    self._key_locks.pop(key, None)

    def _picture(self, key: Hashable, draw: Callable[[], ChartImage | None]) -> Picture | None:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                self.hits += 1
                return self._cache[key]
            now = self.clock()
            if now < self._paused_until:
                return None
            while self._recent and now - self._recent[0] >= 60:
                self._recent.popleft()
            if len(self._recent) >= self.per_minute:
                log.info("chart left out: more than %d uploads in the last minute", self.per_minute)
                return None
        try:
            image = draw()
        except Exception:  # a chart must never cost the answer: the message goes without it
            log.exception("could not draw a chart; the message goes without it")
            return None
        if image is None:
            return None
        with self._lock:  # counted once there is something to upload
            self._recent.append(self.clock())
        try:
            file_id = upload_file(
                self.client, content=image.png, filename=image.filename, title=image.title, alt_text=image.alt
            )
        except UploadError as err:
            self._failed(err)
            return None
        picture = Picture(file_id, image.alt, image.title)
        with self._lock:
            self.uploads += 1
            self._cache[key] = picture
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return picture

    def _failed(self, err: UploadError) -> None:
        with self._lock:
            self._paused_until = self.clock() + (PAUSE if err.reason in LASTING else PAUSE_SHORT)
            if err.reason in self._told:
                log.info("chart left out: %s", err)
                return
            self._told.add(err.reason)
            self._notice = f"Charts are left out of replies and alerts for now. {err}"
        log.warning("charts are left out of messages: %s", err)

    def take_notice(self) -> str | None:
        """The last upload failure not told to an admin yet, once; None when there is none."""
        with self._lock:
            notice, self._notice = self._notice, None
            return notice
