#!/usr/bin/env python3
"""Helpers of bench/delivery.sh (Python 3.9+, aiosmtpd for `sink`).

  delivery_helper.py sink --port P --status FILE
      An SMTP server on 127.0.0.1:P (aiosmtpd) that accepts every message and
      only counts it: distinct Message-IDs, duplicates, first and last arrival
      (epoch seconds). The counts are written to FILE (JSON) every 50 ms.

  delivery_helper.py seed --database-url URL --count N [--tag T]
      Writes N pending outbox messages (multipart/alternative, text + HTML,
      Russian, about the size of a real one) in ONE transaction, straight into
      the database, and prints the epoch time right after the commit.
      sqlite://… through Python's sqlite3 (the same encodings the service
      uses: UUID as 16-byte BLOB, time as RFC 3339 text with microseconds);
      postgres://… through `psql` and COPY.
"""

import argparse
import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate


def uuid7():
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64
    value |= 0b10 << 62 | rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def message(id_, i, tag):
    rcpt = f"bench{i:05d}@mail.test"
    subject = f"Срок сертификата медиатора истекает 2027-01-31 ({tag} {i})"
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = "Kelisim <no-reply@kelisim.local>"
    msg["To"] = f"Mediator {i} <{rcpt}>"
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<{id_}@kelisim.local>"
    text = (
        f"Уважаемый(ая) Mediator {i},\r\n\r\n"
        "срок вашего сертификата медиатора в реестре Kelisim (регистрационный номер "
        f"MED-{i:05d}) истекает 2027-01-31. После этой даты новые дела вам предлагаться "
        "не будут, а запись в реестре будет приостановлена.\r\n\r\n"
        "Пожалуйста, продлите сертификат и сообщите администратору.\r\n\r\nKelisim\r\n"
    )
    msg.set_content(text)
    html = "<!doctype html><html lang=\"ru\"><body>" + "".join(
        f"<p>{line}</p>" for line in text.split("\r\n\r\n")
    ) + "</body></html>"
    msg.add_alternative(html, subtype="html")
    return rcpt, subject, msg.as_bytes().decode("ascii")


def rows(count, tag):
    now = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    for i in range(count):
        id_ = uuid7()
        rcpt, subject, raw = message(id_, i, tag)
        yield id_, rcpt, subject, raw, f"<{id_}@kelisim.local>", now


COLUMNS = (
    "id, kind, recipient, subject, raw_message, status, attempts, "
    "next_attempt_at, message_id, created_at"
)


def seed(url, count, tag):
    data = list(rows(count, tag))
    if url.startswith("sqlite:"):
        import sqlite3

        path = url.split("://", 1)[1].split("?", 1)[0]
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            f"INSERT INTO outbox_messages ({COLUMNS}) VALUES (?, 'bench', ?, ?, ?, 'pending', 0, ?, ?, ?)",
            [(id_.bytes, r, s, raw, now, mid, now) for id_, r, s, raw, mid, now in data],
        )
        conn.execute("COMMIT")
        conn.close()
    else:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for id_, r, s, raw, mid, now in data:
            w.writerow([str(id_), "bench", r, s, raw, "pending", 0, now, mid, now])
        subprocess.run(
            ["psql", url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c",
             f"COPY outbox_messages ({COLUMNS}) FROM STDIN WITH (FORMAT csv)"],
            input=buf.getvalue().encode(), check=True,
        )
    print(f"{time.time():.6f}")


def sink(port, status_path):
    from aiosmtpd.smtp import SMTP

    state = {"count": 0, "distinct": 0, "duplicates": 0, "first": None, "last": None}
    seen = set()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            now = time.time()
            content = envelope.original_content
            mid = None
            for line in content.split(b"\r\n", 64):
                if line[:11].lower() == b"message-id:":
                    mid = line[11:].strip()
                    break
                if not line:
                    break
            state["count"] += 1
            if mid in seen:
                state["duplicates"] += 1
            else:
                seen.add(mid)
                state["distinct"] += 1
            if state["first"] is None:
                state["first"] = now
            state["last"] = now
            return "250 OK"

    async def report():
        tmp = status_path + ".tmp"
        while True:
            with open(tmp, "w") as f:
                json.dump(state, f)
            os.replace(tmp, status_path)
            await asyncio.sleep(0.05)

    async def main():
        loop = asyncio.get_running_loop()
        await loop.create_server(
            lambda: SMTP(Handler(), hostname="sink.kelisim.test"),
            host="127.0.0.1", port=port, reuse_address=True)
        await report()

    asyncio.run(main())


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sink")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--status", required=True)
    d = sub.add_parser("seed")
    d.add_argument("--database-url", required=True)
    d.add_argument("--count", type=int, required=True)
    d.add_argument("--tag", default="bench")
    a = p.parse_args()
    if a.cmd == "sink":
        sink(a.port, a.status)
    else:
        seed(a.database_url, a.count, a.tag)


if __name__ == "__main__":
    sys.exit(main())
