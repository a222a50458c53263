"""errors.py - the exceptions of fdl: one hierarchy, each carrying fdlc's message.

    Error                       any failure of fdl (catch this)
    +-- DefinitionError         the definitions do not check (has .diagnostics)
    +-- DataError               a source, spine or value is malformed or breaks an expectation
    |   +-- ExpectationError    an event or a batch run broke an expectation / SLA (policy fail)
    +-- HistoryError            a read reaches before the history the store kept
    +-- LimitError              the store is at a limit
    +-- ToolError               fdlc or the C compiler could not run, or failed otherwise
"""


class Error(Exception):
    """Base of every fdl error. str(e) is fdlc's message; status names the runtime's kind."""

    def __init__(self, message, status=None, file=None, line=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.file = file or None
        self.line = line or None


class DefinitionError(Error):
    """Definitions with errors: .diagnostics lists them (fdl.Diagnostic)."""

    def __init__(self, message, diagnostics=()):
        super().__init__(message, status="definitions")
        self.diagnostics = list(diagnostics)


class DataError(Error, ValueError):
    """A value, a CSV, a spine or an embedding table that does not parse."""


class ExpectationError(DataError):
    """Data broke an expectation whose policy is fail, or an SLA."""


class HistoryError(Error):
    """A read reached before the history the store evicted (see keep_history, lateness)."""


class LimitError(Error):
    """The store is at a limit: the event was refused whole."""


class ToolError(Error):
    """fdlc or the C compiler could not be run, or failed for a reason other than the definitions."""


_BY_STATUS = {
    "parse": DataError,
    "format": DataError,
    "check": ExpectationError,
    "sla": ExpectationError,
    "history": HistoryError,
    "limit": LimitError,
    "argument": Error,
    "io": Error,
    "memory": Error,
    "abi": ToolError,
}


def from_native(exc):
    """The fdl.Error for a _native.NativeError(status, message, file, line)."""
    status, message, file, line = exc.args
    if file and line:
        message = "%s:%d: %s" % (file, line, message)
    elif file:
        message = "%s: %s" % (file, message)
    cls = _BY_STATUS.get(status, Error)
    return cls(message, status=status, file=file, line=line)
