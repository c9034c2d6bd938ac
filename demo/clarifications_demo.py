"""Public questions and answers on the open demo call: two answers published, one question waiting."""
from accounts.models import Organisation, User
from clarifications.models import CallQuestion
from clarifications.services import answer_publish, question_ask

PUBLISHED = [
    (
        "cso2@demo.test",
        "May an organisation registered for less than two years apply together with an older partner as co-applicant?",
        "No. The lead applicant must itself have been registered for at least two years in one of the 13 GLO.ACT "
        "countries. A younger organisation may take part as a co-applicant or an affiliated entity.",
    ),
    (
        "cso1@demo.test",
        "Can the salary of staff already employed by our organisation be charged to the action?",
        "Yes, for the share of their time actually spent on the action, at the organisation's usual rates, shown in "
        "the budget as a number of months and a monthly cost.",
    ),
]
WAITING = ("cso1@demo.test", "Is the 5% co-financing calculated on the total eligible costs or on the direct costs only?")


def _ask(email, text, call):
    user = User.objects.get(email=email)
    return question_ask(actor=user, call=call, text=text, organisation=Organisation.objects.filter(memberships__user=user).first())


def seed_clarifications(*, call, officer, say):
    if CallQuestion.objects.filter(call=call).exists():
        return
    for email, question, answer in PUBLISHED:
        answer_publish(actor=officer, question=_ask(email, question, call), answer=answer)
    _ask(*WAITING, call)
    say(f"published two answers to questions on call {call.reference}; one question waits for an answer")
