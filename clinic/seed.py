"""Load the practice record from the practice's own seed text (idempotent, never overwrites)."""

import re
from pathlib import Path

from django.conf import settings
from phonenumber_field.phonenumber import PhoneNumber

from .models import Practice

SEED_DIR = Path(settings.BASE_DIR) / "seed"
SEED_FILE = SEED_DIR / "neuropathic-pain.txt"


def parse_contact_block(text: str) -> dict:
    """Practice fields from the seed's first lines, exactly as the practice supplied them."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    name_line, address_line, phone_line = lines[:3]
    practitioner, _, credentials = (part.strip() for part in name_line.partition(","))
    practitioner = re.sub(r"\s+", " ", practitioner.removeprefix("Dr.").strip())
    address = re.match(
        r"(?P<street>.+?\b(?:St|Street|Ave|Avenue|Rd|Road))\s+(?P<city>[A-Za-z ]+),\s*"
        r"(?P<state>[A-Z]{2})\s+(?P<zip>\d{5})\s*(?P<hood>.*)",
        address_line,
    )
    copyright_notice = next(
        line for line in lines if line.startswith("This website includes")
    )
    return {
        "name": f"Dr. {practitioner}, {credentials}",
        "practitioner_name": practitioner,
        "practitioner_credentials": credentials,
        "street_address": address["street"],
        "city": address["city"].strip(),
        "state": address["state"],
        "postal_code": address["zip"],
        "neighbourhood": address["hood"].strip().title(),
        "phone": PhoneNumber.from_string(re.sub(r"\s", "", phone_line), region="US"),
        "copyright_notice": copyright_notice,
    }


def load(stdout):
    if Practice.objects.exists():
        stdout.write("Practice information already present; left unchanged.")
        return
    Practice.objects.create(
        **parse_contact_block(SEED_FILE.read_text(encoding="utf-8"))
    )
    stdout.write("Loaded the practice information.")
