# Arabic: Django gives no date-time format (it would fall back to the English "N j, Y, P"), and its number separators
# differ from the CLDR ones that money and numbers use everywhere else (Babel: 1,000.50 with Latin digits).
DATE_FORMAT = "j F، Y"
DATETIME_FORMAT = "j F، Y، H:i"
SHORT_DATETIME_FORMAT = "d‏/m‏/Y H:i"
TIME_FORMAT = "H:i"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
