"""Load the practice record from the practice's own seed text, and the language-assistance
taglines (idempotent, never overwrites)."""

import re
from pathlib import Path

from django.conf import settings
from phonenumber_field.phonenumber import PhoneNumber

from .models import Practice, Tagline, TextDirection

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


TAGLINE_SOURCE = (
    "Drafted for this website after HHS's sample tagline (machine-assisted): not yet "
    "reviewed by a qualified translator."
)
# HHS's sample meaning: "ATTENTION: If you speak [language], free language assistance services
# are available to you. Call [phone]." Massachusetts' most common languages other than English,
# most spoken first; the list and every text are for the owner to check (see the admin home).
# (tag, English name, name in itself, text, direction)
TAGLINES = [
    (
        "es",
        "Spanish",
        "Español",
        "ATENCIÓN: si habla español, tiene a su disposición servicios gratuitos de "
        "asistencia lingüística. Llame al {phone}.",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "pt",
        "Portuguese",
        "Português",
        "ATENÇÃO: se você fala português, serviços gratuitos de assistência linguística "
        "estão disponíveis para você. Ligue para {phone}.",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "zh-Hans",
        "Chinese (Simplified)",
        "简体中文",
        "注意：如果您使用简体中文，您可以免费获得语言援助服务。请致电 {phone}。",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "zh-Hant",
        "Chinese (Traditional)",
        "繁體中文",
        "注意：如果您使用繁體中文，您可以免費獲得語言援助服務。請致電 {phone}。",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "ht",
        "Haitian Creole",
        "Kreyòl ayisyen",
        "ATANSYON: si w pale kreyòl ayisyen, gen sèvis èd pou lang ki disponib gratis pou "
        "ou. Rele {phone}.",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "vi",
        "Vietnamese",
        "Tiếng Việt",
        "CHÚ Ý: nếu bạn nói tiếng Việt, có các dịch vụ hỗ trợ ngôn ngữ miễn phí dành cho "
        "bạn. Gọi số {phone}.",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "ru",
        "Russian",
        "Русский",
        "ВНИМАНИЕ: если вы говорите на русском языке, вам доступны бесплатные услуги "
        "языковой помощи. Звоните по номеру {phone}.",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "ar",
        "Arabic",
        "العربية",
        "ملحوظة: إذا كنت تتحدث العربية، فإن خدمات المساعدة اللغوية تتوافر لك بالمجان. "
        "اتصل برقم {phone}.",
        TextDirection.RIGHT_TO_LEFT,
    ),
    (
        "km",
        "Khmer",
        "ភាសាខ្មែរ",
        "ប្រយ័ត្ន៖ បើសិនជាអ្នកនិយាយភាសាខ្មែរ សេវាជំនួយផ្នែកភាសាដោយមិនគិតឈ្នួល "
        "គឺមានសម្រាប់អ្នក។ សូមទូរស័ព្ទទៅលេខ {phone}។",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "fr",
        "French",
        "Français",
        "ATTENTION\u00a0: si vous parlez français, des services d’aide linguistique vous sont "
        "proposés gratuitement. Appelez le {phone}.",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "ko",
        "Korean",
        "한국어",
        "주의: 한국어를 사용하시는 경우, 언어 지원 서비스를 무료로 이용하실 수 있습니다. "
        "{phone} 번으로 전화해 주십시오.",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "kea",
        "Cabo Verdean Creole",
        "Kriolu kabuverdianu",
        "ATENSON: si bu ta papia kriolu kabuverdianu, nu ten sirvisus di ajuda na lingua, di "
        "grasa, pa bo. Liga pa {phone}.",
        TextDirection.LEFT_TO_RIGHT,
    ),
    (
        "it",
        "Italian",
        "Italiano",
        "ATTENZIONE: se parla italiano, sono disponibili servizi gratuiti di assistenza "
        "linguistica. Chiami il numero {phone}.",
        TextDirection.LEFT_TO_RIGHT,
    ),
]


def load_practice(stdout):
    if Practice.objects.exists():
        stdout.write("Practice information already present; left unchanged.")
        return
    Practice.objects.create(
        **parse_contact_block(SEED_FILE.read_text(encoding="utf-8"))
    )
    stdout.write("Loaded the practice information.")


def load_taglines(stdout):
    # Once only: a tagline staff deleted or retranslated stays as they left it.
    if Tagline.objects.exists():
        stdout.write("Language assistance taglines already present; left unchanged.")
        return
    for position, (tag, english, native, text, direction) in enumerate(TAGLINES, 1):
        Tagline.objects.create(
            language_code=tag,
            english_name=english,
            language_name=native,
            text=text,
            direction=direction,
            sort_order=position * 10,
            source=TAGLINE_SOURCE,
        )
    stdout.write(
        f"Loaded {len(TAGLINES)} language assistance taglines (not yet reviewed by a "
        "qualified translator)."
    )


def load(stdout):
    load_practice(stdout)
    load_taglines(stdout)
