"""`/aispend export [PERIOD] [by GRAIN]`: the billed rows as a CSV file, uploaded to the caller's DM.

The file goes to the bot's direct-message conversation with the caller (conversations.open gives its D… id;
files_upload_v2 takes a conversation id, never a user id), so a `public` export still shares nothing in the
channel. `by user` holds people's names: only for those who may see people (admins and AISPEND_PEOPLE_VIEWERS,
bot.slack.access); emails are never in a Slack export. The other grains hold no per-person data (a key's owner is
not a column). A failed upload is one sentence with the fix (the scope to add, then reinstall).
"""

from __future__ import annotations

import io
import logging
from datetime import datetime

from slack_sdk import WebClient

from bot.export_format import write_rows
from bot.export_rows import columns, export_rows
from bot.money import fmt_usd
from bot.periods import parse_period
from bot.slack.access import Policy, may_see_people, people_refusal
from bot.slack.commands import Export
from bot.slack.mrkdwn import escape
from bot.slack.uploads import UploadError, open_dm, upload_file
from bot.store import Store

log = logging.getLogger(__name__)

NO_CLIENT = ":information_source: This bot process cannot upload files: run `aispend export` on the server instead."


def export_reply(
    store: Store, client: WebClient | None, policy: Policy, parsed: Export, user: str, *, now: datetime
) -> str:
    """Upload the export to `user`'s DM and say where it went, or why it did not."""
    if parsed.grain == "user" and not may_see_people(policy, user, public=False):
        return people_refusal(policy, user, public=False)
    if client is None:
        return NO_CLIENT
    period = parse_period(parsed.period, now.date())
    buffer = io.StringIO(newline="")
    rows = export_rows(store, period, parsed.grain, people=True)
    try:
        totals = write_rows(buffer, rows, columns(parsed.grain), "csv")
    finally:
        rows.close()
    by = "" if parsed.grain == "item" else f"-by-{parsed.grain}"
    filename = f"aispend-{period.start}-to-{period.end}{by}.csv"
    what = f"{totals.rows} rows, {fmt_usd(totals.usd)} billed, {period.start} to {period.end} (UTC)"
    try:
        channel = open_dm(client, user)
        upload_file(
            client,
            content=buffer.getvalue().encode("utf-8"),
            filename=filename,
            title=f"AI spend export, {period.start} to {period.end}",
            channel=channel,
            initial_comment=f"Your aispend export: {what}.",
        )
    except UploadError as err:
        log.warning("export upload for %s failed: %s", user, err)
        return f":warning: The export could not be sent to you: {escape(str(err))}"
    return f":inbox_tray: Sent `{filename}` ({what}) to your direct messages with aispend."
