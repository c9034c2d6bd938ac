"""Sanctions-list name matching: normalisation and fuzzy similarity, with the standard library only.

Names are compared after `normalise_name`: no accents, case or punctuation, and without the legal-form and filler
words of `LEGAL_FORM_WORDS`, so "Fondation de l'Espoir" and "ESPOIR (Foundation)" compare as equal. The
similarity of two normalised names is the better of a character-by-character ratio and the same ratio over
their sorted sets of words, so word order does not matter.

Comparing every organisation with every entry would be slow, so `Screener` indexes the entries' words and only
scores entries that share enough words (or words within one typing error) with the name screened.
"""
import csv
import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher

DEFAULT_THRESHOLD = 0.85

# Words that say what kind of body an organisation is, or join words, rather than which one it is.
LEGAL_FORM_WORDS = frozenset(
    """
    association associations asociacion associacao assoc foundation fondation fundacion fundacao stiftung
    ngo ngos ong ongs ingo npo society societe sociedad organisation organization organizacion organizacao
    trust charity charitable inc incorporated corp corporation company co ltd limited llc plc sa sarl sas gmbh ag
    the of for and de la le les el al du des del da do dos das et y e a l d s
    """.split()
)

# A name shorter than this (once normalised) only matches an identical name: one changed letter in a
# three-letter acronym makes another organisation, not a misspelling.
MIN_FUZZY_LENGTH = 5
# Words this short are too common to look up by their one-typo variants.
MIN_VARIANT_WORD = 4

# Dots join what they separate ("N.G.O." is "ngo"); other punctuation, apostrophes included, separates words, so
# "l'Espoir" is "l espoir" and the elided article is dropped with the other filler words.
_JOINERS = frozenset(".")


def normalise_name(name, *, stop_words=LEGAL_FORM_WORDS):
    """Casefolded, accents stripped, punctuation dropped, spaces collapsed, legal-form words removed.

    A name made only of such words keeps them, so that it still has something to compare.
    """
    decomposed = unicodedata.normalize("NFKD", name or "")
    chars = []
    for char in decomposed:
        if unicodedata.combining(char) or char in _JOINERS:
            continue
        chars.append(char if char.isalnum() else " ")
    words = "".join(chars).casefold().split()
    kept = [word for word in words if word not in stop_words]
    return " ".join(kept or words)


def _word_set(name):
    return " ".join(sorted(set(name.split())))


class NameScorer:
    """Scores names against one normalised name, reusing difflib's index of that name for each comparison."""

    def __init__(self, name):
        self.name = name
        self._matchers = (
            (SequenceMatcher(None, b=name, autojunk=False), lambda other: other),
            (SequenceMatcher(None, b=_word_set(name), autojunk=False), _word_set),
        )

    def score(self, other, *, floor=0.0):
        """Similarity from 0 to 1 (the better of the character ratio and the word-set ratio); 0 when below `floor`."""
        if not self.name or not other:
            return 0.0
        if self.name == other:
            return 1.0
        if min(len(self.name), len(other)) < MIN_FUZZY_LENGTH:
            return 0.0
        best = 0.0
        for matcher, form in self._matchers:
            matcher.set_seq1(form(other))
            # The quick ratios are upper bounds of the ratio and cost far less: skip what cannot reach the floor.
            bar = max(best, floor)
            if matcher.real_quick_ratio() >= bar and matcher.quick_ratio() >= bar:
                best = max(best, matcher.ratio())
        return best if best >= floor else 0.0


def similarity(a, b):
    """How alike two normalised names are, from 0 to 1, whatever the order of their words."""
    return NameScorer(a).score(b)


def _variants(word):
    """The word and, if long enough, the word with any one letter left out: two words within one substitution,
    insertion or deletion of each other share at least one of these."""
    if len(word) < MIN_VARIANT_WORD:
        return {word}
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


def _terms(name):
    """The name's words, and each two neighbouring words written as one, so "services youth" meets "servicesyouth"."""
    words = name.split()
    return set(words) | {a + b for a, b in zip(words, words[1:])}


class Screener:
    """Finds the entries whose normalised name is at least `threshold` similar to a name.

    `entries` is an iterable of (key, normalised_name); `matches` returns {key: score} with the best score
    per entry over all the names given (an organisation's legal name and acronym).

    Only candidates are scored: entries having words equal, or within one typing error, to the name's words
    (or to two of its words run together), and enough of them that the letters of those words make up at least
    `threshold - CANDIDATE_SLACK` of the two names together. So entries sharing only a common word ("relief",
    "trading") with the name are not scored.
    """

    CANDIDATE_SLACK = 0.45

    def __init__(self, entries, *, threshold=DEFAULT_THRESHOLD):
        self.threshold = threshold
        self._names = {}
        self._letters = {}
        self._keys_by_word = defaultdict(set)
        for key, name in entries:
            if not name:
                continue
            self._names[key] = name
            self._letters[key] = len(name.replace(" ", ""))
            for word in _terms(name):
                self._keys_by_word[word].add(key)
        self._words_by_variant = defaultdict(set)
        for word in self._keys_by_word:
            for variant in _variants(word):
                self._words_by_variant[variant].add(word)

    def __len__(self):
        return len(self._names)

    def _similar_words(self, word):
        found = set()
        for variant in _variants(word):
            found |= self._words_by_variant.get(variant, set())
        return found

    def candidates(self, name):
        shared = defaultdict(int)  # entry key -> letters of the name's words it has (or nearly has)
        for word in _terms(name):
            keys = set()
            for similar in self._similar_words(word):
                keys |= self._keys_by_word[similar]
            for key in keys:
                shared[key] += len(word)
        letters = len(name.replace(" ", ""))
        floor = self.threshold - self.CANDIDATE_SLACK
        return {
            key for key, common in shared.items() if 2 * min(common, letters) >= floor * (letters + self._letters[key])
        }

    def matches(self, *names):
        found = {}
        for name in filter(None, names):
            scorer = NameScorer(name)
            for key in self.candidates(name):
                score = scorer.score(self._names[key], floor=self.threshold)
                if score and score > found.get(key, 0.0):
                    found[key] = score
        return found


# --- Reading a list ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SanctionsRow:
    list_name: str
    name: str
    reference: str = ""
    country: str = ""


class SanctionsFileError(ValueError):
    """The file cannot be read as a sanctions list; the message says why."""


COLUMNS = ("name", "reference", "country", "list")
# The longest value each column may hold (as stored).
MAX_LENGTHS = {"name": 255, "reference": 120, "country": 120, "list": 120}


def read_sanctions_csv(path, *, default_list=""):
    """The entries of a CSV file with a header row: `name` (required), `reference`, `country`, `list` (else
    `default_list`). UTF-8, with or without a byte-order mark; fields separated by commas or semicolons."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise SanctionsFileError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV.") from exc
    except OSError as exc:
        raise SanctionsFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise SanctionsFileError(f"{path} is empty.")
    header_line = next(line for line in lines if line.strip())
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    try:
        return _read_rows(csv.reader(io.StringIO(text), delimiter=delimiter), path=path, default_list=default_list)
    except csv.Error as exc:
        raise SanctionsFileError(f"{path} is not a readable CSV file: {exc}.") from exc


def _read_rows(reader, *, path, default_list):
    header = []
    while not any(header):
        header = [column.strip().casefold() for column in next(reader)]
    delimiter = reader.dialect.delimiter
    if "name" not in header:
        raise SanctionsFileError(
            f"{path} has no 'name' column. The first row must name the columns, "
            f"e.g. name{delimiter}reference{delimiter}country{delimiter}list."
        )
    position = {column: header.index(column) for column in COLUMNS if column in header}
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        cells = {column: (values[i].strip() if i < len(values) else "") for column, i in position.items()}
        cells["list"] = cells.get("list") or default_list
        line = reader.line_num
        if not cells["name"]:
            raise SanctionsFileError(f"Line {line}: the name is empty.")
        if not cells["list"]:
            raise SanctionsFileError(f"Line {line}: no list name; add a 'list' column or give --list NAME.")
        for column, limit in MAX_LENGTHS.items():
            if len(cells.get(column, "")) > limit:
                raise SanctionsFileError(f"Line {line}: the {column} is longer than {limit} characters.")
        rows.append(
            SanctionsRow(
                list_name=cells["list"], name=cells["name"],
                reference=cells.get("reference", ""), country=cells.get("country", ""),
            )
        )
    if not rows:
        raise SanctionsFileError(f"{path} has a header row but no entries.")
    return rows
