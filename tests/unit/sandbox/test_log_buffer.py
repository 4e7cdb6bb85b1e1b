"""LogBuffer: the last bytes of a phase's output, cut at a line start, with a marker for the rest."""

from __future__ import annotations

from ovis.sandbox.log_buffer import LogBuffer, marker


def test_under_the_cap_nothing_is_dropped_or_marked() -> None:
    buf = LogBuffer(cap=100)
    buf.append(b"one\n")
    buf.append(b"two\n")
    assert buf.text() == b"one\ntwo\n" and buf.dropped_bytes == 0


def test_over_the_cap_the_oldest_whole_lines_go_and_a_marker_says_how_much() -> None:
    buf = LogBuffer(cap=20)
    lines = [f"line {i}\n".encode() for i in range(10)]  # 7 bytes each
    for line in lines:
        buf.append(line)
    text = buf.text()
    head, _, kept = text.partition(b"\n")
    assert kept == b"".join(lines[-2:])  # 14 bytes: the last whole lines within 20
    assert buf.dropped_lines == 8 and buf.dropped_bytes == 56
    assert head + b"\n" == marker(56, 8, 20)
    assert b"56 bytes (8 lines) dropped" in head


def test_a_line_longer_than_the_cap_is_cut_not_lost_entirely() -> None:
    buf = LogBuffer(cap=10)
    buf.append(b"x" * 25)
    assert len(buf) == 10 and buf.dropped_bytes == 15 and buf.dropped_lines == 0


def test_clear_starts_the_next_phase_from_nothing() -> None:
    buf = LogBuffer(cap=5)
    buf.append(b"123456789\n")
    buf.clear()
    buf.append(b"ok\n")
    assert buf.text() == b"ok\n" and buf.dropped_bytes == 0 and buf.dropped_lines == 0
