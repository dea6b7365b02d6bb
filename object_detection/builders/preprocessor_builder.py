"""Builds data-augmentation steps from `PreprocessingStep` config messages.

    from google.protobuf import text_format
    from object_detection.protos import preprocessor_pb2
    from object_detection.builders import preprocessor_builder
    step = text_format.Parse("random_crop_image { min_area: 0.5 }",
                             preprocessor_pb2.PreprocessingStep())
    func, kwargs = preprocessor_builder.build(step)
    # func is preprocessor.random_crop_image; kwargs has
    # aspect_ratio_range=(0.75, 1.33), area_range=(0.5, 1.0), ...

`build` returns (op, kwargs) as the TF OD API's builder does, ready for
`preprocessor.preprocess(tensor_dict, [(op, kwargs), ...])`. The op is
`object_detection.core.preprocessor.<step name>` (every step is named after
its op) and the kwargs are named after the op's keyword arguments. Every
scalar field is passed, with the proto's default when unset; repeated
fields become tuples. The SSD crops pass their per-operation values as
tuples with one entry per operation, and nothing when `operations` is empty
(the op then uses the SSD paper's operations).

Values are checked here, at start-up: a bad value raises ValueError whose
message begins with the field path from the step, e.g.
`random_crop_image.min_area: must be in (0, 1], got 1.5`; `build_all`
prefixes the indexed path in the train config. A step whose op the project
does not provide raises NotImplementedError naming the step.
"""

from typing import Any, Callable, Dict, List, Sequence, Tuple

import tensorflow as tf

from object_detection.builders import preprocessor_step_checks as checks
from object_detection.core import preprocessor
from object_detection.protos import preprocessor_pb2

Kwargs = checks.Kwargs
Step = Tuple[Callable, Kwargs]

_ONEOF = "preprocessing_step"

_RESIZE_METHODS = {
    preprocessor_pb2.ResizeImage.AREA: tf.image.ResizeMethod.AREA,
    preprocessor_pb2.ResizeImage.BICUBIC: tf.image.ResizeMethod.BICUBIC,
    preprocessor_pb2.ResizeImage.BILINEAR: tf.image.ResizeMethod.BILINEAR,
    preprocessor_pb2.ResizeImage.NEAREST_NEIGHBOR:
        tf.image.ResizeMethod.NEAREST_NEIGHBOR,
}

# AutoAugment detection policies of the TF OD API (autoaugment_utils).
AUTOAUGMENT_POLICIES = ("v0", "v1", "v2", "v3", "test")


def _normalize_image(config, path: str) -> Kwargs:
  checks.check_set(config, path, "original_minval", "original_maxval")
  checks.check_order(config, path, "original_minval", "original_maxval", True)
  checks.check_order(config, path, "target_minval", "target_maxval", True)
  return checks.fields(config, "original_minval", "original_maxval",
                       "target_minval", "target_maxval")


def _flip(permutation: str) -> Callable:
  def build_flip(config, path: str) -> Kwargs:
    checks.check_probability(config, path, "probability")
    checks.check_permutation(config, path, permutation)
    return {permutation: tuple(getattr(config, permutation)) or None,
            "probability": config.probability}
  return build_flip


def _probability_only(config, path: str) -> Kwargs:
  checks.check_probability(config, path, "probability")
  return checks.fields(config, "probability")


def _no_fields(config, path: str) -> Kwargs:
  del config, path
  return {}


def _random_adjust_brightness(config, path: str) -> Kwargs:
  checks.check_non_negative(config, path, "max_delta")
  return checks.fields(config, "max_delta")


def _random_adjust_hue(config, path: str) -> Kwargs:
  checks.check_in(config, path, ("max_delta",), 0, 0.5)
  return checks.fields(config, "max_delta")


def _random_distort_color(config, path: str) -> Kwargs:
  if config.color_ordering not in (0, 1):
    checks.fail(path, "color_ordering", "must be 0 or 1",
                config.color_ordering)
  return checks.fields(config, "color_ordering")


def _random_jitter_boxes(config, path: str) -> Kwargs:
  checks.check_non_negative(config, path, "ratio")
  mode = preprocessor_pb2.RandomJitterBoxes.JitterMode.Name(
      config.jitter_mode)
  return {"ratio": config.ratio, "jitter_mode": mode.lower()}


def _random_crop_image(config, path: str) -> Kwargs:
  return checks.crop_kwargs(config, path)


def _image_size(config, path: str, height: str, width: str) -> Any:
  """(height, width) from a pair of fields set together, or None."""
  if config.HasField(height) != config.HasField(width):
    raise ValueError("{}.{}: {} and {} must be set together".format(
        path, height if config.HasField(width) else width, height, width))
  if not config.HasField(height):
    return None
  checks.check_positive(config, path, height, width)
  return (getattr(config, height), getattr(config, width))


def _random_pad_image(config, path: str) -> Kwargs:
  min_size = _image_size(config, path, "min_image_height", "min_image_width")
  max_size = _image_size(config, path, "max_image_height", "max_image_width")
  if min_size and max_size:
    checks.check_order(config, path, "min_image_height", "max_image_height")
    checks.check_order(config, path, "min_image_width", "max_image_width")
  return {"min_image_size": min_size, "max_image_size": max_size,
          "pad_color": checks.pad_color(config, path)}


def _random_absolute_pad_image(config, path: str) -> Kwargs:
  # As in the TF OD API, unset (0) padding ranges mean 1 (no padding).
  checks.check_non_negative(config, path, "max_height_padding",
                            "max_width_padding")
  return {"max_height_padding": config.max_height_padding or 1,
          "max_width_padding": config.max_width_padding or 1,
          "pad_color": checks.pad_color(config, path)}


def _random_crop_pad_image(config, path: str) -> Kwargs:
  kwargs = checks.crop_kwargs(config, path)
  checks.check_padded_size_ratios(config, path, required=False)
  for name in ("min_padded_size_ratio", "max_padded_size_ratio"):
    if getattr(config, name):
      kwargs[name] = tuple(getattr(config, name))
  kwargs["pad_color"] = checks.pad_color(config, path, rgb=True)
  return kwargs


def _random_crop_to_aspect_ratio(config, path: str) -> Kwargs:
  checks.check_positive(config, path, "aspect_ratio")
  checks.check_probability(config, path, "overlap_thresh")
  return checks.fields(config, "aspect_ratio", "overlap_thresh", "clip_boxes")


def _random_black_patches(config, path: str) -> Kwargs:
  checks.check_non_negative(config, path, "max_black_patches")
  checks.check_probability(config, path, "probability")
  checks.check_in(config, path, ("size_to_image_ratio",), 0, 1, low_open=True)
  return checks.fields(config, "max_black_patches", "probability",
                       "size_to_image_ratio")


def _random_resize_method(config, path: str) -> Kwargs:
  checks.check_positive(config, path, "target_height", "target_width")
  return {"target_size": (config.target_height, config.target_width)}


def _resize_image(config, path: str) -> Kwargs:
  checks.check_positive(config, path, "new_height", "new_width")
  return {"new_height": config.new_height, "new_width": config.new_width,
          "method": _RESIZE_METHODS[config.method]}


def _subtract_channel_mean(config, path: str) -> Kwargs:
  if not config.means:
    raise ValueError("{}.means: must not be empty".format(path))
  return {"means": tuple(config.means)}


def _ssd_random_crop(config, path: str) -> Kwargs:
  return checks.per_operation(config, path)


def _ssd_random_crop_pad(config, path: str) -> Kwargs:
  return checks.per_operation(config, path, pad=True)


def _ssd_random_crop_fixed_aspect_ratio(config, path: str) -> Kwargs:
  checks.check_positive(config, path, "aspect_ratio")
  kwargs = checks.per_operation(config, path, aspect_ratio=False)
  kwargs["aspect_ratio"] = config.aspect_ratio
  return kwargs


def _ssd_random_crop_pad_fixed_aspect_ratio(config, path: str) -> Kwargs:
  checks.check_positive(config, path, "aspect_ratio")
  checks.check_padded_size_ratios(config, path, required=False)
  kwargs = checks.per_operation(config, path)
  kwargs["aspect_ratio"] = config.aspect_ratio
  for name in ("min_padded_size_ratio", "max_padded_size_ratio"):
    if getattr(config, name):
      kwargs[name] = tuple(getattr(config, name))
  return kwargs


def _convert_class_logits_to_softmax(config, path: str) -> Kwargs:
  checks.check_positive(config, path, "temperature")
  return checks.fields(config, "temperature")


def _random_self_concat_image(config, path: str) -> Kwargs:
  names = ("concat_vertical_probability", "concat_horizontal_probability")
  checks.check_probability(config, path, *names)
  return checks.fields(config, *names)


def _autoaugment_image(config, path: str) -> Kwargs:
  if config.policy_name not in AUTOAUGMENT_POLICIES:
    checks.fail(path, "policy_name", "must be one of " + ", ".join(
        AUTOAUGMENT_POLICIES), repr(config.policy_name))
  return checks.fields(config, "policy_name")


def _drop_label_probabilistically(config, path: str) -> Kwargs:
  checks.check_set(config, path, "label")
  checks.check_probability(config, path, "drop_probability")
  return {"dropped_label": config.label,
          "drop_probability": config.drop_probability}


def _remap_labels(config, path: str) -> Kwargs:
  if not config.original_labels:
    raise ValueError("{}.original_labels: must not be empty".format(path))
  checks.check_set(config, path, "new_label")
  return {"original_labels": tuple(config.original_labels),
          "new_label": config.new_label}


def _random_jpeg_quality(config, path: str) -> Kwargs:
  checks.check_probability(config, path, "random_coef")
  checks.check_in(config, path, ("min_jpeg_quality", "max_jpeg_quality"),
                  0, 100)
  checks.check_order(config, path, "min_jpeg_quality", "max_jpeg_quality")
  return checks.fields(config, "random_coef", "min_jpeg_quality",
                       "max_jpeg_quality")


def _random_downscale_to_target_pixels(config, path: str) -> Kwargs:
  checks.check_probability(config, path, "random_coef")
  checks.check_positive(config, path, "min_target_pixels")
  checks.check_order(config, path, "min_target_pixels", "max_target_pixels")
  return checks.fields(config, "random_coef", "min_target_pixels",
                       "max_target_pixels")


def _random_patch_gaussian(config, path: str) -> Kwargs:
  checks.check_probability(config, path, "random_coef")
  checks.check_positive(config, path, "min_patch_size")
  # The patch side is drawn from [min, max), which must not be empty.
  checks.check_order(config, path, "min_patch_size", "max_patch_size", True)
  checks.check_non_negative(config, path, "min_gaussian_stddev")
  checks.check_order(config, path, "min_gaussian_stddev",
                     "max_gaussian_stddev")
  return checks.fields(config, "random_coef", "min_patch_size",
                       "max_patch_size", "min_gaussian_stddev",
                       "max_gaussian_stddev")


def _random_square_crop_by_scale(config, path: str) -> Kwargs:
  checks.check_non_negative(config, path, "max_border")
  checks.check_positive(config, path, "scale_min", "num_scales")
  checks.check_order(config, path, "scale_min", "scale_max")
  return checks.fields(config, "max_border", "scale_min", "scale_max",
                       "num_scales")


def _random_scale_crop_and_pad_to_square(config, path: str) -> Kwargs:
  checks.check_positive(config, path, "output_size", "scale_min")
  checks.check_order(config, path, "scale_min", "scale_max")
  return checks.fields(config, "output_size", "scale_min", "scale_max")


def _adjust_gamma(config, path: str) -> Kwargs:
  checks.check_positive(config, path, "gamma")
  return checks.fields(config, "gamma", "gain")


# Step name (= op name in core.preprocessor) -> kwargs builder(config, path).
_BUILDERS: Dict[str, Callable[[Any, str], Kwargs]] = {
    "normalize_image": _normalize_image,
    "random_horizontal_flip": _flip("keypoint_flip_permutation"),
    "random_pixel_value_scale": checks.range_step("minval", "maxval", True),
    "random_image_scale": checks.range_step(
        "min_scale_ratio", "max_scale_ratio", True),
    "random_rgb_to_gray": _probability_only,
    "random_adjust_brightness": _random_adjust_brightness,
    "random_adjust_contrast": checks.range_step(
        "min_delta", "max_delta", False),
    "random_adjust_hue": _random_adjust_hue,
    "random_adjust_saturation": checks.range_step(
        "min_delta", "max_delta", False),
    "random_distort_color": _random_distort_color,
    "random_jitter_boxes": _random_jitter_boxes,
    "random_crop_image": _random_crop_image,
    "random_pad_image": _random_pad_image,
    "random_crop_pad_image": _random_crop_pad_image,
    "random_crop_to_aspect_ratio": _random_crop_to_aspect_ratio,
    "random_black_patches": _random_black_patches,
    "random_resize_method": _random_resize_method,
    "scale_boxes_to_pixel_coordinates": _no_fields,
    "resize_image": _resize_image,
    "subtract_channel_mean": _subtract_channel_mean,
    "ssd_random_crop": _ssd_random_crop,
    "ssd_random_crop_pad": _ssd_random_crop_pad,
    "ssd_random_crop_fixed_aspect_ratio": _ssd_random_crop_fixed_aspect_ratio,
    "ssd_random_crop_pad_fixed_aspect_ratio":
        _ssd_random_crop_pad_fixed_aspect_ratio,
    "random_vertical_flip": _flip("keypoint_flip_permutation"),
    "random_rotation90": _flip("keypoint_rot_permutation"),
    "rgb_to_gray": _no_fields,
    "convert_class_logits_to_softmax": _convert_class_logits_to_softmax,
    "random_absolute_pad_image": _random_absolute_pad_image,
    "random_self_concat_image": _random_self_concat_image,
    "autoaugment_image": _autoaugment_image,
    "drop_label_probabilistically": _drop_label_probabilistically,
    "remap_labels": _remap_labels,
    "random_jpeg_quality": _random_jpeg_quality,
    "random_downscale_to_target_pixels": _random_downscale_to_target_pixels,
    "random_patch_gaussian": _random_patch_gaussian,
    "random_square_crop_by_scale": _random_square_crop_by_scale,
    "random_scale_crop_and_pad_to_square":
        _random_scale_crop_and_pad_to_square,
    "adjust_gamma": _adjust_gamma,
}

STEP_NAMES: Tuple[str, ...] = tuple(_BUILDERS)


def build_kwargs(preprocessor_step_config: preprocessor_pb2.PreprocessingStep,
                 *, path: str = "") -> Tuple[str, Kwargs]:
  """Validates a step and returns its op name and keyword arguments.

  Needs no op to exist, so configs can be checked without TensorFlow ops.

  Args:
    preprocessor_step_config: a preprocessor_pb2.PreprocessingStep.
    path: config path of the step message, prefixed to error messages
      (e.g. "train_config.data_augmentation_options[2]"); "" for none.
  Returns:
    (op name in object_detection.core.preprocessor, kwargs dict).
  Raises:
    TypeError: for a message of another type.
    ValueError: no step set, or a value out of range; the message names
      the field path.
  """
  if not isinstance(preprocessor_step_config,
                    preprocessor_pb2.PreprocessingStep):
    raise TypeError("{}: expected a PreprocessingStep message, got {}".format(
        path or "preprocessing step", type(preprocessor_step_config).__name__))
  kind = preprocessor_step_config.WhichOneof(_ONEOF)
  if kind is None:
    raise ValueError("{}: no preprocessing step set; expected one of: "
                     "{}".format(path or "preprocessing step",
                                 ", ".join(STEP_NAMES)))
  step_path = "{}.{}".format(path, kind) if path else kind
  if kind not in _BUILDERS:
    raise ValueError("{}: not supported; supported: {}".format(
        step_path, ", ".join(STEP_NAMES)))
  return kind, _BUILDERS[kind](getattr(preprocessor_step_config, kind),
                               step_path)


def build(preprocessor_step_config: preprocessor_pb2.PreprocessingStep,
          *, path: str = "") -> Step:
  """Builds the step selected by the `preprocessing_step` oneof.

  Args:
    preprocessor_step_config: a preprocessor_pb2.PreprocessingStep.
    path: config path of the step message, prefixed to error messages.
  Returns:
    (op, kwargs): the op from object_detection.core.preprocessor and the
    keyword arguments to call it with; see the module docstring.
  Raises:
    TypeError: for a message of another type.
    ValueError: no step set, or a value out of range.
    NotImplementedError: the op of the step is not available.
  """
  name, kwargs = build_kwargs(preprocessor_step_config, path=path)
  # Looked up now, not at import: the ops live in their own modules.
  func = getattr(preprocessor, name, None)
  if func is None:
    step_path = "{}.{}".format(path, name) if path else name
    raise NotImplementedError(
        "{}: the op preprocessor.{} is not available in this version".format(
            step_path, name))
  return func, kwargs


def build_all(data_augmentation_options: Sequence[
    preprocessor_pb2.PreprocessingStep],
              path_prefix: str = "train_config.data_augmentation_options"
              ) -> List[Step]:
  """Builds every step of a list, e.g. train_config.data_augmentation_options.

  Args:
    data_augmentation_options: PreprocessingStep messages, applied in order.
    path_prefix: config path of the list; step i's errors start with
      "<path_prefix>[i]".
  Returns:
    list of (op, kwargs), one per step, for `preprocessor.preprocess`.
  Raises:
    TypeError, ValueError, NotImplementedError: as `build`, for the first
      bad step, naming its index.
  """
  return [build(step, path="{}[{}]".format(path_prefix, index))
          for index, step in enumerate(data_augmentation_options)]
