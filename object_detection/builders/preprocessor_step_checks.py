"""Field checks and shared kwargs of `preprocessor_builder`'s steps.

Every check takes the step's config message, its config path (e.g.
"train_config.data_augmentation_options[0].random_crop_image") and field
names, and raises ValueError "<path>.<field>: <rule>, got <value>" when a
value breaks the rule. Only builders import this module.
"""

from typing import Any, Callable, Dict, Sequence

from google.protobuf.message import Message

Kwargs = Dict[str, Any]


def fmt(value: Any) -> str:
  """Formats a field value for a message: 0.1 (not 0.100000001), [1, 2]."""
  if isinstance(value, float):
    text = "{:.7g}".format(value)
    return text if any(c in text for c in ".en") else text + ".0"
  if isinstance(value, (list, tuple)) or hasattr(value, "extend"):
    return "[{}]".format(", ".join(fmt(v) for v in value))
  return str(value)


def fail(path: str, name: str, rule: str, value: Any) -> None:
  """Raises ValueError "<path>.<name>: <rule>, got <value>"."""
  raise ValueError("{}.{}: {}, got {}".format(path, name, rule, fmt(value)))


def check_set(config: Message, path: str, *names: str) -> None:
  """Each optional field without a default must be set explicitly."""
  for name in names:
    if not config.HasField(name):
      raise ValueError("{}.{}: must be set".format(path, name))


def check_positive(config: Message, path: str, *names: str) -> None:
  for name in names:
    if not getattr(config, name) > 0:
      fail(path, name, "must be > 0", getattr(config, name))


def check_non_negative(config: Message, path: str, *names: str) -> None:
  for name in names:
    if not getattr(config, name) >= 0:
      fail(path, name, "must be >= 0", getattr(config, name))


def check_in(config: Message, path: str, names: Sequence[str], low: float,
             high: float, low_open: bool = False) -> None:
  """Checks low <= value <= high (low < value when low_open)."""
  for name in names:
    value = getattr(config, name)
    if not ((low < value if low_open else low <= value) and value <= high):
      rule = "must be in {}{}, {}]".format("(" if low_open else "[",
                                           fmt(low), fmt(high))
      fail(path, name, rule, value)


def check_probability(config: Message, path: str, *names: str) -> None:
  check_in(config, path, names, 0, 1)


def check_order(config: Message, path: str, low: str, high: str,
                strict: bool = False) -> None:
  """Checks config.low <= config.high (< when strict)."""
  low_value, high_value = getattr(config, low), getattr(config, high)
  if high_value < low_value or (strict and high_value == low_value):
    fail(path, high, "must be {} {} ({})".format(
        ">" if strict else ">=", low, fmt(low_value)), high_value)


def check_permutation(config: Message, path: str, name: str) -> None:
  """A repeated int field, when set, must permute 0..len-1."""
  values = list(getattr(config, name))
  if values and sorted(values) != list(range(len(values))):
    fail(path, name, "must be a permutation of 0..{}".format(
        len(values) - 1), values)


def check_padded_size_ratios(config: Message, path: str,
                             required: bool) -> None:
  """min/max_padded_size_ratio: 2 values > 0 each, min <= max."""
  names = ("min_padded_size_ratio", "max_padded_size_ratio")
  for name in names:
    values = getattr(config, name)
    if values or required:
      if len(values) != 2:
        fail(path, name, "must have 2 values (height, width)", list(values))
      if not all(v > 0 for v in values):
        fail(path, name, "every value must be > 0", list(values))
  low, high = (getattr(config, name) for name in names)
  if low and high and any(h < l for l, h in zip(low, high)):
    fail(path, names[1], "must be >= min_padded_size_ratio ({}) "
         "elementwise".format(fmt(list(low))), list(high))


def pad_color(config: Message, path: str, rgb: bool = False) -> Any:
  """config.pad_color as a tuple, None when empty (the image's mean).

  With rgb, a set colour must have exactly 3 values.
  """
  values = tuple(config.pad_color)
  if rgb and values and len(values) != 3:
    fail(path, "pad_color", "must have 3 values (red, green, blue) when set",
         list(values))
  return values or None


def fields(config: Message, *names: str) -> Kwargs:
  """{name: config.name} for the given fields (defaults when unset)."""
  return {name: getattr(config, name) for name in names}


def range_step(low: str, high: str, positive: bool) -> Callable:
  """A kwargs builder for a step whose fields are one low <= high pair.

  Args:
    low, high: the field names.
    positive: low must be > 0 (else >= 0).
  Returns:
    builder(config, path) -> {low: ..., high: ...}.
  """
  def build_range(config: Message, path: str) -> Kwargs:
    (check_positive if positive else check_non_negative)(config, path, low)
    check_order(config, path, low, high)
    return fields(config, low, high)
  return build_range


def crop_kwargs(config: Message, path: str, aspect_ratio: bool = True
                ) -> Kwargs:
  """Checks and kwargs of a random crop's window fields.

  Args:
    config: a message with min_object_covered, (min|max)_aspect_ratio
      (when aspect_ratio), (min|max)_area, overlap_thresh, clip_boxes and
      random_coef.
    path: its config path.
    aspect_ratio: whether the message has the aspect ratio fields.
  Returns:
    kwargs with aspect_ratio_range and area_range as (min, max) tuples.
  """
  check_probability(config, path, "min_object_covered", "overlap_thresh",
                    "random_coef")
  kwargs = {"min_object_covered": config.min_object_covered}
  if aspect_ratio:
    check_positive(config, path, "min_aspect_ratio")
    check_order(config, path, "min_aspect_ratio", "max_aspect_ratio")
    kwargs["aspect_ratio_range"] = (config.min_aspect_ratio,
                                    config.max_aspect_ratio)
  check_in(config, path, ("min_area", "max_area"), 0, 1, low_open=True)
  check_order(config, path, "min_area", "max_area")
  kwargs["area_range"] = (config.min_area, config.max_area)
  kwargs.update(fields(config, "overlap_thresh", "clip_boxes",
                       "random_coef"))
  return kwargs


def per_operation(config: Message, path: str, aspect_ratio: bool = True,
                  pad: bool = False) -> Kwargs:
  """Kwargs of an SSD crop: per kwarg, a tuple with one entry per operation.

  Args:
    config: a message with repeated `operations`.
    path: its config path; an operation's errors name
      "<path>.operations[i].<field>".
    aspect_ratio: whether the operations have the aspect ratio fields.
    pad: whether they also have padded size ratios and a pad colour.
  Returns:
    the kwargs, {} when there are no operations (the op's defaults).
  """
  per_op = []
  for index, op in enumerate(config.operations):
    op_path = "{}.operations[{}]".format(path, index)
    kwargs = crop_kwargs(op, op_path, aspect_ratio)
    if pad:
      check_padded_size_ratios(op, op_path, required=True)
      kwargs["min_padded_size_ratio"] = tuple(op.min_padded_size_ratio)
      kwargs["max_padded_size_ratio"] = tuple(op.max_padded_size_ratio)
      kwargs["pad_color"] = (op.pad_color_r, op.pad_color_g, op.pad_color_b)
    per_op.append(kwargs)
  if not per_op:
    return {}
  return {name: tuple(kwargs[name] for kwargs in per_op) for name in per_op[0]}
