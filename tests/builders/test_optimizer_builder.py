"""Tests for object_detection/builders/optimizer_builder.py."""

import math

import pytest
import tensorflow as tf
from google.protobuf import text_format

from object_detection.builders import optimizer_builder
from object_detection.protos import optimizer_pb2
from object_detection.utils import config_util
from object_detection.utils import learning_schedules
from tests.conftest import upstream_params

_CONSTANT = "learning_rate { constant_learning_rate { learning_rate: 0.1 } }"


def _config(text):
  return text_format.Parse(text, optimizer_pb2.Optimizer())


def _build(text, **kwargs):
  return optimizer_builder.build(_config(text), **kwargs)


def test_every_oneof_member_has_a_builder():
  optimizers = optimizer_pb2.Optimizer.DESCRIPTOR.oneofs_by_name["optimizer"]
  assert optimizer_builder.OPTIMIZER_NAMES == tuple(
      f.name for f in optimizers.fields)
  rates = optimizer_pb2.LearningRate.DESCRIPTOR.oneofs_by_name["learning_rate"]
  assert optimizer_builder.SCHEDULE_NAMES == tuple(f.name for f in rates.fields)


def test_momentum_optimizer():
  optimizer, summary_vars = _build(
      "momentum_optimizer { momentum_optimizer_value: 0.8 %s } "
      "use_moving_average: false" % _CONSTANT)
  assert type(optimizer) is tf.keras.optimizers.SGD
  assert optimizer.momentum == pytest.approx(0.8)
  assert not optimizer.use_ema
  assert len(summary_vars) == 1
  assert float(summary_vars[0]()) == pytest.approx(0.1)
  assert float(optimizer.learning_rate) == pytest.approx(0.1)


def test_rms_prop_optimizer():
  optimizer, _ = _build(
      "rms_prop_optimizer { momentum_optimizer_value: 0.7 decay: 0.8 "
      "epsilon: 0.5 %s } use_moving_average: false" % _CONSTANT)
  assert type(optimizer) is tf.keras.optimizers.RMSprop
  assert (optimizer.momentum, optimizer.rho, optimizer.epsilon) == (
      pytest.approx(0.7), pytest.approx(0.8), pytest.approx(0.5))


def test_rms_prop_defaults_come_from_the_proto():
  optimizer, _ = _build("rms_prop_optimizer { %s }" % _CONSTANT)
  assert (optimizer.momentum, optimizer.rho, optimizer.epsilon) == (
      pytest.approx(0.9), pytest.approx(0.9), pytest.approx(1.0))


def test_adam_optimizer():
  optimizer, _ = _build("adam_optimizer { %s } use_moving_average: false"
                        % _CONSTANT)
  assert type(optimizer) is tf.keras.optimizers.Adam
  assert optimizer.epsilon == pytest.approx(1e-8)  # The proto's default.
  optimizer, _ = _build("adam_optimizer { epsilon: 0.001 %s }" % _CONSTANT)
  assert optimizer.epsilon == pytest.approx(0.001)


def test_moving_average_is_keras_ema():
  # use_moving_average defaults to true, moving_average_decay to 0.9999.
  optimizer, _ = _build("adam_optimizer { %s }" % _CONSTANT)
  assert optimizer.use_ema
  assert optimizer.ema_momentum == pytest.approx(0.9999)


def test_sgd_momentum_step_is_hand_computed():
  optimizer, _ = _build("momentum_optimizer { momentum_optimizer_value: 0.9 "
                        "%s } use_moving_average: false" % _CONSTANT)
  variable = tf.Variable(1.0)
  for _ in range(2):
    with tf.GradientTape() as tape:
      loss = variable * variable
    optimizer.apply_gradients([(tape.gradient(loss, variable), variable)])
  # Step 1: grad 2 * 1.0 = 2, velocity -0.1 * 2 = -0.2, var 0.8.
  # Step 2: grad 1.6, velocity 0.9 * -0.2 - 0.1 * 1.6 = -0.34, var 0.46.
  assert float(variable) == pytest.approx(0.46)


def test_moving_average_values_are_hand_computed():
  optimizer, _ = _build(
      "momentum_optimizer { momentum_optimizer_value: 0.0 %s } "
      "moving_average_decay: 0.5" % _CONSTANT)
  variable = tf.Variable(1.0)
  for _ in range(2):
    optimizer.apply_gradients([(tf.constant(2.0), variable)])
  # var: 1.0 -> 0.8 -> 0.6. Average: 0.8 (copied on the first step), then
  # 0.5 * 0.8 + 0.5 * 0.6 = 0.7.
  assert float(variable) == pytest.approx(0.6)
  optimizer.finalize_variable_values([variable])
  assert float(variable) == pytest.approx(0.7)


_SCHEDULES = [
    # (text, {step: hand-computed rate})
    (_CONSTANT, {0: 0.1, 500: 0.1}),
    # staircase default true: 0.1 * 0.5 ** floor(step / 10).
    ("learning_rate { exponential_decay_learning_rate { initial_learning_rate:"
     " 0.1 decay_steps: 10 decay_factor: 0.5 } }",
     {9: 0.1, 10: 0.05, 25: 0.025}),
    # Burn-in 0.01 for steps 0..4, decay counted from step 5, floor 0.005:
    # step 45 -> 0.1 * 0.5 ** 4 = 0.00625; step 65 -> max(0.0015625, 0.005).
    ("learning_rate { exponential_decay_learning_rate { initial_learning_rate:"
     " 0.1 decay_steps: 10 decay_factor: 0.5 staircase: false "
     "burnin_learning_rate: 0.01 burnin_steps: 5 min_learning_rate: 0.005 } }",
     {4: 0.01, 5: 0.1, 15: 0.05, 45: 0.00625, 65: 0.005}),
    # Warm-up 0.0 -> 0.2 over 4 steps (0.05 a step), then the pieces.
    ("learning_rate { manual_step_learning_rate { initial_learning_rate: 0.0 "
     "schedule { step: 4 learning_rate: 0.2 } schedule { step: 8 "
     "learning_rate: 0.05 } warmup: true } }",
     {0: 0.0, 2: 0.1, 4: 0.2, 7: 0.2, 8: 0.05}),
    ("learning_rate { manual_step_learning_rate { initial_learning_rate: 0.3 "
     "schedule { step: 4 learning_rate: 0.2 } } }", {3: 0.3, 4: 0.2}),
    # Warm-up slope (0.04 - 0.01) / 10; hold 10..30; decay over 70 steps:
    # step 65 -> 0.02 * (1 + cos(pi / 2)) = 0.02.
    ("learning_rate { cosine_decay_learning_rate { learning_rate_base: 0.04 "
     "total_steps: 100 warmup_learning_rate: 0.01 warmup_steps: 10 "
     "hold_base_rate_steps: 20 } }",
     {5: 0.025, 30: 0.04, 65: 0.02, 100: 0.0, 200: 0.0}),
]


@pytest.mark.parametrize("text, expected", _SCHEDULES,
                         ids=[t.split()[2] for t, _ in _SCHEDULES])
def test_learning_rate_values(text, expected):
  global_step = tf.Variable(0, dtype=tf.int64)
  optimizer, (learning_rate_fn,) = _build(
      "momentum_optimizer { %s }" % text, global_step=global_step)
  for step, rate in expected.items():
    global_step.assign(step)
    assert float(learning_rate_fn()) == pytest.approx(rate, abs=1e-7), step
    assert float(optimizer.learning_rate) == pytest.approx(rate, abs=1e-7)


def test_without_global_step_the_rate_follows_optimizer_iterations():
  optimizer, (learning_rate_fn,) = _build(
      "momentum_optimizer { learning_rate { manual_step_learning_rate { "
      "initial_learning_rate: 0.1 schedule { step: 1 learning_rate: 0.01 } } "
      "} } use_moving_average: false")
  variable = tf.Variable(1.0)

  @tf.function
  def train_step():
    optimizer.apply_gradients([(tf.constant(2.0), variable)])

  assert float(learning_rate_fn()) == pytest.approx(0.1)
  train_step()
  train_step()
  # Step 0 at rate 0.1 (var 0.8, velocity -0.2), step 1 at 0.01:
  # velocity 0.9 * -0.2 - 0.01 * 2 = -0.2, var 0.6.
  assert float(learning_rate_fn()) == pytest.approx(0.01)
  assert float(variable) == pytest.approx(0.6)


def test_optimizer_config_round_trip():
  optimizer, _ = _build(
      "adam_optimizer { learning_rate { cosine_decay_learning_rate { "
      "learning_rate_base: 0.04 total_steps: 100 warmup_learning_rate: 0.01 "
      "warmup_steps: 10 } } }")
  rebuilt = tf.keras.optimizers.Adam.from_config(
      optimizer.get_config(),
      custom_objects=learning_schedules.CUSTOM_OBJECTS)
  assert rebuilt.get_config() == optimizer.get_config()
  # Both at iteration 0: the warm-up's first rate.
  assert float(rebuilt.learning_rate) == pytest.approx(0.01)
  assert rebuilt.use_ema and rebuilt.epsilon == pytest.approx(1e-8)


_P = "train_config.optimizer"
_M = _P + ".momentum_optimizer"
_LR = _M + ".learning_rate"
_MANUAL = _LR + ".manual_step_learning_rate"
_COSINE = _LR + ".cosine_decay_learning_rate"

_ERRORS = [
    ("use_moving_average: false",
     _P + ": no optimizer set, expected one of rms_prop_optimizer, "
     "momentum_optimizer, adam_optimizer"),
    ("momentum_optimizer {}",
     _LR + ": no learning rate set, expected one of constant_learning_rate, "
     "exponential_decay_learning_rate, manual_step_learning_rate, "
     "cosine_decay_learning_rate"),
    ("momentum_optimizer { %s momentum_optimizer_value: 1.0 }" % _CONSTANT,
     _M + ".momentum_optimizer_value: must be in [0, 1), got 1.0"),
    ("rms_prop_optimizer { %s decay: 1.0 }" % _CONSTANT,
     _P + ".rms_prop_optimizer.decay: must be in [0, 1), got 1.0"),
    ("rms_prop_optimizer { %s epsilon: 0.0 }" % _CONSTANT,
     _P + ".rms_prop_optimizer.epsilon: must be > 0, got 0.0"),
    ("adam_optimizer { %s epsilon: -1.0 }" % _CONSTANT,
     _P + ".adam_optimizer.epsilon: must be > 0, got -1.0"),
    ("adam_optimizer { %s } moving_average_decay: 1.0" % _CONSTANT,
     _P + ".moving_average_decay: must be in (0, 1), got 1.0"),
    ("momentum_optimizer { learning_rate { constant_learning_rate { "
     "learning_rate: 0.0 } } }",
     _LR + ".constant_learning_rate.learning_rate: must be > 0, got 0.0"),
    ("momentum_optimizer { learning_rate { exponential_decay_learning_rate { "
     "decay_steps: 0 } } }",
     _LR + ".exponential_decay_learning_rate.decay_steps: must be > 0, got 0"),
    ("momentum_optimizer { learning_rate { manual_step_learning_rate { } } }",
     _MANUAL + ".schedule: must not be empty"),
    ("momentum_optimizer { learning_rate { manual_step_learning_rate { "
     "schedule { step: 0 learning_rate: 0.1 } } } }",
     _MANUAL + ".schedule[0].step: must be > 0, got 0"),
    ("momentum_optimizer { learning_rate { manual_step_learning_rate { "
     "schedule { step: 10 } schedule { step: 20 } schedule { step: 20 } } } }",
     _MANUAL + ".schedule[2].step: steps must be strictly increasing, "
     "got [10, 20, 20]"),
    ("momentum_optimizer { learning_rate { manual_step_learning_rate { "
     "schedule { step: 10 learning_rate: 0.0 } } } }",
     _MANUAL + ".schedule[0].learning_rate: must be > 0, got 0.0"),
    ("momentum_optimizer { learning_rate { cosine_decay_learning_rate { "
     "total_steps: 10 warmup_steps: 20 } } }",
     _COSINE + ".warmup_steps: must be <= total_steps, got 20 > 10"),
    ("momentum_optimizer { learning_rate { cosine_decay_learning_rate { "
     "learning_rate_base: 0.5 warmup_learning_rate: 1.0 } } }",
     _COSINE + ".warmup_learning_rate: must be <= learning_rate_base, "
     "got 1.0 > 0.5"),
    ("momentum_optimizer { learning_rate { cosine_decay_learning_rate { "
     "total_steps: 10 warmup_steps: 5 hold_base_rate_steps: 6 } } }",
     _COSINE + ".hold_base_rate_steps: warmup_steps + hold_base_rate_steps "
     "must be <= total_steps, got 5 + 6 > 10"),
]


@pytest.mark.parametrize("text, message", _ERRORS,
                         ids=[m.split(": ")[0] for _, m in _ERRORS])
def test_bad_values_raise_with_the_field_path(text, message):
  with pytest.raises(ValueError) as error:
    _build(text)
  assert str(error.value) == message


def test_a_parent_path_prefixes_the_message():
  with pytest.raises(ValueError) as error:
    _build("adam_optimizer { %s epsilon: 0.0 }" % _CONSTANT, path="opt")
  assert str(error.value) == "opt.adam_optimizer.epsilon: must be > 0, got 0.0"


def test_wrong_message_type_raises_type_error():
  with pytest.raises(TypeError) as error:
    optimizer_builder.build(optimizer_pb2.LearningRate())
  assert str(error.value) == (
      _P + ": expected an optimizer_pb2.Optimizer, got LearningRate")


_CLASSES = {"momentum_optimizer": tf.keras.optimizers.SGD,
            "rms_prop_optimizer": tf.keras.optimizers.RMSprop,
            "adam_optimizer": tf.keras.optimizers.Adam}


@pytest.mark.parametrize("config_path", upstream_params("*/*.config"))
def test_upstream_configs_build(config_path):
  config = config_util.get_configs_from_pipeline_file(
      config_path)["train_config"].optimizer
  global_step = tf.Variable(0, dtype=tf.int64)
  optimizer, (learning_rate_fn,) = optimizer_builder.build(
      config, global_step=global_step)
  assert type(optimizer) is _CLASSES[config.WhichOneof("optimizer")]
  assert optimizer.use_ema == config.use_moving_average
  for step in (0, 1000, 10 ** 7):
    global_step.assign(step)
    rate = float(learning_rate_fn())
    assert math.isfinite(rate) and rate >= 0, (step, rate)
