"""Persian: the Arabic decimal and thousands separators, as Persian typesetting uses them.

Django's Persian formats use "." and ",", so a decimal that Django localizes (the desk's
read-only fields and lists) read "۱۵.۷" beside the "۱۵٫۷" of the service's own filters.
Only what is set here changes; Django's Persian formats give the rest.
"""

DECIMAL_SEPARATOR = "\u066b"
THOUSAND_SEPARATOR = "\u066c"
