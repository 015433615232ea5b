"""The SMTP server the tests and the bench deliver to: aiosmtpd storing every message in a Maildir.

Usage: python -m tests.support.smtp_sink PORT MAILDIR [DELAY_SECONDS]. Each stored message
carries its envelope recipients in an X-RcptTo header (aiosmtpd adds it). The optional delay per
message stretches deliveries, so a worker can be killed in the middle of one. Run it through
`tests.support.processes.SmtpSink`, which also reads the Maildir.
"""

import asyncio
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class SlowMailbox(Mailbox):
    def __init__(self, mail_dir, delay=0.0):
        super().__init__(mail_dir)
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def main():
    port, mail_dir = int(sys.argv[1]), sys.argv[2]
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    controller = Controller(
        SlowMailbox(mail_dir, delay), hostname="127.0.0.1", port=port
    )
    controller.start()
    # Runs until terminated: SIGTERM's default action ends the process and closes the port.
    threading.Event().wait()


if __name__ == "__main__":
    main()
