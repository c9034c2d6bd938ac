"""How drf-spectacular describes this API: the settings' DEFAULT_SCHEMA_CLASS."""
import re

from drf_spectacular import openapi

VERSION_SEGMENT = re.compile(r"v\d+")


class AutoSchema(openapi.AutoSchema):
    def get_tags(self):
        # Tagged by resource ("calls", "payments") rather than by the version segment every path shares, so the
        # reference page (api/reference.py) and other viewers group operations by what they act on.
        return [token for token in self._tokenize_path() if not VERSION_SEGMENT.fullmatch(token)][:1]
