"""One date and time format per UI language, used everywhere the product shows one
(FORMAT_MODULE_PATH). Each locale's DATE_FORMAT and SHORT_DATE_FORMAT are the same,
and so are its DATETIME_FORMAT and SHORT_DATETIME_FORMAT: a page that asks for the
long form and one that asks for the short form still show a date the same way.

Templates write ``|date:"SHORT_DATETIME_FORMAT"`` (a moment), ``|date:"DATE_FORMAT"``
(a day) or ``|time:"TIME_FORMAT"``; Python uses ``tickets.timeline.when``. Times are
24-hour in every language: agents across time zones compare them.
"""
