"""Builds a Keras optimizer from an `Optimizer` config (train_config.optimizer).

    from google.protobuf import text_format
    from object_detection.builders import optimizer_builder
    from object_detection.protos import optimizer_pb2
    config = text_format.Parse(
        "momentum_optimizer { learning_rate { constant_learning_rate {"
        " learning_rate: 0.01 } } } use_moving_average: false",
        optimizer_pb2.Optimizer())
    optimizer, (learning_rate_fn,) = optimizer_builder.build(config)

Mapping to Keras 3 (`tf.keras.optimizers`):
  momentum_optimizer -> SGD(momentum=momentum_optimizer_value)
  rms_prop_optimizer -> RMSprop(rho=decay, momentum=momentum_optimizer_value,
                                epsilon=epsilon)
  adam_optimizer     -> Adam(epsilon=epsilon)
The learning rate is a schedule from `object_detection.utils.
learning_schedules`. Known differences from TF1: Keras' RMSprop starts its
mean square at 0 (TF1 at 1), and Keras' Adam adds epsilon to sqrt(v_hat)
instead of to sqrt(v) (the "epsilon hat" form).

Moving averages: with `use_moving_average` the optimizer is built with
`use_ema=True, ema_momentum=moving_average_decay`, so every apply_gradients
updates, for each trained variable v, avg = decay * avg + (1 - decay) * v
(Keras copies v into avg on the optimizer's first step). The averages are
optimizer variables and are saved in any `tf.train.Checkpoint(optimizer=...)`.
Evaluation and export read them by calling
`optimizer.finalize_variable_values(model.trainable_variables)`, which copies
the averages into the model variables (on a model restored for evaluation,
not on the one still training). The TF OD API's TF2 builder refuses
`use_moving_average`; this one honours it.

Values are checked here; a bad value raises ValueError whose message starts
with its field path, e.g. `train_config.optimizer.adam_optimizer.learning_rate
.cosine_decay_learning_rate.warmup_steps: must be <= total_steps, got 20 > 10`.
"""

from typing import Callable, List, Optional, Tuple

import tensorflow as tf

from object_detection.protos import optimizer_pb2
from object_detection.utils import learning_schedules

DEFAULT_PATH = "train_config.optimizer"

LearningRateFn = Callable[[], tf.Tensor]


def _check(ok: bool, path: str, rule: str, value) -> None:
  if not ok:
    raise ValueError("{}: {}, got {!r}".format(path, rule, value))


def _prefixed(path: str, make: Callable[[], object]):
  """Calls make() and prefixes path to the argument named in a ValueError."""
  try:
    return make()
  except ValueError as error:
    raise ValueError("{}.{}".format(path, error)) from None


def _constant(config, path):
  return _prefixed(path, lambda: learning_schedules.ConstantLearningRate(
      learning_rate=config.learning_rate))


def _exponential_decay(config, path):
  return _prefixed(path, lambda: learning_schedules.ExponentialDecayWithBurnin(
      initial_learning_rate=config.initial_learning_rate,
      decay_steps=config.decay_steps, decay_factor=config.decay_factor,
      staircase=config.staircase,
      burnin_learning_rate=config.burnin_learning_rate,
      burnin_steps=config.burnin_steps,
      min_learning_rate=config.min_learning_rate))


def _manual_step(config, path):
  if not config.schedule:
    raise ValueError("{}.schedule: must not be empty".format(path))
  # >= 0: the TF OD API's context R-CNN configs warm up from 0.
  _check(config.initial_learning_rate >= 0,
         path + ".initial_learning_rate", "must be >= 0",
         config.initial_learning_rate)
  steps = [piece.step for piece in config.schedule]
  for i, piece in enumerate(config.schedule):
    piece_path = "{}.schedule[{}]".format(path, i)
    _check(piece.step > 0, piece_path + ".step", "must be > 0", piece.step)
    if i and piece.step <= steps[i - 1]:
      raise ValueError(
          "{}.step: steps must be strictly increasing, got {}".format(
              piece_path, steps))
    _check(piece.learning_rate > 0, piece_path + ".learning_rate",
           "must be > 0", piece.learning_rate)
  return learning_schedules.ManualStepping(
      boundaries=steps,
      rates=[config.initial_learning_rate] +
      [piece.learning_rate for piece in config.schedule],
      warmup=config.warmup)


def _cosine_decay(config, path):
  return _prefixed(path, lambda: learning_schedules.CosineDecayWithWarmup(
      learning_rate_base=config.learning_rate_base,
      total_steps=config.total_steps,
      warmup_learning_rate=config.warmup_learning_rate,
      warmup_steps=config.warmup_steps,
      hold_base_rate_steps=config.hold_base_rate_steps))


_SCHEDULE_BUILDERS = {
    "constant_learning_rate": _constant,
    "exponential_decay_learning_rate": _exponential_decay,
    "manual_step_learning_rate": _manual_step,
    "cosine_decay_learning_rate": _cosine_decay,
}
SCHEDULE_NAMES = tuple(_SCHEDULE_BUILDERS)


def _selected(config, message_type, oneof: str, names, path: str) -> str:
  """The member set in `config`'s oneof; TypeError/ValueError naming path."""
  if not isinstance(config, message_type):
    raise TypeError("{}: expected an optimizer_pb2.{}, got {}".format(
        path, message_type.__name__, type(config).__name__))
  kind = config.WhichOneof(oneof)
  if kind is None:
    raise ValueError("{}: no {} set, expected one of {}".format(
        path, oneof.replace("_", " "), ", ".join(names)))
  return kind


def build_learning_rate(
    learning_rate_config: optimizer_pb2.LearningRate,
    path: str = "learning_rate",
) -> tf.keras.optimizers.schedules.LearningRateSchedule:
  """Builds the learning-rate schedule of a `LearningRate` config.

  Args:
    learning_rate_config: an optimizer_pb2.LearningRate message.
    path: field path of the message, used in error messages.

  Returns:
    A LearningRateSchedule mapping an integer [] step to a float32 [] rate.

  Raises:
    TypeError: if learning_rate_config is not a LearningRate message.
    ValueError: if no variant is set or a value is out of range.
  """
  kind = _selected(learning_rate_config, optimizer_pb2.LearningRate,
                   "learning_rate", SCHEDULE_NAMES, path)
  return _SCHEDULE_BUILDERS[kind](getattr(learning_rate_config, kind),
                                  "{}.{}".format(path, kind))


def _check_momentum(config, path):
  _check(0 <= config.momentum_optimizer_value < 1,
         path + ".momentum_optimizer_value", "must be in [0, 1)",
         config.momentum_optimizer_value)


def _momentum(config, path, learning_rate, ema):
  _check_momentum(config, path)
  return tf.keras.optimizers.SGD(
      learning_rate=learning_rate, momentum=config.momentum_optimizer_value,
      **ema)


def _rms_prop(config, path, learning_rate, ema):
  _check_momentum(config, path)
  _check(0 <= config.decay < 1, path + ".decay", "must be in [0, 1)",
         config.decay)
  _check(config.epsilon > 0, path + ".epsilon", "must be > 0", config.epsilon)
  return tf.keras.optimizers.RMSprop(
      learning_rate=learning_rate, rho=config.decay,
      momentum=config.momentum_optimizer_value, epsilon=config.epsilon, **ema)


def _adam(config, path, learning_rate, ema):
  _check(config.epsilon > 0, path + ".epsilon", "must be > 0", config.epsilon)
  return tf.keras.optimizers.Adam(
      learning_rate=learning_rate, epsilon=config.epsilon, **ema)


_OPTIMIZER_BUILDERS = {
    "rms_prop_optimizer": _rms_prop,
    "momentum_optimizer": _momentum,
    "adam_optimizer": _adam,
}
OPTIMIZER_NAMES = tuple(_OPTIMIZER_BUILDERS)


class _RateAtStep:
  """No-arg callable: the schedule's float32 [] rate at a step variable."""

  def __init__(self, schedule, step):
    self.schedule = schedule
    self.step = step

  def __call__(self) -> tf.Tensor:
    return self.schedule(self.step)


def _ema_kwargs(optimizer_config, path):
  if not optimizer_config.use_moving_average:
    return {}
  decay = optimizer_config.moving_average_decay
  _check(0 < decay < 1, path + ".moving_average_decay", "must be in (0, 1)",
         decay)
  return {"use_ema": True, "ema_momentum": decay}


def build(
    optimizer_config: optimizer_pb2.Optimizer,
    global_step: Optional[tf.Variable] = None,
    path: str = DEFAULT_PATH,
) -> Tuple[tf.keras.optimizers.Optimizer, List[LearningRateFn]]:
  """Builds the optimizer of a `train_config.optimizer` message.

  Args:
    optimizer_config: an optimizer_pb2.Optimizer message.
    global_step: optional integer [] tf.Variable, the training step. When
      given, the optimizer's learning rate is the schedule read at this
      variable (as in the TF OD API); when None, Keras reads the schedule at
      `optimizer.iterations` and the optimizer's config stays serialisable.
    path: field path of the message, used in error messages.

  Returns:
    (optimizer, summary_vars) as in the TF OD API: a tf.keras optimizer and a
    one-element list holding a no-arg callable that returns the float32 []
    current learning rate (at global_step, or at optimizer.iterations).

  Raises:
    TypeError: if optimizer_config is not an Optimizer message.
    ValueError: if no optimizer is set or a value is out of range.
  """
  kind = _selected(optimizer_config, optimizer_pb2.Optimizer, "optimizer",
                   OPTIMIZER_NAMES, path)
  config = getattr(optimizer_config, kind)
  kind_path = "{}.{}".format(path, kind)
  schedule = build_learning_rate(config.learning_rate,
                                 kind_path + ".learning_rate")
  ema = _ema_kwargs(optimizer_config, path)
  if global_step is None:
    optimizer = _OPTIMIZER_BUILDERS[kind](config, kind_path, schedule, ema)
    learning_rate_fn = _RateAtStep(schedule, optimizer.iterations)
  else:
    learning_rate_fn = _RateAtStep(schedule, global_step)
    optimizer = _OPTIMIZER_BUILDERS[kind](config, kind_path, learning_rate_fn,
                                          ema)
  return optimizer, [learning_rate_fn]
