"""One applicant's deadline-day journey through the real pages, as a browser would make it.

Sign in (CSRF token from the sign-in page), open the call's apply page and start the application, then save the
draft three times from the one multipart edit form, each time with a different small PDF attached, filling a little
more each time, and submit: the edit page's Submit button saves and leads to the check-and-submit page, whose one
button submits (or, in the application's earlier form, submits at once); finally read the reference off the receipt.

The module speaks plain HTTP through any `requests`-like client (`client.request(method, path, name=..., ...)`):
locust's HttpSession in the surge, a `requests.Session` against the test server in the test suite. It never
imports Django or locust, so both can use it.

Every step is written to a journal (`record(event, **data)`): the uploads with their size and SHA-256 before they
are sent and once acknowledged, and the reference of each acknowledged submission. The verifier compares the
database and the storage with it.

Like a person on deadline day, the journey presses again when the page did not come back (a 502/503/504 or a
broken connection): the application is built for that (a second submit finds the application submitted and shows
its receipt; a second save keeps the draft and attaches the document once more). The proxy itself never re-sends
a POST that reached a node (surge/nginx.conf.template).
"""
import hashlib
import random
import re
import zlib
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser

RETRY_STATUSES = {0, 502, 503, 504}  # 0: no answer at all (connection refused or reset)
ATTEMPTS = 4

_REFERENCE = re.compile(r'<strong class="reference">\s*([^<\s]+)\s*</strong>')
_EDIT = re.compile(r"/applications/(\d+)/edit/")
_RECEIPT = re.compile(r"/applications/(\d+)/(receipt/)?$")
_CHECK = re.compile(r"/applications/(\d+)/submit/$")


class JourneyError(Exception):
    """The application did not answer as a browser user would expect; `kind` classifies it for the summary."""

    def __init__(self, kind, message, status=None):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.status = status


# ---- reading pages ---------------------------------------------------------------------------------------------


class _FormParser(HTMLParser):
    """Every form of a page, with its fields as the browser would send them: text inputs with their values, checked
    boxes and radios, each select's selected option, textareas. Buttons and file inputs are left to the caller."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []  # one dict per form, in page order
        self.current = None  # the form being read (forms do not nest)
        self._select = None
        self._select_selected = None
        self._textarea = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {"id": attrs.get("id"), "action": attrs.get("action"), "fields": [], "options": {}, "radios": {}, "checkboxes": {}}
            self.forms.append(self.current)
            return
        form = self.current
        if form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind == "radio":
                form["radios"].setdefault(name, []).append(attrs.get("value", "on"))
            if kind == "checkbox":
                form["checkboxes"].setdefault(name, []).append(attrs.get("value", "on"))
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            form["fields"].append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_selected = name, None
            form["options"][name] = []
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            form["options"][self._select].append(value)
            if "selected" in attrs:
                self._select_selected = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        form = self.current
        if tag == "form":
            self.current = None
        elif form is None:
            return
        elif tag == "select" and self._select:
            options = form["options"][self._select]
            chosen = self._select_selected if self._select_selected is not None else (options[0] if options else "")
            form["fields"].append((self._select, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea:
            form["fields"].append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


class Form:
    """A form of the page (the one with id `form_id`, or the first that has a field named `having`, or the first):
    ordered (name, value) pairs that can be changed and sent again. `found` is False when the page has no such form."""

    def __init__(self, html, form_id=None, having=None):
        parser = _FormParser()
        parser.feed(html or "")
        parser.close()
        chosen = next(
            (
                form for form in parser.forms
                if (form_id is None or form["id"] == form_id)
                and (having is None or any(name == having for name, _ in form["fields"]) or having in form["radios"])
            ),
            None,
        )
        self.found = chosen is not None
        chosen = chosen or {"id": None, "action": None, "fields": [], "options": {}, "radios": {}, "checkboxes": {}}
        self.fields = chosen["fields"]
        self.options = chosen["options"]
        self.radios = chosen["radios"]
        self.checkboxes = chosen["checkboxes"]

    def get(self, name, default=None):
        return next((value for key, value in self.fields if key == name), default)

    def values(self, name):
        return [value for key, value in self.fields if key == name]

    def set(self, name, value):
        """Replace every value of `name` by `value` (a list sets several, as for checkboxes)."""
        values = value if isinstance(value, list) else [value]
        self.fields = [(k, v) for k, v in self.fields if k != name] + [(name, str(v)) for v in values]

    def set_blank(self, name, value):
        """Fill `name` only if the page shows it empty, as a person completing a draft would."""
        if not (self.get(name) or "").strip():
            self.set(name, value)

    def first_option(self, name):
        return next((value for value in self.options.get(name, []) if value), None)

    def data(self, **extra):
        return list(self.fields) + [(k, str(v)) for k, v in extra.items()]


def csrf_token(html, having=None):
    token = Form(html, having=having).get("csrfmiddlewaretoken")
    if not token:
        raise JourneyError("unexpected_page", "no CSRF token on the page")
    return token


def page_reference(html):
    match = _REFERENCE.search(html or "")
    return unescape(match.group(1)) if match else None


# ---- the documents uploaded ------------------------------------------------------------------------------------


def make_pdf(applicant, save_number, *, lines=None):
    """A small valid one-page PDF, different for every applicant and save (a few kB, its size varying too)."""
    rng = random.Random(f"{applicant}/{save_number}")
    lines = lines if lines is not None else rng.randint(20, 160)
    words = ["budget", "shelter", "referral", "outreach", "training", "case", "management", "legal", "aid", "monitoring"]
    text = [f"Supporting document {save_number} of {applicant}", f"token {rng.getrandbits(64):016x}"]
    text += [" ".join(rng.choice(words) for _ in range(rng.randint(4, 12))) for _ in range(lines)]

    def escape(s):
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 9 Tf", "11 TL", "40 810 Td"] + [f"({escape(line)}) '" for line in text] + ["ET"]
    stream = zlib.compress("\n".join(ops).encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ---- what the applicant types ------------------------------------------------------------------------------------


def fill(form, step, *, applicant, today=None):
    """Type a little more of the application at each save (1, 2, 3); after step 3 it is complete for submission.

    The amounts respect any call whose grants span EUR 10,000 to 300,000, with indirect costs capped at 7% or more
    and co-financing of at most 5%: one line of 12 x 5,000 = 60,000 direct costs, 4,200 indirect, 3,300 own
    contribution, so 60,900 is requested.
    """
    today = today or date.today()
    start = today + timedelta(days=30)
    end = start.replace(year=start.year + 1) - timedelta(days=1)  # twelve months
    form.set_blank("title", f"Deadline surge action of {applicant}")
    form.set_blank("summary", "Outreach teams identify and refer victims of trafficking; a shelter offers legal aid.")
    if not form.get("objective"):
        form.set("objective", form.first_option("objective") or "")
    if not form.values("countries") and form.checkboxes.get("countries"):
        form.set("countries", form.checkboxes["countries"][:1])
    form.set_blank("start_date", start.isoformat())
    form.set_blank("end_date", end.isoformat())
    if step >= 2:
        for name, number in (("women", 120), ("men", 80), ("girls", 40), ("boys", 30), ("victims_of_trafficking", 60), ("smuggled_migrants", 50)):
            form.set_blank(name, number)
        form.set_blank("lines-0-heading", form.first_option("lines-0-heading") or "1")
        form.set_blank("lines-0-description", "Case workers")
        form.set_blank("lines-0-unit", "month")
        form.set_blank("lines-0-quantity", "12")
        form.set_blank("lines-0-unit_cost", "5000.00")
    if step >= 3:
        form.set_blank("indirect_costs", "4200.00")
        form.set_blank("contingency", "0")
        form.set_blank("own_contribution", "3300.00")
        form.set_blank("third_party_contribution", "0")
        for index, (level, statement, indicator, target) in enumerate((
            ("outcome", "Victims recover and reach a durable solution", "People with a durable solution", "100"),
            ("output", "Victims identified and referred", "People referred", "400"),
        )):
            form.set_blank(f"rows-{index}-level", level)
            form.set_blank(f"rows-{index}-statement", statement)
            form.set_blank(f"rows-{index}-indicator", indicator)
            form.set_blank(f"rows-{index}-baseline", "0")
            form.set_blank(f"rows-{index}-target", target)
    return form


# ---- the walk --------------------------------------------------------------------------------------------------


def _location(response):
    return (getattr(response, "headers", None) or {}).get("Location", "") or ""


def _text(response):
    return getattr(response, "text", None) or ""


class Journey:
    """One applicant: `client` is requests-like, `record(event, **data)` writes the journal, `pause(low, high)` is
    the person's thinking time (seconds; gevent's sleep under locust)."""

    def __init__(self, client, *, email, password, apply_path, record, pause, today=None):
        self.client, self.email, self.password, self.apply_path = client, email, password, apply_path
        self.record, self.pause, self.today = record, pause, today
        self.retries = 0
        self.application_id = None

    def _send(self, method, path, *, name, ok=(200,), **kwargs):
        """One request as a person makes it: pressed again after a 502/503/504 or no answer at all."""
        for attempt in range(1, ATTEMPTS + 1):
            response = self.client.request(method, path, name=name, allow_redirects=False, **kwargs)
            status = getattr(response, "status_code", 0) or 0
            if status not in RETRY_STATUSES or attempt == ATTEMPTS:
                break
            self.retries += 1
            self.record("retry", email=self.email, step=name, status=status, attempt=attempt)
            self.pause(1.0, 3.0)
        if status not in ok:
            kind = "server_error" if status >= 500 else "no_answer" if status == 0 else "refused"
            raise JourneyError(kind, f"{method} {name} answered {status}", status)
        return response

    def run(self):
        self.record("start", email=self.email)
        # Sign in through the real page: the CSRF token comes from the form, the cookie from the response.
        page = self._send("GET", "/accounts/login/", name="sign-in page")
        answer = self._send(
            "POST", "/accounts/login/", name="sign in", ok=(302,),
            data={"csrfmiddlewaretoken": csrf_token(_text(page), having="username"), "username": self.email, "password": self.password, "next": ""},
        )
        if "/accounts/login/" in _location(answer):
            raise JourneyError("sign_in_refused", "the sign-in page came back")
        self.pause(0.5, 2.0)

        page = self._send("GET", self.apply_path, name="apply page")
        form = Form(_text(page), having="organisation")
        organisation = form.get("organisation") or next(iter(form.radios.get("organisation", [])), None)
        if not organisation:
            raise JourneyError("unexpected_page", "the apply page offers no organisation")
        form.set("organisation", organisation)
        answer = self._send("POST", self.apply_path, name="start application", ok=(302,), data=form.data())
        match = _EDIT.search(_location(answer))
        if not match:
            raise JourneyError("unexpected_page", f"starting the application led to {_location(answer)!r}")
        self.application_id = int(match.group(1))
        edit_path = f"/applications/{self.application_id}/edit/"
        page = self._send("GET", edit_path, name="application form")

        for step in (1, 2, 3):
            self.pause(1.0, 3.0)
            form = fill(Form(_text(page), form_id="application-form"), step, applicant=self.email, today=self.today)
            content = make_pdf(self.email, step)
            upload = {
                "email": self.email, "application": self.application_id, "step": step,
                "name": f"{self.email.split('@')[0]}-document-{step}.pdf", "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
            self.record("upload_sent", **upload)
            answer = self._send(
                "POST", edit_path, name="save draft", ok=(302,),
                data=form.data(action="save", **{"att-title": f"Supporting document {step}"}),
                files={"att-file": (upload["name"], content, "application/pdf")},
            )
            if edit_path not in _location(answer):
                raise JourneyError("unexpected_page", f"saving led to {_location(answer)!r}")
            self.record("upload_saved", **upload)
            page = self._send("GET", edit_path, name="application form")

        self.pause(1.0, 3.0)
        form = Form(_text(page), form_id="application-form")
        answer = self._send("POST", edit_path, name="save and check", ok=(302, 400), data=form.data(action="submit"))
        self._refused(answer)
        location = _location(answer).split("#")[0]
        if _CHECK.search(location):
            # The draft is saved; the check page shows everything once more, and its one button submits.
            check_path = f"/applications/{self.application_id}/submit/"
            page = self._send("GET", check_path, name="check page", ok=(200, 302))
            if page.status_code == 200:
                self.pause(0.5, 2.0)
                form = Form(_text(page), having="version")
                if not form.found:
                    raise JourneyError("submission_refused", "the check page offers no submit button")
                answer = self._send("POST", check_path, name="submit", ok=(302, 400, 409), data=form.data())
                self._refused(answer)
                location = _location(answer).split("#")[0]
            else:
                location = _location(page)  # already submitted (a retried request): straight to the receipt
        if not _RECEIPT.search(location):
            raise JourneyError("unexpected_page", f"submitting led to {location!r}")
        receipt = self._send("GET", f"/applications/{self.application_id}/receipt/", name="receipt")
        reference = page_reference(_text(receipt))
        if not reference:
            raise JourneyError("unexpected_page", "the receipt shows no reference")
        self.record("submitted", email=self.email, application=self.application_id, reference=reference, retries=self.retries)
        return reference

    @staticmethod
    def _refused(answer):
        if answer.status_code in (400, 409):
            text = _text(answer)
            kind = "late" if "deadline for this call" in text and "passed" in text else "submission_refused"
            raise JourneyError(kind, f"the page came back with {answer.status_code} instead of the receipt", answer.status_code)
