"""The web console (``company-enrichment web``): review, look up, queue and mappings pages over the SQL API.

Needs the ``web`` extra (``pip install "company-enrichment[web]"``); importing this package alone does not.
"""
