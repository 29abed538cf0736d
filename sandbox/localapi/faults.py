"""Faults on demand: errors, delays and lost answers, to test how the bot copes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sandbox.localapi import errors
from sandbox.localapi.core import Core
from sandbox.localapi.errors import ApiError
from sandbox.localapi.params import CANONICAL


@dataclass(slots=True)
class _Fault:
    method: str
    error: ApiError
    chat_id: int | str | None
    times: int


@dataclass(slots=True)
class _FaultRate:
    rate: float
    error: ApiError
    rng: random.Random


@dataclass(slots=True)
class Drop:
    method: str
    times: int
    hang: float | None


def _error(error_code: int, description: str | None, retry_after: int | None) -> ApiError:
    if error_code == 429 and retry_after is None:
        retry_after = 1
    parameters = {"retry_after": retry_after} if retry_after is not None else None
    return ApiError(
        error_code, description or errors.default_description(error_code, retry_after), parameters
    )


class Faults(Core):
    """Injected errors, random error rates, delays and dropped answers."""

    def _init_faults(self) -> None:
        self._faults: list[_Fault] = []
        self._fault_rates: dict[str, _FaultRate] = {}
        self._delays: dict[str, float] = {}
        self._drops: list[Drop] = []

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"`` for any) with this error.

        ``description`` defaults to Telegram's usual text for the code; a 429 always carries
        ``retry_after`` (1 unless given). The method is not carried out.
        """
        error = _error(error_code, description, retry_after)
        if migrate_to_chat_id is not None:
            error.parameters = {"migrate_to_chat_id": migrate_to_chat_id}
        self._faults.append(_Fault(method.lower(), error, chat_id, times))

    def set_fault_rate(
        self,
        method: str,
        rate: float,
        error_code: int = 429,
        retry_after: int | None = 1,
        seed: int | None = 0,
        *,
        description: str | None = None,
    ) -> None:
        """Answer a random share ``rate`` (0..1) of the calls of ``method`` with an error."""
        if rate <= 0:
            self._fault_rates.pop(method.lower(), None)
            return
        self._fault_rates[method.lower()] = _FaultRate(
            rate, _error(error_code, description, retry_after), random.Random(seed)
        )

    def set_delay(self, method: str, seconds: float | None) -> None:
        """Wait ``seconds`` before carrying out each call of ``method`` (``"*"`` for any)."""
        if not seconds:
            self._delays.pop(CANONICAL.get(method.lower(), method), None)
        else:
            self._delays[CANONICAL.get(method.lower(), method)] = seconds

    def drop_next(self, method: str, times: int = 1, *, hang: float | None = None) -> None:
        """Carry out the next calls of ``method`` but lose the answer.

        By default the connection is closed without a response; with ``hang`` the answer is
        sent only after that many seconds, when the client has given up. Either way the call
        is recorded as done (``Call.dropped``), like a message that was delivered although the
        bot saw a timeout.
        """
        self._drops.append(Drop(method.lower(), times, hang))

    def clear_faults(self) -> None:
        """Forget all faults, fault rates, delays and drops."""
        self._faults.clear()
        self._fault_rates.clear()
        self._delays.clear()
        self._drops.clear()

    def _inject_fault(self, method: str, params: dict[str, Any]) -> None:
        if not self._faults and not self._fault_rates:
            return
        lower = method.lower()
        for fault in self._faults:
            if fault.method not in (lower, "*"):
                continue
            if fault.chat_id is not None and str(params.get("chat_id")) != str(fault.chat_id):
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            self._raise_injected(fault.error)
        rate = self._fault_rates.get(lower) or self._fault_rates.get("*")
        if rate is not None and rate.rng.random() < rate.rate:
            self._raise_injected(rate.error)

    def _raise_injected(self, template: ApiError) -> None:
        if template.error_code == 429:
            self.counters["429.fault"] += 1
        raise ApiError(
            template.error_code,
            template.description,
            dict(template.parameters) if template.parameters else None,
        )

    def _take_drop(self, method: str) -> Drop | None:
        if not self._drops:
            return None
        lower = method.lower()
        for drop in self._drops:
            if drop.method in (lower, "*"):
                drop.times -= 1
                if drop.times <= 0:
                    self._drops.remove(drop)
                return drop
        return None
