"""An SMTP server that appends every message it accepts to a JSON-lines file.

Usage: python -m bench.smtp_sink PORT FILE [DELAY_SECONDS]. The optional delay per message
stretches deliveries so a worker can be killed in the middle of one.
"""

import asyncio
import json
import sys
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path, delay):
        self.path = path
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.original_content or envelope.content)
        body = message.get_payload(decode=True) if not message.is_multipart() else None
        if message.is_multipart():
            body = b"\n".join(
                part.get_payload(decode=True) or b"" for part in message.walk()
            )
        record = {
            "at": time.time(),
            "to": envelope.rcpt_tos,
            "subject": message.get("Subject", ""),
            "body": (body or b"").decode("utf-8", "replace"),
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    controller = Controller(Sink(path, delay), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
