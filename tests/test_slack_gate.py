"""AckGate: answers wait while acks are in flight, and never longer than their bound."""

from __future__ import annotations

import threading

from bot.slack.gate import AckGate


def _waiter(gate: AckGate, max_wait: float) -> threading.Thread:
    thread = threading.Thread(target=gate.wait_idle, args=(max_wait,), daemon=True)
    thread.start()
    return thread


def test_idle_gate_does_not_wait() -> None:
    gate = AckGate()
    waiter = _waiter(gate, 60.0)
    waiter.join(10)
    assert not waiter.is_alive()


def test_answers_wait_until_the_last_ack_leaves() -> None:
    gate = AckGate()
    gate.enter()
    gate.enter()
    waiter = _waiter(gate, 60.0)
    gate.leave()
    waiter.join(0.2)
    assert waiter.is_alive() and gate.pending == 1  # one ack still in flight: the answer keeps waiting
    gate.leave()
    waiter.join(10)
    assert not waiter.is_alive() and gate.pending == 0


def test_the_wait_is_bounded() -> None:
    gate = AckGate()
    gate.enter()
    waiter = _waiter(gate, 0.01)
    waiter.join(10)
    assert not waiter.is_alive() and gate.pending == 1
