"""Our .ics files as real calendar apps read them: ical.js (Thunderbird's parser) under Node.

`read_with_icaljs(ics, *local_times)` runs tests/support/read_ics.mjs and returns its JSON:
method, uid, sequence, status, organizer and attendees ({"value", "parameters"}), tzid, start
and end in UTC (ISO 8601, "Z"), and under "local_times" each given wall-clock time
("2028-07-01T10:00:00") in the event's time zone converted to UTC with the file's VTIMEZONE.
"""

import json
import os
import subprocess
from pathlib import Path

READ_ICS = Path(__file__).resolve().parent / "read_ics.mjs"


def read_with_icaljs(ics: bytes, *local_times: str) -> dict:
    result = subprocess.run(
        ["node", str(READ_ICS), *local_times],
        input=ics,
        capture_output=True,
        timeout=60,
        check=False,
        # UTC, so a time ical.js failed to place in the file's zone cannot pass by luck.
        env={**os.environ, "TZ": "UTC"},
    )
    if result.returncode != 0:
        raise AssertionError(
            f"ical.js could not read the file:\n{result.stderr.decode()}"
        )
    return json.loads(result.stdout)
