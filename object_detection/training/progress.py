"""The training progress line.

    step 1/2000  loss 3.412  lr 0.000200  first step 14.2 s (tracing included)
    step 100/2000  loss 1.904  lr 0.001954  3.12 steps/s  ETA 10m09s

A line is printed at step 1, every `every_n` steps and at the last step.
Steps per second are measured from the end of the first step (whose time,
dominated by tracing the tf.function, is reported on its own line), so the
rate and the ETA describe the steady state; time spent evaluating inside
training is left out (`exclude`).
"""

import sys
import time
from typing import Callable, Optional, TextIO


def format_duration(seconds: float) -> str:
  """'1h02m03s', '4m05s' or '6s'."""
  seconds = max(0, int(round(seconds)))
  hours, rest = divmod(seconds, 3600)
  minutes, secs = divmod(rest, 60)
  if hours:
    return "%dh%02dm%02ds" % (hours, minutes, secs)
  if minutes:
    return "%dm%02ds" % (minutes, secs)
  return "%ds" % secs


class ProgressLine:
  """Prints the progress of a run from `first_step` to `last_step`.

  Args:
    first_step: the step the run starts after (0, or the restored step).
    last_step: the last step of the run.
    every_n: print every this many steps (besides step 1 and the last).
    stream: where lines go (default sys.stdout, flushed after each line).
    clock: seconds as a float (time.perf_counter by default; tests pass a
      fake).
  """

  def __init__(self, first_step: int, last_step: int, every_n: int = 100,
               stream: Optional[TextIO] = None,
               clock: Callable[[], float] = time.perf_counter):
    self._start_step = first_step
    self._last_step = last_step
    self._every_n = max(1, every_n)
    self._stream = stream or sys.stdout
    self._clock = clock
    self._started = clock()
    self._steady_since = None  # (time, step) after the first step
    self._window = None  # (time, step) of the previous line
    self.first_step_seconds = None
    self.steps_per_second = None

  def should_print(self, step: int) -> bool:
    return (step == self._start_step + 1 or step % self._every_n == 0
            or step == self._last_step)

  def step_done(self, step: int, total_loss: Callable[[], float],
                learning_rate: Callable[[], float]) -> Optional[str]:
    """Records that `step` finished; prints and returns a line when due.

    total_loss and learning_rate are called only when a line is printed.
    """
    now = self._clock()
    if self._steady_since is None:
      self.first_step_seconds = now - self._started
      self._steady_since = self._window = (now, step)
    if not self.should_print(step):
      return None
    line = "step %d/%d  loss %.4g  lr %.6g" % (step, self._last_step,
                                               total_loss(), learning_rate())
    if step == self._steady_since[1]:
      line += "  first step %.1f s (tracing included)" % (
          self.first_step_seconds)
    else:
      window_time, window_step = self._window
      if now > window_time and step > window_step:
        self.steps_per_second = (step - window_step) / (now - window_time)
      if self.steps_per_second:
        line += "  %.3g steps/s  ETA %s" % (
            self.steps_per_second,
            format_duration((self._last_step - step) / self.steps_per_second))
    self._window = (now, step)
    self._stream.write(line + "\n")
    self._stream.flush()
    return line

  def exclude(self, seconds: float) -> None:
    """Leaves `seconds` (say, an evaluation) out of the rate and the ETA."""
    if self._steady_since is not None:
      self._steady_since = (self._steady_since[0] + seconds,
                            self._steady_since[1])
      self._window = (self._window[0] + seconds, self._window[1])

  def steady_steps_per_second(self, step: int) -> Optional[float]:
    """Mean steps/s from the end of the first step to now."""
    if self._steady_since is None or step <= self._steady_since[1]:
      return None
    elapsed = self._clock() - self._steady_since[0]
    return (step - self._steady_since[1]) / elapsed if elapsed > 0 else None
