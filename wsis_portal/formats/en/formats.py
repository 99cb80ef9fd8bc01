"""English dates as the United Nations writes them: 21 January 2027, 14:30 (Django's own English
formats are American: "Jan. 21, 2027, 2:30 p.m."). The other five languages keep Django's formats;
Arabic's date-and-time formats, which Django leaves out, are completed in ``../ar``."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1
