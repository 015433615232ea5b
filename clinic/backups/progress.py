import time

from django.template.defaultfilters import filesizeformat

INTERVAL_SECONDS = 5.0


class Progress:
    """How a long step is going, said every few seconds; a step that ends sooner says nothing."""

    def __init__(self, write, interval=None):
        self.write = write
        self.interval = INTERVAL_SECONDS if interval is None else interval
        self.next_at = time.monotonic() + self.interval

    def update(self, describe):
        """Call often; `describe()` builds the line only when one is due."""
        now = time.monotonic()
        if now >= self.next_at:
            self.write(describe())
            self.next_at = now + self.interval


def human_size(size):
    """“12.0 MB”, as the admin shows sizes (Django's filesizeformat), with plain spaces."""
    return filesizeformat(size).replace("\xa0", " ")
