"""Keep patient identity out of the logs that libraries write on the application's behalf.

The application's own messages name records by their identifiers (DIN, COI, subject code), never by a patient's
name, date of birth or MRN. Two libraries would write what a user typed or what the database holds:

- the server's access log writes each request's query string, and a search box's query may be a patient's name;
- SQLAlchemy, when its logger is at INFO or DEBUG (a log level of DEBUG turns it on), writes every statement's
  parameters and every row fetched.

The filters below remove those parts, keeping the rest of each line for operations.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"
SQL_LOGGER = "sqlalchemy.engine.Engine"
HIDDEN = "[hidden: may hold patient identity]"


class AccessLogWithoutQuery(logging.Filter):
    """Drop the query string from uvicorn's access-log lines (the path is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's path argument; always let the record through."""
        args = record.args
        # uvicorn logs: '%s - "%s %s HTTP/%s" %d' % (client, method, path with query string, version, status)
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


class SqlWithoutValues(logging.Filter):
    """Hide the parameters of logged SQL statements and drop logged result rows."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Hide parameters in place; refuse the rows' records."""
        if record.msg == "Row %r":
            return False
        if record.msg == "[%s] %r" and isinstance(record.args, tuple) and len(record.args) == 2:
            record.args = (record.args[0], HIDDEN)
        return True


def _add_once(logger_name: str, log_filter: logging.Filter) -> None:
    logger = logging.getLogger(logger_name)
    if not any(type(f) is type(log_filter) for f in logger.filters):
        logger.addFilter(log_filter)


def install() -> None:
    """Add the filters to the loggers they guard (once per process; safe to call again)."""
    _add_once(ACCESS_LOGGER, AccessLogWithoutQuery())
    _add_once(SQL_LOGGER, SqlWithoutValues())
