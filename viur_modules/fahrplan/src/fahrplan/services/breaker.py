"""
A circuit breaker for the datastore: while it is known to be down, calls fail at once instead of each waiting
for its deadline.

States (per instance, shared by all threads):

- *closed*: every call goes through. A call that fails for unavailability (after its own retries within its
  deadline, see :mod:`fahrplan.services.datastore`) opens the breaker: one such failure already means the
  datastore did not answer for seconds, and every further request would wait as long. (A read that is merely
  slower than its deadline opens it too; the portal's reads take milliseconds, and the next probe closes it.)
- *open*: calls fail at once with :class:`~fahrplan.types.DatastoreUnavailable` for :attr:`CircuitBreaker.cooldown`
  seconds.
- *half-open*: after the cool-down the next call is let through as the probe (others keep failing fast while it
  runs). If it gets an answer the breaker closes and the instance serves normally again, without a restart; if
  not, the breaker opens for another cool-down.

Any answer of the datastore counts as success, an error answer too (a missing entity, a conflict, a bad
request): it proves the datastore is reachable. Only timeouts and unreachability count as failures.
"""

import enum
import logging
import threading
import time
import typing as t

from ..types import DatastoreUnavailable


class State(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Fail fast while the datastore is down; let one probe through per ``cooldown`` seconds to notice recovery."""

    def __init__(self, cooldown: float = 2.0, clock: t.Callable[[], float] = time.monotonic):
        self.cooldown = cooldown
        """Seconds calls fail fast after a failure before the next call probes the datastore."""
        self.clock = clock
        self.state = State.CLOSED
        self.opened_at = 0.0
        self.last_error = ""
        """Why the breaker opened (for logs and error pages; never shown to the public in detail)."""
        self._lock = threading.Lock()

    def before_call(self) -> None:
        """
        Let a call through or refuse it.

        :raises DatastoreUnavailable: while the breaker is open and cooling down, or while another call probes.
        """
        with self._lock:
            if self.state is State.CLOSED:
                return
            if self.state is State.OPEN and self.clock() - self.opened_at >= self.cooldown:
                self.state = State.HALF_OPEN  # this call is the probe
                return
            raise DatastoreUnavailable(f"datastore unavailable (circuit open: {self.last_error})")

    def succeeded(self) -> None:
        """The datastore answered: close the breaker."""
        with self._lock:
            if self.state is State.CLOSED:
                return
            self.state = State.CLOSED
        logging.warning("datastore answers again: circuit closed")

    def failed(self, reason: str) -> None:
        """A call timed out or found the datastore unreachable: open (again) for one cool-down."""
        with self._lock:
            was = self.state
            self.state = State.OPEN
            self.opened_at = self.clock()
            self.last_error = reason
        if was is State.CLOSED:
            logging.error(f"datastore unavailable, failing fast for {self.cooldown:g} s between probes: {reason}")

    def retry_after(self) -> float:
        """Seconds until the next probe may run (0 when closed)."""
        with self._lock:
            if self.state is State.CLOSED:
                return 0.0
            return max(0.0, self.cooldown - (self.clock() - self.opened_at))

    def reset(self) -> None:
        """Close the breaker and forget its history (tests)."""
        with self._lock:
            self.state = State.CLOSED
            self.opened_at = 0.0
            self.last_error = ""
