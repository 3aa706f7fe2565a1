"""Sending ZPL to a Zebra printer: raw bytes over TCP (port 9100 by default), with a timeout.

Printers are configured for the installation (BATCHTRACK_PRINTERS); a print request names one as "host:port".
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from dataclasses import dataclass

from batchtrack.errors import BadRequest, BatchtrackError, Reason, ServiceUnavailable

log = logging.getLogger(__name__)

RAW_PORT = 9100
DEFAULT_TIMEOUT_S = 5.0
_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?")


class PrinterUnavailable(ServiceUnavailable):
    """The printer could not be reached or refused the connection; nothing was printed."""

    default_code = "printer.unavailable"


class PrinterAddressError(BadRequest):
    """The printer address is not a host and port, or the host is unknown."""

    default_code = "printer.address"


@dataclass(frozen=True, slots=True)
class PrinterAddress:
    """Where a Zebra printer listens."""

    host: str
    port: int = RAW_PORT

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_printer(text: str) -> PrinterAddress:
    """Read "host:port" (or "host", port 9100; IPv6 as "[::1]:9100"); ValueError says what is wrong."""
    text = text.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("write an IPv6 printer address as [address]:port")
        port_text = rest[1:] if rest else str(RAW_PORT)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    elif ":" in text:
        raise ValueError("write an IPv6 printer address as [address]:port")
    else:
        host, port_text = text, str(RAW_PORT)
    if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"the printer port must be a number from 1 to 65535, got {port_text[:10]!r}")
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        if not _HOSTNAME.fullmatch(host):
            raise ValueError(f"{host[:60]!r} is not a host name or IP address") from None
    return PrinterAddress(host=host, port=int(port_text))


def send_zpl(host: str, port: int, data: bytes | str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Send ZPL to the printer and close; raise PrinterUnavailable (or PrinterAddressError) if it cannot."""
    payload = data.encode("ascii") if isinstance(data, str) else data
    where = str(PrinterAddress(host, port))
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(payload)
            connection.shutdown(socket.SHUT_WR)
    except socket.gaierror as exc:
        raise _error(PrinterAddressError, "printer.unknown_host",
                     f"the printer host {host!r} is not known on this network") from exc
    except ConnectionRefusedError as exc:
        raise _error(PrinterUnavailable, "printer.refused",
                     f"the printer at {where} refused the connection: check that it is on and that its raw "
                     f"port is {port}") from exc
    except TimeoutError as exc:
        raise _error(PrinterUnavailable, "printer.timeout",
                     f"the printer at {where} did not answer within {timeout:g} s") from exc
    except OSError as exc:
        raise _error(PrinterUnavailable, "printer.unreachable",
                     f"the printer at {where} cannot be reached: {exc.strerror or exc}") from exc
    log.info("sent %d bytes of ZPL to %s", len(payload), where)


def _error(kind: type[BatchtrackError], code: str, message: str) -> BatchtrackError:
    return kind(f"nothing was printed: {message}", code=code, reasons=[Reason(code, message)])


def allowed(address: PrinterAddress, configured: list[str]) -> bool:
    """True when `address` is one of the configured printers (compared after normalising each)."""
    known = set()
    for entry in configured:
        try:
            known.add(str(parse_printer(entry)))
        except ValueError:
            continue  # a malformed setting names no printer
    return str(address) in known
