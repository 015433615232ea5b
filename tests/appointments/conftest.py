import re

import pytest


@pytest.fixture
def front_desk(settings):
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    return settings.FRONT_DESK_EMAIL


def form_stamp_in(response) -> str:
    return re.search(
        r'name="form_stamp" value="([^"]+)"', response.content.decode()
    ).group(1)
