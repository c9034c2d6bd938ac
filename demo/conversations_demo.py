"""Demo conversations: a clarification request on Atlas Migrant Aid's submitted C01 application (answer it as
cso2@demo.test) and a message to the Bishkek Safe Migration Centre about its grant (cso8@demo.test)."""
from datetime import timedelta

from django.utils import timezone

from applications.models import Application
from conversations.models import Thread
from conversations.services import post_message
from grants.models import Grant

CLARIFICATION = (
    "Budget heading 3 lists two case workers in Tangier at 1,400 EUR a month each. Please confirm whether these are "
    "full-time positions and whether the shelter's rent is covered by another donor."
)
GRANT_MESSAGE = (
    "The interim report of year 1 is due soon. Please include the number of children referred by the mobile teams, "
    "broken down by border crossing."
)


def seed_conversations(*, officer, say):
    application = Application.objects.filter(
        call__reference="C01", organisation__registration_number="RC-118204", submitted_at__isnull=False,
    ).first()
    if application is not None and not Thread.objects.filter(application=application).exists():
        post_message(actor=officer, application=application, body=CLARIFICATION,
                     reply_by=timezone.localdate() + timedelta(days=7))
        say(f"asked Atlas Migrant Aid a clarification on {application.reference}")
    grant = Grant.objects.filter(organisation__registration_number="KG-ORG-118532").first()
    if grant is not None and not Thread.objects.filter(grant=grant).exists():
        post_message(actor=officer, grant=grant, body=GRANT_MESSAGE)
        say(f"wrote to the Bishkek Safe Migration Centre about {grant.reference}")
