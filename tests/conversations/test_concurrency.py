"""Simultaneous first messages on PostgreSQL: the application's row lock makes one thread, every message kept, and
the thread's last message is the one written last."""

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from conversations import services
from conversations.models import Message, Thread

from ..concurrency import RACE_MARKS, race_split
from ..conftest import make_user

pytestmark = RACE_MARKS


def test_eight_simultaneous_first_messages_make_one_thread(submitted, organisation):
    officers = [make_user(R.PROGRAMME_OFFICER) for _ in range(4)]
    members = []
    for _ in range(4):
        member = make_user(R.APPLICANT)
        membership_set(actor=None, organisation=organisation, user=member, role=MemberRole.EDITOR)
        members.append(member)
    users = [u for pair in zip(officers, members) for u in pair]

    race_split([
        lambda u=u, i=i: services.post_message(actor=u, application=submitted, body=f"Message {i}")
        for i, u in enumerate(users)
    ], refused=())  # any error fails the test

    thread = Thread.objects.get()
    assert Message.objects.filter(thread=thread).count() == 8
    last = Message.objects.filter(thread=thread).latest("created_at", "id")
    assert (thread.last_message_at, thread.last_side) == (last.created_at, last.side)
