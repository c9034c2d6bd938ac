"""The deadline-surge test (`make surge`, docs/DEPLOY.md): many CSOs sign in, save their drafts with attachments
and submit in the last minutes before a call closes, against a production-like stack on this machine.

`journey.py` is one applicant's walk through the real pages (plain HTTP, no Django, so locust and the test suite
share it); `seed.py` prepares the call and the accounts; `verify.py` checks the database and the storage afterwards;
`locustfile.py` drives the journeys; `run.py` starts everything, runs the surge and cleans up.
"""
