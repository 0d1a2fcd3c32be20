# Simplified Chinese: 2025年6月3日 14:05 (see helpdesk/formats/__init__.py)
DATE_FORMAT = SHORT_DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
TIME_FORMAT = "H:i"
