"""The picture of an alert message: a spike's drivers, the digest's week by day; uploaded before the post.

Delivery (bot.alerts.delivery) asks `attach` for the message it is about to post, before it records the attempt,
so an upload never sits between `posting` and the post, and a post is never retried for a picture's sake. The
picture is keyed by the alert's identity, whose payload never changes, so a post that is retried later (refused,
or its outcome checked) shows the same file, uploaded once. `attach` never raises: whatever goes wrong with a
chart, the message goes out as it is (and ChartUploads tells an admin why, once).
"""

from __future__ import annotations

import json
import logging
from typing import Protocol

from bot.alerts import payload
from bot.alerts.model import AlertRecord
from bot.alerts.render import DIGEST
from bot.alerts.rules import SPIKE, SpikeReport
from bot.charts.codec import daily_from_dict
from bot.charts.model import Chart
from bot.slack.charts import ChartUploads, with_picture
from bot.slack.kit import Message

log = logging.getLogger("aispend.alerts")

# where the image block goes: after the header and the line with the change (the digest's total)
POSITION = 2


class Pictures(Protocol):
    def attach(self, record: AlertRecord, message: Message) -> Message: ...


def chart_for(record: AlertRecord) -> Chart | None:
    """The chart a recorded alert shows, from its payload alone; None for kinds without one."""
    from bot.charts import spike_chart

    if record.kind == DIGEST:
        chart = json.loads(record.payload).get("chart")
        return None if chart is None else daily_from_dict(chart)  # a digest recorded before charts has none
    if record.kind != SPIKE:  # budget and cap messages have no chart
        return None
    report = payload.loads(record.payload)
    return spike_chart(report) if isinstance(report, SpikeReport) else None


class AlertPictures:
    def __init__(self, uploads: ChartUploads) -> None:
        self.uploads = uploads

    def attach(self, record: AlertRecord, message: Message) -> Message:
        try:
            chart = chart_for(record)
            if chart is None:
                return message
            from bot.charts import render

            picture = self.uploads.picture(("alert", record.identity), lambda: render(chart))
            return with_picture(message, picture, POSITION)
        except Exception:  # a chart must never cost an alert
            log.exception("alert %s: could not attach its chart; posting it without", record.identity)
            return message
