"""The API's one body parser: JSON that the database can store, or a 400."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """JSON, refusing what would only fail later: nesting too deep to parse (RecursionError) and
    strings with lone UTF-16 surrogates ("\\ud800"), which no UTF-8 database column can hold."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.")
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - a string holds an unpaired surrogate (\\ud800-\\udfff).")
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.")
        return data
