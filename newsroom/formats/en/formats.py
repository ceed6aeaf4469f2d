# One date and time format across the admin (forms, read-only fields, lists): "24 Nov 2026, 14:02", 24-hour,
# unambiguous in every English. articles.admin.display.moment() and the desk's templates use these names.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
