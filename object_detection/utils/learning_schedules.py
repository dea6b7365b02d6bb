"""Learning-rate schedules of the TF OD API as Keras `LearningRateSchedule`s.

Each schedule maps a global step (an integer scalar: a Python int, a tensor or
a `tf.Variable`, e.g. `optimizer.iterations`) to a float32 scalar learning
rate. The step is read as a tensor only, so a schedule can be called inside
`tf.function` with a step counter that changes between calls. Every schedule
round-trips through `get_config()` / `from_config()`.

    schedule = learning_schedules.CosineDecayWithWarmup(
        learning_rate_base=0.04, total_steps=100, warmup_learning_rate=0.01,
        warmup_steps=10)
    rate = schedule(tf.constant(5))  # 0.01 + 5 * 0.003 = 0.025

Constructors check their arguments in Python and raise ValueError messages
that start with the argument's name (`warmup_steps: must be <= total_steps,
got 20 > 10`); the argument names are the field names of the matching
`LearningRate` proto variant, so `optimizer_builder` only prefixes the path.
"""

import math
from typing import Any, Dict, Sequence

import tensorflow as tf

_Schedule = tf.keras.optimizers.schedules.LearningRateSchedule


def _check(ok: bool, name: str, rule: str, value: Any) -> None:
  if not ok:
    raise ValueError("{}: {}, got {!r}".format(name, rule, value))


def _step_as_float(step) -> tf.Tensor:
  """float32 [] copy of an integer or float step."""
  return tf.cast(tf.convert_to_tensor(step), tf.float32)


class ConstantLearningRate(_Schedule):
  """The same learning rate at every step."""

  def __init__(self, learning_rate: float):
    """Initialises the schedule.

    Args:
      learning_rate: python float, > 0.

    Raises:
      ValueError: if learning_rate is not > 0.
    """
    _check(learning_rate > 0, "learning_rate", "must be > 0", learning_rate)
    self.learning_rate = float(learning_rate)

  def __call__(self, step) -> tf.Tensor:
    """Returns float32 [] learning_rate whatever the integer [] step."""
    del step  # The rate does not depend on it.
    return tf.constant(self.learning_rate, tf.float32)

  def get_config(self) -> Dict[str, Any]:
    return {"learning_rate": self.learning_rate}


class ExponentialDecayWithBurnin(_Schedule):
  """Exponential decay after a constant burn-in, bounded below.

  With `s` the step and `b` = burnin_steps:

      rate(s) = burnin_learning_rate                         if s < b
      rate(s) = initial_learning_rate * decay_factor ** p    otherwise
      p = (s - b) / decay_steps, floored when staircase
      result  = max(rate(s), min_learning_rate)

  The decay clock starts at the end of the burn-in and the floor also bounds
  the burn-in rate, as in the TF OD API.
  """

  def __init__(self, initial_learning_rate: float, decay_steps: int,
               decay_factor: float, staircase: bool = True,
               burnin_learning_rate: float = 0.0, burnin_steps: int = 0,
               min_learning_rate: float = 0.0):
    """Initialises the schedule.

    Args:
      initial_learning_rate: python float, > 0, the rate when decay starts.
      decay_steps: python int, > 0, steps per decay period.
      decay_factor: python float in (0, 1], multiplier per period.
      staircase: decay in whole periods rather than continuously.
      burnin_learning_rate: python float, >= 0, the rate during burn-in; 0
        means initial_learning_rate.
      burnin_steps: python int, >= 0, number of burn-in steps.
      min_learning_rate: python float, >= 0, lower bound of the rate.

    Raises:
      ValueError: if an argument is out of its range.
    """
    _check(initial_learning_rate > 0, "initial_learning_rate", "must be > 0",
           initial_learning_rate)
    _check(decay_steps > 0, "decay_steps", "must be > 0", decay_steps)
    _check(0 < decay_factor <= 1, "decay_factor", "must be in (0, 1]",
           decay_factor)
    _check(burnin_learning_rate >= 0, "burnin_learning_rate", "must be >= 0",
           burnin_learning_rate)
    _check(burnin_steps >= 0, "burnin_steps", "must be >= 0", burnin_steps)
    _check(min_learning_rate >= 0, "min_learning_rate", "must be >= 0",
           min_learning_rate)
    self.initial_learning_rate = float(initial_learning_rate)
    self.decay_steps = int(decay_steps)
    self.decay_factor = float(decay_factor)
    self.staircase = bool(staircase)
    self.burnin_learning_rate = float(burnin_learning_rate)
    self.burnin_steps = int(burnin_steps)
    self.min_learning_rate = float(min_learning_rate)

  def __call__(self, step) -> tf.Tensor:
    """Returns the float32 [] learning rate at the integer [] step."""
    step = _step_as_float(step)
    periods = (step - self.burnin_steps) / self.decay_steps
    if self.staircase:
      periods = tf.floor(periods)
    decayed = self.initial_learning_rate * tf.pow(self.decay_factor, periods)
    burnin_rate = self.burnin_learning_rate or self.initial_learning_rate
    rate = tf.where(step < self.burnin_steps, burnin_rate, decayed)
    return tf.maximum(rate, self.min_learning_rate)

  def get_config(self) -> Dict[str, Any]:
    return {"initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_factor": self.decay_factor,
            "staircase": self.staircase,
            "burnin_learning_rate": self.burnin_learning_rate,
            "burnin_steps": self.burnin_steps,
            "min_learning_rate": self.min_learning_rate}


class ManualStepping(_Schedule):
  """Piecewise-constant rate: rates[i] from boundaries[i - 1] on.

  With boundaries [5, 10] and rates [0.1, 0.01, 0.001], the rate is 0.1 at
  steps 0..4, 0.01 at steps 5..9 and 0.001 from step 10 on. With warmup, the
  first piece is a linear ramp instead: rates[0] + (rates[1] - rates[0]) *
  step / boundaries[0] for steps below boundaries[0].
  """

  def __init__(self, boundaries: Sequence[int], rates: Sequence[float],
               warmup: bool = False):
    """Initialises the schedule.

    Args:
      boundaries: python ints, > 0 and strictly increasing; may be empty.
      rates: python floats, len(boundaries) + 1 of them; rates[0] >= 0 (a
        warm-up may start from 0), the others > 0.
      warmup: ramp linearly from rates[0] to rates[1] over
        [0, boundaries[0]] instead of holding rates[0].

    Raises:
      ValueError: if an argument breaks the rules above.
    """
    boundaries = [int(b) for b in boundaries]
    rates = [float(r) for r in rates]
    _check(all(b > 0 for b in boundaries), "boundaries",
           "every step must be > 0", boundaries)
    _check(all(b < n for b, n in zip(boundaries, boundaries[1:])),
           "boundaries", "must be strictly increasing", boundaries)
    if len(rates) != len(boundaries) + 1:
      raise ValueError(
          "rates: must hold len(boundaries) + 1 = {} values, got {}".format(
              len(boundaries) + 1, len(rates)))
    _check(rates[0] >= 0 and all(r > 0 for r in rates[1:]),
           "rates", "rates[0] must be >= 0 and the others > 0", rates)
    self.boundaries = tuple(boundaries)
    self.rates = tuple(rates)
    self.warmup = bool(warmup)

  def __call__(self, step) -> tf.Tensor:
    """Returns the float32 [] learning rate at the integer [] step."""
    step = _step_as_float(step)
    if not self.boundaries:
      return tf.constant(self.rates[0], tf.float32)
    # Index of the piece: how many boundaries the step has reached.
    index = tf.reduce_sum(tf.cast(
        step >= tf.constant(self.boundaries, tf.float32), tf.int32))
    rate = tf.gather(tf.constant(self.rates, tf.float32), index)
    if self.warmup:
      first = self.boundaries[0]
      slope = (self.rates[1] - self.rates[0]) / first
      ramp = self.rates[0] + slope * step
      rate = tf.where(step < first, ramp, rate)
    return rate

  def get_config(self) -> Dict[str, Any]:
    return {"boundaries": list(self.boundaries), "rates": list(self.rates),
            "warmup": self.warmup}


class CosineDecayWithWarmup(_Schedule):
  """Linear warm-up, a hold at the base rate, then cosine decay to 0.

  With `s` the step, `w` = warmup_steps, `h` = hold_base_rate_steps and `T` =
  total_steps:

      s < w:          warmup_learning_rate + (base - warmup_rate) * s / w
      w <= s <= w+h:  base (only when h > 0)
      w+h < s <= T:   0.5 * base * (1 + cos(pi * (s - w - h) / (T - w - h)))
      s > T:          0

  (Loshchilov & Hutter, SGDR, ICLR 2017.)
  """

  def __init__(self, learning_rate_base: float, total_steps: int,
               warmup_learning_rate: float = 0.0, warmup_steps: int = 0,
               hold_base_rate_steps: int = 0):
    """Initialises the schedule.

    Args:
      learning_rate_base: python float, > 0, the peak rate.
      total_steps: python int, > 0, the step after which the rate is 0.
      warmup_learning_rate: python float in [0, learning_rate_base], the
        rate at step 0 of the warm-up.
      warmup_steps: python int in [0, total_steps], length of the warm-up.
      hold_base_rate_steps: python int, >= 0, steps at the base rate after the
        warm-up; warmup_steps + hold_base_rate_steps must be <= total_steps.

    Raises:
      ValueError: if an argument breaks the rules above.
    """
    _check(learning_rate_base > 0, "learning_rate_base", "must be > 0",
           learning_rate_base)
    _check(total_steps > 0, "total_steps", "must be > 0", total_steps)
    _check(warmup_learning_rate >= 0, "warmup_learning_rate", "must be >= 0",
           warmup_learning_rate)
    if warmup_learning_rate > learning_rate_base:
      raise ValueError(
          "warmup_learning_rate: must be <= learning_rate_base, got "
          "{!r} > {!r}".format(warmup_learning_rate, learning_rate_base))
    _check(warmup_steps >= 0, "warmup_steps", "must be >= 0", warmup_steps)
    if warmup_steps > total_steps:
      raise ValueError("warmup_steps: must be <= total_steps, got {} > {}"
                       .format(warmup_steps, total_steps))
    _check(hold_base_rate_steps >= 0, "hold_base_rate_steps", "must be >= 0",
           hold_base_rate_steps)
    if warmup_steps + hold_base_rate_steps > total_steps:
      raise ValueError(
          "hold_base_rate_steps: warmup_steps + hold_base_rate_steps must be "
          "<= total_steps, got {} + {} > {}".format(
              warmup_steps, hold_base_rate_steps, total_steps))
    self.learning_rate_base = float(learning_rate_base)
    self.total_steps = int(total_steps)
    self.warmup_learning_rate = float(warmup_learning_rate)
    self.warmup_steps = int(warmup_steps)
    self.hold_base_rate_steps = int(hold_base_rate_steps)

  def __call__(self, step) -> tf.Tensor:
    """Returns the float32 [] learning rate at the integer [] step."""
    step = _step_as_float(step)
    decay_start = self.warmup_steps + self.hold_base_rate_steps
    # max(.., 1): with no decay phase the cosine is only read at s == T,
    # where the fraction is 0 and the rate is the base rate.
    decay_length = float(max(self.total_steps - decay_start, 1))
    fraction = (step - decay_start) / decay_length
    rate = 0.5 * self.learning_rate_base * (1.0 + tf.cos(math.pi * fraction))
    if self.hold_base_rate_steps > 0:
      rate = tf.where(step > decay_start, rate, self.learning_rate_base)
    if self.warmup_steps > 0:
      slope = ((self.learning_rate_base - self.warmup_learning_rate) /
               self.warmup_steps)
      ramp = self.warmup_learning_rate + slope * step
      rate = tf.where(step < self.warmup_steps, ramp, rate)
    return tf.where(step > self.total_steps, 0.0, rate)

  def get_config(self) -> Dict[str, Any]:
    return {"learning_rate_base": self.learning_rate_base,
            "total_steps": self.total_steps,
            "warmup_learning_rate": self.warmup_learning_rate,
            "warmup_steps": self.warmup_steps,
            "hold_base_rate_steps": self.hold_base_rate_steps}


# For `tf.keras.optimizers.deserialize(config, custom_objects=CUSTOM_OBJECTS)`
# or `Optimizer.from_config(config, custom_objects=CUSTOM_OBJECTS)`: the
# schedules are not put in Keras' global registry at import.
CUSTOM_OBJECTS = {cls.__name__: cls for cls in (
    ConstantLearningRate, ExponentialDecayWithBurnin, ManualStepping,
    CosineDecayWithWarmup)}
