"""How numbers are written in each language of the site (``FORMAT_MODULE_PATH``); what is not set here comes from
Django's own locale formats."""
