"""What the admin's browser tests share: signing in, moving by keyboard, fitting a phone."""

from tests.factories import STAFF_PASSWORD


def tab_to(page, selector, presses=120):
    """Press Tab until the element matching `selector` has focus: it is reachable by keyboard."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(selector) => document.activeElement.matches(selector)", selector
        ):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def sign_in(page, user, code):
    page.goto("/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("6-digit code from your authenticator app").fill(code)
    page.get_by_role("button", name="Sign in").click()


def overflow_at_phone_width(page):
    page.set_viewport_size({"width": 360, "height": 740})
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    return overflow
