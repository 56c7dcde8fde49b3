"""Arabic: Western digits, as the codes and figures on official forms are written, with the Arabic thousands
separator (U+066C) and decimal separator (U+066B) instead of Django's "." and "," (which read as the Latin
convention reversed)."""

DECIMAL_SEPARATOR = "\u066b"
THOUSAND_SEPARATOR = "\u066c"
NUMBER_GROUPING = 3
