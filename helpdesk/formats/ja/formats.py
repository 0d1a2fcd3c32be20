# Japanese: 2025/06/03 14:05 (see helpdesk/formats/__init__.py)
DATE_FORMAT = SHORT_DATE_FORMAT = "Y/m/d"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "Y/m/d H:i"
TIME_FORMAT = "H:i"
