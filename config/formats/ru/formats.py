# Russian dates without Django's trailing "г." ("1 февраля 2027"), which doubled the full stop at the end of sentences.
DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y, G:i"
YEAR_MONTH_FORMAT = "F Y"
