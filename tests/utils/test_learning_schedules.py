"""Tests for object_detection/utils/learning_schedules.py."""

import math

import pytest
import tensorflow as tf

from object_detection.utils import learning_schedules as ls


def _rates(schedule, steps):
  return [float(schedule(tf.constant(step, tf.int64))) for step in steps]


def test_constant():
  schedule = ls.ConstantLearningRate(0.01)
  assert _rates(schedule, [0, 1000]) == pytest.approx([0.01, 0.01])


def test_exponential_decay_staircase():
  schedule = ls.ExponentialDecayWithBurnin(
      initial_learning_rate=0.1, decay_steps=10, decay_factor=0.5)
  # floor(step / 10) periods: 0, 0, 1, 2 -> 0.1, 0.1, 0.05, 0.1 * 0.25.
  assert _rates(schedule, [0, 9, 10, 25]) == pytest.approx(
      [0.1, 0.1, 0.05, 0.025])


def test_exponential_decay_continuous():
  schedule = ls.ExponentialDecayWithBurnin(
      initial_learning_rate=0.1, decay_steps=10, decay_factor=0.5,
      staircase=False)
  # 0.1 * 0.5 ** 0.5 = 0.0707107; 0.1 * 0.5 ** 1.5 = 0.0353553.
  assert _rates(schedule, [0, 5, 15]) == pytest.approx(
      [0.1, 0.0707107, 0.0353553], rel=1e-5)


def test_exponential_decay_burnin_starts_the_decay_clock_after_it():
  schedule = ls.ExponentialDecayWithBurnin(
      initial_learning_rate=0.1, decay_steps=10, decay_factor=0.5,
      burnin_learning_rate=0.01, burnin_steps=5)
  # Steps 0..4: burn-in 0.01. Then floor((step - 5) / 10): step 5 -> 0,
  # step 14 -> 0, step 15 -> 1 (0.05).
  assert _rates(schedule, [0, 4, 5, 14, 15]) == pytest.approx(
      [0.01, 0.01, 0.1, 0.1, 0.05])


def test_exponential_decay_zero_burnin_rate_means_initial_rate():
  schedule = ls.ExponentialDecayWithBurnin(
      initial_learning_rate=0.1, decay_steps=10, decay_factor=0.5,
      burnin_steps=5)
  assert _rates(schedule, [2]) == pytest.approx([0.1])


def test_exponential_decay_min_learning_rate():
  schedule = ls.ExponentialDecayWithBurnin(
      initial_learning_rate=0.1, decay_steps=10, decay_factor=0.5,
      min_learning_rate=0.03)
  # Step 10: 0.05 > 0.03 kept; step 25: max(0.025, 0.03) = 0.03.
  assert _rates(schedule, [10, 25]) == pytest.approx([0.05, 0.03])


def test_exponential_decay_min_learning_rate_also_bounds_the_burnin():
  schedule = ls.ExponentialDecayWithBurnin(
      initial_learning_rate=0.1, decay_steps=10, decay_factor=0.5,
      burnin_learning_rate=0.01, burnin_steps=5, min_learning_rate=0.03)
  # As in the TF OD API the floor applies at every step: max(0.01, 0.03).
  assert _rates(schedule, [0, 5]) == pytest.approx([0.03, 0.1])


def test_manual_stepping():
  schedule = ls.ManualStepping([5, 10], [0.1, 0.01, 0.001])
  assert _rates(schedule, [0, 4, 5, 9, 10, 1000]) == pytest.approx(
      [0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_manual_stepping_warmup_ramps_to_the_first_piece():
  schedule = ls.ManualStepping([4, 8], [0.0, 0.2, 0.05], warmup=True)
  # Slope (0.2 - 0.0) / 4 = 0.05 per step over steps 0..3, then the pieces.
  assert _rates(schedule, [0, 2, 3, 4, 7, 8]) == pytest.approx(
      [0.0, 0.1, 0.15, 0.2, 0.2, 0.05])


def test_manual_stepping_without_boundaries_is_constant():
  assert _rates(ls.ManualStepping([], [0.3]), [0, 99]) == pytest.approx(
      [0.3, 0.3])


def test_cosine_decay_with_warmup():
  schedule = ls.CosineDecayWithWarmup(
      learning_rate_base=0.04, total_steps=100, warmup_learning_rate=0.01,
      warmup_steps=10)
  # Warm-up slope (0.04 - 0.01) / 10 = 0.003: step 5 -> 0.025.
  # Decay over 90 steps: step 55 -> 0.02 * (1 + cos(pi / 2)) = 0.02;
  # step 70 -> 0.02 * (1 + cos(2 pi / 3)) = 0.01; step 100 -> cos(pi) -> 0.
  assert _rates(schedule, [0, 5, 10, 55, 70, 100, 101]) == pytest.approx(
      [0.01, 0.025, 0.04, 0.02, 0.01, 0.0, 0.0], abs=1e-7)


def test_cosine_decay_hold_base_rate():
  schedule = ls.CosineDecayWithWarmup(
      learning_rate_base=0.04, total_steps=100, warmup_learning_rate=0.01,
      warmup_steps=10, hold_base_rate_steps=20)
  # Base rate over steps 10..30, then decay over 70 steps: step 65 is half
  # way -> 0.02.
  assert _rates(schedule, [5, 10, 30, 65]) == pytest.approx(
      [0.025, 0.04, 0.04, 0.02])


def test_cosine_decay_without_warmup_starts_at_base():
  schedule = ls.CosineDecayWithWarmup(learning_rate_base=0.04,
                                      total_steps=100)
  assert _rates(schedule, [0, 50]) == pytest.approx([0.04, 0.02])


@pytest.mark.parametrize("hold", [0, 10])
def test_cosine_decay_with_no_decay_phase_is_finite(hold):
  # total_steps == warmup_steps + hold: base rate at the last step, no 0 / 0.
  schedule = ls.CosineDecayWithWarmup(
      learning_rate_base=0.04, total_steps=10 + hold, warmup_steps=10,
      hold_base_rate_steps=hold)
  assert _rates(schedule, [10 + hold, 11 + hold]) == pytest.approx(
      [0.04, 0.0])


_SCHEDULES = [
    ls.ConstantLearningRate(0.01),
    ls.ExponentialDecayWithBurnin(0.1, 10, 0.5, staircase=False,
                                  burnin_learning_rate=0.01, burnin_steps=5,
                                  min_learning_rate=0.001),
    ls.ManualStepping([4, 8], [0.0, 0.2, 0.05], warmup=True),
    ls.CosineDecayWithWarmup(0.04, 100, 0.01, 10, 20),
]
_STEPS = [0, 3, 5, 9, 15, 40, 99, 120]


@pytest.mark.parametrize("schedule", _SCHEDULES,
                         ids=lambda s: type(s).__name__)
def test_schedule_reads_a_step_variable_inside_tf_function(schedule):
  step = tf.Variable(0, dtype=tf.int64)
  traces = []

  @tf.function
  def rate():
    traces.append(1)
    return schedule(step)

  values = []
  for value in _STEPS:
    step.assign(value)
    values.append(float(rate()))
  assert len(traces) == 1  # One trace serves every step value.
  assert values == pytest.approx(_rates(schedule, _STEPS))


@pytest.mark.parametrize("schedule", _SCHEDULES,
                         ids=lambda s: type(s).__name__)
def test_schedule_config_round_trip(schedule):
  config = schedule.get_config()
  rebuilt = type(schedule).from_config(config)
  assert rebuilt.get_config() == config
  assert _rates(rebuilt, _STEPS) == pytest.approx(_rates(schedule, _STEPS))
  serialized = tf.keras.optimizers.schedules.serialize(schedule)
  restored = tf.keras.optimizers.schedules.deserialize(
      serialized, custom_objects=ls.CUSTOM_OBJECTS)
  assert type(restored) is type(schedule)


def test_schedule_accepts_python_int_step():
  assert float(ls.ManualStepping([5], [0.1, 0.01])(7)) == pytest.approx(0.01)


_ERRORS = [
    (lambda: ls.ConstantLearningRate(0.0),
     "learning_rate: must be > 0, got 0.0"),
    (lambda: ls.ExponentialDecayWithBurnin(0.1, 0, 0.5),
     "decay_steps: must be > 0, got 0"),
    (lambda: ls.ExponentialDecayWithBurnin(0.1, 10, 1.5),
     "decay_factor: must be in (0, 1], got 1.5"),
    (lambda: ls.ExponentialDecayWithBurnin(0.1, 10, 0.5,
                                           min_learning_rate=-1.0),
     "min_learning_rate: must be >= 0, got -1.0"),
    (lambda: ls.ManualStepping([0, 5], [0.1, 0.1, 0.1]),
     "boundaries: every step must be > 0, got [0, 5]"),
    (lambda: ls.ManualStepping([5, 5], [0.1, 0.1, 0.1]),
     "boundaries: must be strictly increasing, got [5, 5]"),
    (lambda: ls.ManualStepping([5], [0.1]),
     "rates: must hold len(boundaries) + 1 = 2 values, got 1"),
    (lambda: ls.ManualStepping([5], [0.1, 0.0]),
     "rates: rates[0] must be >= 0 and the others > 0, got [0.1, 0.0]"),
    (lambda: ls.CosineDecayWithWarmup(0.04, 100, warmup_learning_rate=0.05),
     "warmup_learning_rate: must be <= learning_rate_base, got 0.05 > 0.04"),
    (lambda: ls.CosineDecayWithWarmup(0.04, 10, warmup_steps=20),
     "warmup_steps: must be <= total_steps, got 20 > 10"),
    (lambda: ls.CosineDecayWithWarmup(0.04, 10, warmup_steps=5,
                                      hold_base_rate_steps=6),
     "hold_base_rate_steps: warmup_steps + hold_base_rate_steps must be <= "
     "total_steps, got 5 + 6 > 10"),
]


@pytest.mark.parametrize("make, message", _ERRORS, ids=[m for _, m in _ERRORS])
def test_bad_arguments_raise(make, message):
  with pytest.raises(ValueError) as error:
    make()
  assert str(error.value) == message


def test_cosine_formula_matches_math_module():
  # Cross-check one off-grid step against math.cos: step 37 of a 90-step
  # decay that starts at 10 -> 0.02 * (1 + cos(pi * 27 / 90)).
  schedule = ls.CosineDecayWithWarmup(0.04, 100, 0.01, 10)
  expected = 0.02 * (1 + math.cos(math.pi * 27 / 90))
  assert _rates(schedule, [37]) == pytest.approx([expected], rel=1e-6)
