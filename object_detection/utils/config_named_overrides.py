"""Named overrides: one key that updates related pipeline fields together.

These are the keys TF OD API users pass to merge_external_params_with_configs
(`learning_rate=0.01`, `batch_size=8`, ...). Each takes a Python value or a
command-line string and edits a configs dict in place; `NAMED_OVERRIDES` maps
key -> update function. Input-reader keys (train_input_path, ...) and
generic dotted paths live in config_overrides.
"""

from typing import Any, Callable, Dict, Sequence, Tuple

from google.protobuf import message as message_lib

from object_detection.utils import config_errors
from object_detection.utils import config_paths

ConfigError = config_errors.ConfigError

_OPTIMIZERS_WITH_LEARNING_RATE = ("rms_prop_optimizer", "momentum_optimizer",
                                  "adam_optimizer")
_OPTIMIZERS_WITH_MOMENTUM = ("rms_prop_optimizer", "momentum_optimizer")


def _number(key: str, value: Any) -> float:
  """A float from a Python number or a numeric string."""
  if isinstance(value, (int, float)) and not isinstance(value, bool):
    return float(value)
  if isinstance(value, str):
    try:
      return float(value.strip())
    except ValueError:
      pass
  raise ConfigError("override %s: expects a number, got %r" % (key, value),
                    field_path=key, reason="expects a number")


def set_field(message: message_lib.Message, field: str, value: Any, shown: str
         ) -> None:
  """set_field_by_path with errors naming the configs path `shown`.

  Raises:
    ConfigError: the path or value does not fit the message.
  """
  try:
    config_paths.set_field_by_path(message, field, value)
  except ConfigError as e:
    raise ConfigError("%s: %s" % (shown, e.reason), field_path=shown,
                      reason=e.reason, suggestions=e.suggestions) from None


def eval_readers(configs: Dict[str, Any]) -> Sequence[message_lib.Message]:
  """The eval input readers of a configs dict (possibly empty)."""
  return configs.get("eval_input_configs") or []


def _optimizer(configs, key: str, allowed: Tuple[str, ...]):
  train_config = configs["train_config"]
  optimizer_type = train_config.optimizer.WhichOneof("optimizer")
  if optimizer_type not in allowed:
    raise ConfigError(
        "override %s: train_config.optimizer is %s; it must be one of %s" % (
            key, optimizer_type or "unset", ", ".join(allowed)),
        field_path="train_config.optimizer", reason="unsupported optimizer")
  return getattr(train_config.optimizer, optimizer_type)


def _update_learning_rate(configs, value) -> None:
  """Sets the initial rate; other rates of a schedule keep their ratio."""
  rate = _number("learning_rate", value)
  optimizer = _optimizer(configs, "learning_rate",
                         _OPTIMIZERS_WITH_LEARNING_RATE)
  schedule_type = optimizer.learning_rate.WhichOneof("learning_rate")
  schedule = getattr(optimizer.learning_rate, schedule_type or "", None)
  if schedule_type == "constant_learning_rate":
    schedule.learning_rate = rate
  elif schedule_type == "exponential_decay_learning_rate":
    schedule.initial_learning_rate = rate
  elif schedule_type == "manual_step_learning_rate":
    if schedule.initial_learning_rate == 0:
      raise ConfigError(
          "override learning_rate: manual_step_learning_rate."
          "initial_learning_rate is 0, so its schedule cannot be rescaled",
          reason="cannot rescale")
    scale = rate / schedule.initial_learning_rate
    schedule.initial_learning_rate = rate
    for step in schedule.schedule:
      step.learning_rate *= scale
  elif schedule_type == "cosine_decay_learning_rate":
    base = schedule.learning_rate_base
    warmup_ratio = schedule.warmup_learning_rate / base if base else 0.0
    schedule.learning_rate_base = rate
    schedule.warmup_learning_rate = warmup_ratio * rate
  else:
    raise ConfigError(
        "override learning_rate: the optimizer's learning_rate is %s; it "
        "must be one of constant_learning_rate, exponential_decay_"
        "learning_rate, manual_step_learning_rate, cosine_decay_learning_rate"
        % (schedule_type or "unset"), reason="unsupported learning rate")


def _update_batch_size(configs, value) -> None:
  """Rounded, at least 1 (as upstream)."""
  configs["train_config"].batch_size = max(
      1, int(round(_number("batch_size", value))))


def _update_momentum(configs, value) -> None:
  """Clipped to [0, 1] (as upstream)."""
  momentum = _number("momentum_optimizer_value", value)
  optimizer = _optimizer(configs, "momentum_optimizer_value",
                         _OPTIMIZERS_WITH_MOMENTUM)
  optimizer.momentum_optimizer_value = min(max(0.0, momentum), 1.0)


def _meta_architecture(configs, key: str) -> Tuple[str, message_lib.Message]:
  model = configs["model"]
  kind = model.WhichOneof("model")
  if kind not in ("faster_rcnn", "ssd"):
    raise ConfigError(
        "override %s: model is %s; it must be faster_rcnn or ssd" % (
            key, kind or "unset"), field_path="model", reason="unsupported model")
  return kind, getattr(model, kind)


def _update_weight_ratio(configs, value) -> None:
  """Classification (and objectness) weight = ratio, localization = 1."""
  ratio = _number("classification_localization_weight_ratio", value)
  kind, model = _meta_architecture(
      configs, "classification_localization_weight_ratio")
  if kind == "faster_rcnn":
    model.first_stage_localization_loss_weight = 1.0
    model.first_stage_objectness_loss_weight = ratio
    model.second_stage_localization_loss_weight = 1.0
    model.second_stage_classification_loss_weight = ratio
  else:
    model.loss.localization_weight = 1.0
    model.loss.classification_weight = ratio


def _focal_loss(configs, key: str) -> message_lib.Message:
  kind, model = _meta_architecture(configs, key)
  if kind == "faster_rcnn":
    loss, path = (model.second_stage_classification_loss,
                  "model.faster_rcnn.second_stage_classification_loss")
  else:
    loss, path = model.loss.classification_loss, (
        "model.ssd.loss.classification_loss")
  loss_type = loss.WhichOneof("classification_loss")
  if loss_type != "weighted_sigmoid_focal":
    raise ConfigError(
        "override %s: %s is %s; it must be weighted_sigmoid_focal" % (
            key, path, loss_type or "unset"), field_path=path,
        reason="not a focal loss")
  return loss.weighted_sigmoid_focal


def _update_focal_gamma(configs, value) -> None:
  _focal_loss(configs, "focal_loss_gamma").gamma = _number(
      "focal_loss_gamma", value)


def _update_focal_alpha(configs, value) -> None:
  _focal_loss(configs, "focal_loss_alpha").alpha = _number(
      "focal_loss_alpha", value)


def _update_num_classes(configs, value) -> None:
  kind, model = _meta_architecture(configs, "num_classes")
  set_field(model, "num_classes", value, "model.%s.num_classes" % kind)


def _setter(config_key: str, field: str) -> Callable[[dict, Any], None]:
  """An override that sets one field of configs[config_key]."""
  def update(configs, value):
    set_field(configs[config_key], field, value, "%s.%s" % (config_key, field))
  return update


def _all_readers_setter(field: str, include_train: bool
                        ) -> Callable[[dict, Any], None]:
  """An override that sets `field` of every eval (and the train) reader."""
  def update(configs, value):
    if include_train:
      set_field(configs["train_input_config"], field, value,
           "train_input_config.%s" % field)
    for i, reader in enumerate(eval_readers(configs)):
      set_field(reader, field, value, "eval_input_configs[%d].%s" % (i, field))
  return update


def _update_train_steps(configs, value) -> None:
  set_field(configs["train_config"], "num_steps", int(_number("train_steps", value)),
       "train_config.num_steps")


NAMED_OVERRIDES = {
    "learning_rate": _update_learning_rate,
    "batch_size": _update_batch_size,
    "momentum_optimizer_value": _update_momentum,
    "classification_localization_weight_ratio": _update_weight_ratio,
    "focal_loss_gamma": _update_focal_gamma,
    "focal_loss_alpha": _update_focal_alpha,
    "train_steps": _update_train_steps,
    "label_map_path": _all_readers_setter("label_map_path", True),
    "mask_type": _all_readers_setter("mask_type", True),
    "sample_1_of_n_eval_examples": _all_readers_setter(
        "sample_1_of_n_examples", False),
    "eval_num_epochs": _all_readers_setter("num_epochs", False),
    "eval_with_moving_averages": _setter("eval_config", "use_moving_averages"),
    "retain_original_images_in_eval": _setter("eval_config",
                                              "retain_original_images"),
    "use_bfloat16": _setter("train_config", "use_bfloat16"),
    "num_classes": _update_num_classes,
}
