"""A CSO registers, confirms its e-mail address from the link it received, signs in, completes its profile, and
invites a colleague who joins from the link in the invitation."""
import re

from django.core import mail

from accounts.services import cso_register, user_verify_email
from accounts.tokens import email_verification_token

from .conftest import DESKTOP, PHONE

PASSWORD = "a-long-and-unusual-passphrase"


def fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def both_widths(page, screenshot, name):
    """Screenshots at 360 px and on a desktop; the page must not scroll sideways on the phone."""
    page.set_viewport_size(PHONE)
    assert fits_the_phone(page), name
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)


def test_register_verify_and_complete_the_profile(live_server, transactional_db, new_page, screenshot):
    page = new_page(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Register it").click()
    assert page.get_by_role("heading", name="Register your organisation").is_visible()
    both_widths(page, screenshot, "signup")

    # A first try with a weak password comes back with the message on the field and the rest kept.
    page.get_by_label("Your full name").fill("Amina Rai")
    page.get_by_label("Your e-mail address").fill("amina@shelter.example")
    page.get_by_label("Password").fill("short")
    page.get_by_label("Legal name").fill("Shelter Network Nepal")
    page.get_by_label("Acronym").fill("SNN")
    page.get_by_label("Country of registration").select_option("NP")
    page.get_by_label("Registration number").fill("SWC-27999")
    page.get_by_label("Organisation type").select_option(label="National NGO")
    page.get_by_role("button", name="Register").click()
    assert page.get_by_text("This password is too short").is_visible()
    assert page.get_by_label("Legal name").input_value() == "Shelter Network Nepal"
    both_widths(page, screenshot, "signup-error")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    assert page.get_by_role("heading", name="Check your e-mail").is_visible()
    both_widths(page, screenshot, "check-email")

    # The e-mail went out through the same process's outbox.
    [message] = mail.outbox
    link = re.search(r"https?://\S+/accounts/verify/\S+/", message.body).group(0)
    page.goto(link)
    assert page.get_by_role("heading", name="Your e-mail address is confirmed").is_visible()
    # Registering does not sign in (the answer is the same for an address that has an account): sign in now.
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").fill("amina@shelter.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Shelter Network Nepal").click()

    assert page.get_by_role("heading", name="What is missing").is_visible()
    assert page.locator("#missing-title + p + ul li").count() == 9  # everything but the verified address
    both_widths(page, screenshot, "profile-incomplete")

    page.get_by_role("link", name="Edit the profile").click()
    page.get_by_label("Registry or registering authority").fill("Social Welfare Council")
    page.get_by_label("Year founded").fill("2004")
    page.get_by_label("Annual budget (EUR)").fill("120,000.50")
    page.get_by_label("Mission").fill("Shelter, legal aid and safe return for survivors of trafficking.")
    page.get_by_label("Address", exact=True).fill("Ward 3, Lalitpur\nNepal")
    page.get_by_label("Website").fill("https://shelter.example")
    page.get_by_label("Contact person").fill("Amina Rai")
    page.get_by_label("Contact e-mail").fill("office@shelter.example")
    page.get_by_label("Contact telephone").fill("+977 1 5550100")
    both_widths(page, screenshot, "profile-edit")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("The profile was saved.").is_visible()
    assert page.get_by_text("€120,000.50").is_visible()

    page.get_by_role("link", name="Bank details").click()
    page.get_by_label("Account holder").fill("Shelter Network Nepal")
    page.get_by_label(re.compile(r"^Bank \*?$")).fill("Nabil Bank")
    page.get_by_label("IBAN or account number").fill("0123 4567 8901 2345")
    page.get_by_label("SWIFT/BIC").fill("NARBNPKA")
    page.get_by_label("Account currency").fill("NPR")
    both_widths(page, screenshot, "bank-details")
    page.get_by_role("button", name="Save").click()

    assert page.get_by_text("The bank details were saved.").is_visible()
    assert page.get_by_text("Nothing: the profile is complete.").is_visible()
    assert page.get_by_text("•••• 2345").is_visible()
    assert page.get_by_text("0123456789012345").count() == 0
    both_widths(page, screenshot, "profile-complete")


def test_admin_invites_a_colleague_who_joins(live_server, transactional_db, new_page, screenshot):
    admin, org = cso_register(
        email="amina@shelter.example", password=PASSWORD, full_name="Amina Rai", legal_name="Shelter Network Nepal",
        country="NP", registration_number="SWC-31000", org_type="22", base_url=live_server.url,
    )
    user_verify_email(actor=None, token=email_verification_token(admin))

    page = new_page(PHONE)
    page.goto(f"{live_server.url}/accounts/login/?next=/organisations/{org.pk}/")
    page.get_by_label("E-mail address").fill("amina@shelter.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("E-mail address").fill("bikash.tamang@shelter-network-nepal.example")
    page.get_by_label(re.compile(r"^Role\b")).select_option(label="Viewer")
    page.get_by_role("button", name="Send the invitation").click()
    assert page.get_by_text("An invitation was sent to bikash.tamang@shelter-network-nepal.example").is_visible()
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)

    colleague = new_page(PHONE)
    colleague.goto(link)
    assert colleague.get_by_role("heading", name="Join Shelter Network Nepal").is_visible()
    colleague.get_by_label("Your full name").fill("Bikash Tamang")
    colleague.get_by_label("Password").fill("another-long-passphrase")
    both_widths(colleague, screenshot, "invitation")
    colleague.get_by_role("button", name="Create my account and join").click()
    assert colleague.get_by_text("Welcome to Shelter Network Nepal.").is_visible()
    assert colleague.get_by_role("link", name="Edit the profile").count() == 0

    page.reload()
    members = page.locator("#members tbody tr")
    assert members.count() == 2
    assert page.get_by_text("No invitation is waiting for an answer.").is_visible()
    both_widths(page, screenshot, "members")
