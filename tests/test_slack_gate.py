"""AckGate: answers wait while acks are in flight, then for a quiet spell, never past their bound."""

from __future__ import annotations

import threading

from bot.slack.gate import QUIET_SECONDS, AckGate


def _waiter(gate: AckGate, max_wait: float) -> threading.Thread:
    thread = threading.Thread(target=gate.wait_idle, args=(max_wait,), daemon=True)
    thread.start()
    return thread


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_idle_gate_does_not_wait() -> None:
    gate = AckGate()
    assert gate.hold(0.0) == 0.0
    waiter = _waiter(gate, 60.0)
    waiter.join(10)
    assert not waiter.is_alive()


def test_hold_lasts_while_in_flight_then_for_the_quiet_spell() -> None:
    clock = Clock(100.0)
    gate = AckGate(quiet=0.5, clock=clock)
    gate.enter()  # arrives at 100.0
    clock.at = 100.2
    gate.enter()  # arrives at 100.2: the spell counts from the latest arrival
    gate.leave()
    assert gate.hold(100.3) is None and gate.pending == 1
    gate.leave()
    assert gate.pending == 0
    hold = gate.hold(100.3)
    assert hold is not None and abs(hold - 0.4) < 1e-9  # 0.5 s after the arrival at 100.2
    assert gate.hold(100.7) == 0.0
    assert gate.hold(105.0) == 0.0


def test_a_lone_request_is_not_a_burst() -> None:
    clock = Clock(100.0)
    gate = AckGate(quiet=0.5, clock=clock)
    gate.enter()
    gate.leave()
    assert gate.hold(100.01) == 0.0  # its answer goes as soon as its ack is out
    clock.at = 101.0
    gate.enter()  # a second request, but 1 s after the first: still no burst
    gate.leave()
    assert gate.hold(101.01) == 0.0
    clock.at = 101.1
    gate.enter()  # 0.1 s after the one before: a burst, so answers wait out the spell
    gate.leave()
    hold = gate.hold(101.2)
    assert hold is not None and abs(hold - 0.4) < 1e-9


def test_when_acks_are_slow_the_spell_counts_from_the_last_ack() -> None:
    clock = Clock(100.0)
    gate = AckGate(quiet=0.5, clock=clock)
    gate.enter()
    clock.at = 100.1
    gate.enter()  # a burst
    clock.at = 100.3
    gate.leave()
    clock.at = 100.9
    gate.leave()  # the loop took 0.8 s to ack it: the burst may still be waiting in the sockets
    hold = gate.hold(101.0)
    assert hold is not None and abs(hold - 0.4) < 1e-9  # 0.5 s after the last ack, not after the last arrival


def test_the_default_quiet_spell_is_short() -> None:
    # answers to a lone command must not visibly lag: the spell is a few hundredths of a second
    assert 0.0 < QUIET_SECONDS <= 0.1


def test_answers_wait_until_the_last_ack_leaves() -> None:
    gate = AckGate(quiet=0.0)
    gate.enter()
    gate.enter()
    waiter = _waiter(gate, 60.0)
    gate.leave()
    waiter.join(0.2)
    assert waiter.is_alive() and gate.pending == 1  # one ack still in flight: the answer keeps waiting
    gate.leave()
    waiter.join(10)
    assert not waiter.is_alive() and gate.pending == 0


def test_a_waiter_waits_out_the_quiet_spell_then_goes() -> None:
    gate = AckGate(quiet=0.5)
    for _ in range(3):  # a burst
        gate.enter()
        gate.leave()
    waiter = _waiter(gate, 60.0)  # nothing will notify it: it must wake by itself when the spell ends
    waiter.join(0.05)
    assert waiter.is_alive()  # the spell lasts 0.5 s from the last ack
    waiter.join(10)
    assert not waiter.is_alive()


def test_the_wait_is_bounded() -> None:
    gate = AckGate()
    gate.enter()
    waiter = _waiter(gate, 0.01)
    waiter.join(10)
    assert not waiter.is_alive() and gate.pending == 1
