"""Korean and English wherever people read: messages marked for translation (`text`), the Babel catalogs that hold
their Korean (`catalogs`), and which language a request is answered in (`negotiation`).

Codes (reason codes, states, roles) stay in English: machines read them. Messages for people are written in English
in the code, marked with `_()`, and looked up in the catalog of the reader's language when shown.
"""
