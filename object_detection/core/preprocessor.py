"""Data augmentation and preprocessing: the TF OD API's `core.preprocessor`.

`preprocess(tensor_dict, preprocess_options)` applies a list of
(op, kwargs) pairs, as `preprocessor_builder.build` returns them, to a
tensor dict of standard fields. The ops themselves live in
`core/preprocessor_ops/` by family and are re-exported here under their
TF OD API names, so `preprocessor.random_horizontal_flip` and friends work
as before.

Conventions (those of the TF OD API):
  - Inside an op the image is float32 [height, width, channels], pixel
    values as the previous steps left them (0..255 after decoding).
    `preprocess` takes and returns tensor_dict['image'] as [1, H, W, C].
  - Boxes are normalised float32 [num_boxes, 4] [ymin, xmin, ymax, xmax].
  - Masks are [num_boxes, height, width]; keypoints [num_boxes,
    num_keypoints, 2] normalised (y, x).
  - Each op returns one output per positional argument it was given that
    was not None, in argument order.

Randomness: pass `seed` (an int [2] tensor) to `preprocess` for
reproducible, order-independent augmentation; see `random_ops`.
"""

import inspect
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import random_ops
# The image resizers' ops (TF OD API names).
from object_detection.core.preprocessor_ops.image_resize import (  # noqa: F401
    resize_image, resize_pad_to_multiple, resize_to_max_dimension,
    resize_to_min_dimension, resize_to_range)
# Augmentation op families; each module has `func_arg_map(ArgFields)`.
from object_detection.core.preprocessor_ops import autoaugment
from object_detection.core.preprocessor_ops.autoaugment import (  # noqa: F401
    autoaugment_image)
from object_detection.core.preprocessor_ops import scale, square_crop
from object_detection.core.preprocessor_ops.scale import (  # noqa: F401
    random_downscale_to_target_pixels, random_image_scale,
    random_resize_method, scale_boxes_to_pixel_coordinates)
from object_detection.core.preprocessor_ops.square_crop import (  # noqa: F401
    random_scale_crop_and_pad_to_square, random_square_crop_by_scale)
from object_detection.core.preprocessor_ops import crop_pad, pad
from object_detection.core.preprocessor_ops.crop_pad import (  # noqa: F401
    random_crop_pad_image, ssd_random_crop_pad,
    ssd_random_crop_pad_fixed_aspect_ratio)
from object_detection.core.preprocessor_ops.pad import (  # noqa: F401
    random_absolute_pad_image, random_pad_image, random_pad_to_aspect_ratio)
from object_detection.core.preprocessor_ops import patches
from object_detection.core.preprocessor_ops.patches import (  # noqa: F401
    random_black_patches, random_jitter_boxes, random_patch_gaussian,
    random_self_concat_image)
from object_detection.core.preprocessor_ops import crop, flip_rotate, ssd_crop
from object_detection.core.preprocessor_ops.crop import (  # noqa: F401
    random_crop_image, random_crop_to_aspect_ratio)
from object_detection.core.preprocessor_ops.flip_rotate import (  # noqa: F401
    random_horizontal_flip, random_rotation90, random_vertical_flip)
from object_detection.core.preprocessor_ops.ssd_crop import (  # noqa: F401
    ssd_random_crop, ssd_random_crop_fixed_aspect_ratio)
from object_detection.core.preprocessor_ops import color, labels, pixel_value
from object_detection.core.preprocessor_ops.color import (  # noqa: F401
    adjust_gamma, random_adjust_brightness, random_adjust_contrast,
    random_adjust_hue, random_adjust_saturation, random_distort_color,
    random_rgb_to_gray, rgb_to_gray)
from object_detection.core.preprocessor_ops.labels import (  # noqa: F401
    convert_class_logits_to_softmax, drop_label_probabilistically,
    remap_labels)
from object_detection.core.preprocessor_ops.pixel_value import (  # noqa: F401
    normalize_image, random_jpeg_quality, random_pixel_value_scale,
    subtract_channel_mean)
_OP_MODULES: Tuple[Any, ...] = (color, pixel_value, labels, flip_rotate,
                                crop, ssd_crop, patches, pad,
                                crop_pad, scale,
                                square_crop, autoaugment)

PreprocessorCache = random_ops.PreprocessorCache
ArgFields = arg_fields.ArgFields
FuncArgMap = Dict[Callable, Tuple[Optional[str], ...]]

_fields = fields.InputDataFields

# Per-box fields that no op takes; kept in step with the boxes through the
# ops' box_indices output (see arg_fields).
_UNTRACKED_BOX_FIELDS = (
    _fields.groundtruth_is_crowd,
    _fields.groundtruth_area,
    _fields.groundtruth_difficult,
    _fields.groundtruth_group_of,
    _fields.groundtruth_track_ids,
)


def get_default_func_arg_map(include_label_weights: bool = True,
                             include_label_confidences: bool = False,
                             include_multiclass_scores: bool = False,
                             include_instance_masks: bool = False,
                             include_instance_mask_weights: bool = False,
                             include_keypoints: bool = False,
                             include_keypoint_visibilities: bool = False,
                             include_dense_pose: bool = False,
                             include_keypoint_depths: bool = False
                             ) -> FuncArgMap:
  """The tensor_dict keys each op reads, for the fields that are present.

  Args:
    include_*: whether tensor_dict holds that field (so ops transform it).
  Returns:
    dict op -> tuple of tensor_dict keys (or None) for its positional args.
  """
  def key(include: bool, name: str) -> Optional[str]:
    return name if include else None

  arg_fields_used = ArgFields(
      label_weights=key(include_label_weights, _fields.groundtruth_weights),
      label_confidences=key(include_label_confidences,
                            _fields.groundtruth_confidences),
      multiclass_scores=key(include_multiclass_scores,
                            _fields.multiclass_scores),
      masks=key(include_instance_masks, _fields.groundtruth_instance_masks),
      mask_weights=key(include_instance_mask_weights,
                       _fields.groundtruth_instance_mask_weights),
      keypoints=key(include_keypoints, _fields.groundtruth_keypoints),
      keypoint_visibilities=key(include_keypoint_visibilities,
                                _fields.groundtruth_keypoint_visibilities),
      dp_num_points=key(include_dense_pose, _fields.groundtruth_dp_num_points),
      dp_part_ids=key(include_dense_pose, _fields.groundtruth_dp_part_ids),
      dp_surface_coords=key(include_dense_pose,
                            _fields.groundtruth_dp_surface_coords),
      keypoint_depths=key(include_keypoint_depths,
                          _fields.groundtruth_keypoint_depths),
      keypoint_depth_weights=key(include_keypoint_depths,
                                 _fields.groundtruth_keypoint_depth_weights))
  func_arg_map: FuncArgMap = {}
  for module in _OP_MODULES:
    func_arg_map.update(module.func_arg_map(arg_fields_used))
  return func_arg_map


def _num_boxes(tensor_dict: Dict[str, tf.Tensor]) -> Optional[tf.Tensor]:
  boxes = tensor_dict.get(_fields.groundtruth_boxes)
  return None if boxes is None else tf.shape(boxes)[0]


def _accepts(func: Callable, name: str) -> bool:
  """Whether `func` takes a keyword argument `name`."""
  try:
    parameters = inspect.signature(func).parameters
  except (TypeError, ValueError):
    return False
  return name in parameters or any(
      parameter.kind == inspect.Parameter.VAR_KEYWORD
      for parameter in parameters.values())


def _apply_step(tensor_dict: Dict[str, tf.Tensor], func: Callable,
                params: Dict[str, Any], arg_names: Sequence[Optional[str]],
                seed: Optional[tf.Tensor],
                preprocess_vars_cache: Optional[PreprocessorCache]) -> None:
  """Runs one op on tensor_dict in place.

  The seed and the cache go only to ops that take them (deterministic ops
  such as resize_image do not), as in the TF OD API.
  """
  args = [tensor_dict.get(name) if name is not None else None
          for name in arg_names]
  params = dict(params)
  if seed is not None and _accepts(func, "seed"):
    params["seed"] = seed
  if preprocess_vars_cache is not None and _accepts(func,
                                                    "preprocess_vars_cache"):
    params["preprocess_vars_cache"] = preprocess_vars_cache
  results = func(*args, **params)
  if not isinstance(results, (list, tuple)):
    results = (results,)
  given = [name for name, arg in zip(arg_names, args) if arg is not None]
  # An op may return more (resize_image adds the new shape); extra
  # outputs are dropped, as in the TF OD API.
  if len(results) < len(given):
    raise ValueError(
        "{} returned {} outputs for {} inputs ({})".format(
            getattr(func, "__name__", func), len(results), len(given),
            ", ".join(given)))
  for name, result in zip(given, results):
    tensor_dict[name] = result


def preprocess(tensor_dict: Dict[str, tf.Tensor],
               preprocess_options: Sequence[Tuple[Callable, Dict[str, Any]]],
               func_arg_map: Optional[FuncArgMap] = None,
               preprocess_vars_cache: Optional[PreprocessorCache] = None,
               seed: Optional[tf.Tensor] = None) -> Dict[str, tf.Tensor]:
  """Applies preprocessing steps in order.

  Args:
    tensor_dict: standard field name -> tensor; 'image' is float32
      [1, height, width, channels].
    preprocess_options: (op, kwargs) pairs, e.g. from
      `preprocessor_builder.build`.
    func_arg_map: op -> tensor_dict keys of its positional arguments;
      `get_default_func_arg_map()` when None.
    preprocess_vars_cache: a PreprocessorCache; ops store their random
      draws in it and repeat them on later calls with the same cache.
    seed: optional int [2] tensor. When given, step i receives the
      stateless seed fold_in(seed, i), so the result depends only on the
      seed (an extension: TF OD API ops take Python int seeds).
  Returns:
    A new dict with the transformed fields; 'image' stays [1, H, W, C].
  Raises:
    ValueError: no image, an image that is not [1, H, W, C], or an op
      missing from func_arg_map.
  """
  if func_arg_map is None:
    func_arg_map = get_default_func_arg_map()
  if _fields.image not in tensor_dict:
    raise ValueError("tensor_dict must have an '{}' field".format(
        _fields.image))
  image = tensor_dict[_fields.image]
  if image.shape.rank != 4 or (image.shape[0] not in (None, 1)):
    raise ValueError("image must be [1, height, width, channels], got "
                     "shape {}".format(image.shape))
  tensor_dict = dict(tensor_dict)
  tensor_dict[_fields.image] = tf.squeeze(image, axis=0)
  for index, (func, params) in enumerate(preprocess_options):
    if func not in func_arg_map:
      raise ValueError("the func_arg_map has no entry for {}".format(
          getattr(func, "__name__", func)))
    arg_names = func_arg_map[func]
    tracks_boxes = arg_fields.BOX_INDICES in arg_names
    num_boxes = _num_boxes(tensor_dict)
    if tracks_boxes and num_boxes is not None:
      tensor_dict[arg_fields.BOX_INDICES] = tf.range(num_boxes)
    step_seed = None if seed is None else random_ops.derive(seed, index)
    _apply_step(tensor_dict, func, params, arg_names, step_seed,
                preprocess_vars_cache)
    indices = tensor_dict.pop(arg_fields.BOX_INDICES, None)
    if indices is not None:
      for name in _UNTRACKED_BOX_FIELDS:
        if name in tensor_dict:
          tensor_dict[name] = tf.gather(tensor_dict[name], indices)
  tensor_dict[_fields.image] = tensor_dict[_fields.image][tf.newaxis]
  return tensor_dict


def op_names() -> List[str]:
  """Names of the augmentation ops available to `preprocess`."""
  return sorted(func.__name__ for func in get_default_func_arg_map())
