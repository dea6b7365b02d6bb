"""Tests for object_detection/training/progress.py."""

import io

import pytest

from object_detection.training import progress


class _Clock:

  def __init__(self):
    self.now = 100.0

  def __call__(self):
    return self.now


@pytest.mark.parametrize("seconds,text", [
    (0, "0s"), (59.4, "59s"), (61, "1m01s"), (3723, "1h02m03s")])
def test_format_duration(seconds, text):
  assert progress.format_duration(seconds) == text


def test_lines_at_step_one_every_n_and_the_last_with_steady_rate():
  clock, stream = _Clock(), io.StringIO()
  line = progress.ProgressLine(0, 25, every_n=10, stream=stream, clock=clock)
  clock.now += 12.0  # first step: tracing
  assert line.step_done(1, lambda: 3.5, lambda: 0.01) == (
      "step 1/25  loss 3.5  lr 0.01  first step 12.0 s (tracing included)")
  for step in range(2, 26):
    clock.now += 0.5  # 2 steps/s from then on
    line.step_done(step, lambda: 1.25, lambda: 0.002)
  lines = stream.getvalue().splitlines()
  assert [l.split()[1] for l in lines] == ["1/25", "10/25", "20/25", "25/25"]
  assert lines[1] == "step 10/25  loss 1.25  lr 0.002  2 steps/s  ETA 8s"
  assert lines[3].endswith("2 steps/s  ETA 0s")
  assert line.first_step_seconds == pytest.approx(12.0)
  assert line.steady_steps_per_second(25) == pytest.approx(2.0)


def test_a_resumed_run_counts_from_its_start_step():
  clock, stream = _Clock(), io.StringIO()
  line = progress.ProgressLine(40, 50, every_n=100, stream=stream,
                               clock=clock)
  assert line.should_print(41) and line.should_print(50)
  assert not line.should_print(45)
  clock.now += 1
  calls = []
  line.step_done(41, lambda: calls.append("loss") or 1.0, lambda: 0.1)
  clock.now += 1
  line.step_done(42, lambda: calls.append("loss") or 1.0, lambda: 0.1)
  assert calls == ["loss"]  # the loss is read only for printed lines
  assert stream.getvalue().startswith("step 41/50  loss 1  lr 0.1  first step")


def test_excluded_time_leaves_the_rate_and_eta_alone():
  clock, stream = _Clock(), io.StringIO()
  line = progress.ProgressLine(0, 20, every_n=10, stream=stream, clock=clock)
  clock.now += 5.0
  line.step_done(1, lambda: 1.0, lambda: 0.1)
  for step in range(2, 11):
    clock.now += 1.0
    if step == 5:
      clock.now += 30.0  # an evaluation
      line.exclude(30.0)
    line.step_done(step, lambda: 1.0, lambda: 0.1)
  assert stream.getvalue().splitlines()[-1].endswith("1 steps/s  ETA 10s")
  assert line.steady_steps_per_second(10) == pytest.approx(1.0)
