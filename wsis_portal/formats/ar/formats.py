"""Arabic dates: Django's Arabic formats leave the date-and-time formats out, so Django falls back to
its global American ones ("12/02/2026 2:30 p.m." for 2 December). These complete them from Django's
own Arabic date and time formats (day before month, right-to-left marks around the slashes so that
the parts keep their order inside right-to-left text, "g:i A" for the time). Everything else comes
from Django's Arabic formats."""

DATETIME_FORMAT = "j F، Y، g:i A"
SHORT_DATETIME_FORMAT = "d\u200f/m\u200f/Y g:i A"
