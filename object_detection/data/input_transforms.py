"""Per-example input transforms: the TF OD API's `inputs.transform_input_data`
and `inputs.pad_input_data_to_static_shapes` (re-exported by
`object_detection.inputs`, which runs them inside the tf.data map).

One decoded example (standard field names, `image` [h, w, 3], boxes
normalised [ymin, xmin, ymax, xmax] float32 [N, 4], classes int [N] 1-based
as in the label map) becomes model-ready tensors: boxes with NaN
coordinates or the unknown class -1 are dropped, the optional augmentation
runs, then the model's `preprocess`; masks are resized with the model's
image resizer into the preprocessed frame; classes become one-hot float32
[N, num_classes] with the background excluded (the model adds it). Boxes
stay normalised to the true image, as `DetectionModel` expects. The
per-box fields the decoder leaves empty when a record lacks them
(`groundtruth_is_crowd`, `_area`, `_difficult`, `_group_of`) become zeros
[N] first, so that they follow the boxes through dropping, cropping and
merging.
"""

from typing import Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.core import standard_fields as fields
from object_detection.utils import shape_utils

_LABEL_OFFSET = 1
_fields = fields.InputDataFields
TensorDict = Dict[str, tf.Tensor]

# Fields with one row per box, kept in step when boxes are dropped/merged.
PER_BOX_FIELDS = (
    _fields.groundtruth_boxes, _fields.groundtruth_classes,
    _fields.groundtruth_weights, _fields.groundtruth_confidences,
    _fields.groundtruth_instance_masks,
    _fields.groundtruth_instance_mask_weights,
    _fields.groundtruth_instance_boundaries, _fields.groundtruth_keypoints,
    _fields.groundtruth_keypoint_visibilities,
    _fields.groundtruth_keypoint_weights, _fields.groundtruth_keypoint_depths,
    _fields.groundtruth_keypoint_depth_weights, _fields.groundtruth_is_crowd,
    _fields.groundtruth_area, _fields.groundtruth_difficult,
    _fields.groundtruth_group_of, _fields.groundtruth_label_types,
    _fields.groundtruth_track_ids, _fields.multiclass_scores,
    _fields.groundtruth_dp_num_points, _fields.groundtruth_dp_part_ids,
    _fields.groundtruth_dp_surface_coords)

# Per-box fields the decoder gives as [0] when the record lacks them.
_DEFAULTED_BOX_FIELDS = (
    _fields.groundtruth_is_crowd, _fields.groundtruth_area,
    _fields.groundtruth_difficult, _fields.groundtruth_group_of,
    _fields.groundtruth_label_types, _fields.groundtruth_track_ids)

# Per-image class lists -> k-hot [C]; whether an empty list means all
# classes (True) or none (False). None: the caller's
# image_classes_field_map_empty_to_ones.
CLASS_LIST_FIELDS = {
    _fields.groundtruth_labeled_classes: True,
    _fields.groundtruth_image_classes: None,
    _fields.groundtruth_verified_neg_classes: False,
    _fields.groundtruth_not_exhaustive_classes: False,
}


def _gather_boxes(tensor_dict: TensorDict, indices: tf.Tensor) -> TensorDict:
  """Keeps the rows `indices` (int [K]) of every per-box field."""
  out = dict(tensor_dict)
  for name in PER_BOX_FIELDS:
    if name in out:
      out[name] = tf.gather(out[name], indices)
  return out


def _drop_invalid_boxes(tensor_dict: TensorDict) -> TensorDict:
  """Drops boxes with a NaN coordinate or the unknown class id -1."""
  boxes = tensor_dict[_fields.groundtruth_boxes]
  keep = tf.logical_not(tf.reduce_any(tf.math.is_nan(boxes), axis=1))
  if _fields.groundtruth_classes in tensor_dict:
    keep &= tf.not_equal(tensor_dict[_fields.groundtruth_classes], -1)
  return _gather_boxes(tensor_dict, tf.where(keep)[:, 0])


def _fill_absent_box_fields(tensor_dict: TensorDict) -> TensorDict:
  """Replaces the decoder's empty [0] per-box fields by zeros [num_boxes]."""
  out = dict(tensor_dict)
  num_boxes = tf.shape(out[_fields.groundtruth_boxes])[:1]
  for name in _DEFAULTED_BOX_FIELDS:
    if name in out and out[name].shape.rank == 1:
      values = out[name]
      out[name] = tf.cond(
          tf.size(values) > 0, lambda v=values: v,
          lambda v=values: tf.zeros(num_boxes, v.dtype))
  return out


def _class_list_to_k_hot(class_ids: tf.Tensor, num_classes: int,
                         map_empty_to_ones: bool) -> tf.Tensor:
  """float32 [C] k-hot of 1-based ids (-1 ignored).

  A list empty once -1 is removed gives all ones when map_empty_to_ones,
  else all zeros.
  """
  class_ids = tf.cast(class_ids, tf.int32)
  valid = tf.boolean_mask(class_ids, class_ids > 0)
  k_hot = tf.minimum(tf.reduce_sum(
      tf.one_hot(valid - _LABEL_OFFSET, num_classes), axis=0), 1.0)
  if not map_empty_to_ones:
    return k_hot
  return tf.cond(tf.size(valid) > 0, lambda: k_hot,
                 lambda: tf.ones([num_classes]))


def merge_boxes_with_multiple_labels(
    boxes: tf.Tensor, class_indices: tf.Tensor, confidences: tf.Tensor,
    num_classes: int, quantization_bins: int = 10000
) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
  """Merges identical boxes into one box with k-hot classes.

  Boxes are identical when equal after quantising each coordinate to
  `quantization_bins` levels.

  Args:
    boxes: float32 [N, 4] normalised boxes.
    class_indices: int [N] 0-based class of each box.
    confidences: float32 [N] confidence of each box's class.
    num_classes: C.
    quantization_bins: levels per coordinate (at most 50000, so that the
      four quantised coordinates fit one int64 code).
  Returns:
    merged boxes float32 [K, 4], k-hot classes float32 [K, C], confidences
    float32 [K, C], and int32 [K] the index of each merged box's first
    occurrence in `boxes` (merged boxes keep first-occurrence order).
  Raises:
    ValueError: quantization_bins out of range.
  """
  if not 2 <= quantization_bins <= 50000:
    raise ValueError("quantization_bins: must be in [2, 50000], got "
                     "{}".format(quantization_bins))
  bins = quantization_bins
  quantized = tf.cast(boxes * (bins - 1), tf.int64)
  codes = (quantized[:, 0] + quantized[:, 1] * bins +
           quantized[:, 2] * bins ** 2 + quantized[:, 3] * bins ** 3)
  unique_codes, group = tf.unique(codes)
  num_merged = tf.shape(unique_codes)[0]
  first = tf.math.unsorted_segment_min(tf.range(tf.shape(boxes)[0]), group,
                                       num_merged)
  one_hot = tf.one_hot(tf.cast(class_indices, tf.int32), num_classes)
  classes = tf.math.unsorted_segment_max(one_hot, group, num_merged)
  merged_confidences = tf.math.unsorted_segment_max(
      one_hot * confidences[:, tf.newaxis], group, num_merged)
  return tf.gather(boxes, first), classes, merged_confidences, first


def _resize_masks(image_resizer_fn: Callable[..., List[tf.Tensor]],
                  image: tf.Tensor, masks: tf.Tensor) -> tf.Tensor:
  """Masks [N, h, w] of an image [h, w, c] -> the resizer's output frame."""
  # The output size depends only on the spatial size: a 1-channel stand-in
  # is cheaper than resizing the image a second time.
  stand_in = tf.zeros(tf.concat([tf.shape(image)[:2], [1]], axis=0))
  return image_resizer_fn(stand_in, tf.cast(masks, tf.float32))[1]


def _keypoint_weights(visibilities: tf.Tensor,
                      type_weight: Optional[Sequence[float]]) -> tf.Tensor:
  """float32 [N, K]: the keypoint type weight where visible, else 0."""
  weight = tf.ones_like(visibilities, tf.float32)
  if type_weight:
    weight *= tf.constant(type_weight, tf.float32)
  return tf.where(visibilities, weight, tf.zeros_like(weight))


def transform_input_data(tensor_dict: TensorDict,
                         model_preprocess_fn: Callable,
                         image_resizer_fn: Callable[..., List[tf.Tensor]],
                         num_classes: int,
                         data_augmentation_fn: Optional[Callable] = None,
                         merge_multiple_boxes: bool = False,
                         retain_original_image: bool = False,
                         use_multiclass_scores: bool = False,
                         use_bfloat16: bool = False,
                         retain_original_image_additional_channels: bool = (
                             False),
                         keypoint_type_weight: Optional[Sequence[float]] = None,
                         image_classes_field_map_empty_to_ones: bool = True
                         ) -> TensorDict:
  """Turns one decoded example into model-ready tensors (not padded).

  Args:
    tensor_dict: a decoded example: `image` uint8/float [h, w, 3],
      `groundtruth_boxes` float32 [N, 4], `groundtruth_classes` int [N]
      (1-based), optional masks [N, h, w] and other standard fields.
    model_preprocess_fn: `DetectionModel.preprocess`: float32 [1, h, w, 3]
      -> (float32 [1, H, W, 3], int32 [1, 3]).
    image_resizer_fn: the model's image resizer (image, masks) ->
      [image, masks, shape]; resizes masks and the retained original image.
    num_classes: C, background excluded.
    data_augmentation_fn: optional tensor_dict -> tensor_dict, applied
      before the model's preprocess (`augment_input_data`).
    merge_multiple_boxes: merge identical boxes into k-hot classes.
    retain_original_image: keep `original_image` uint8 [H, W, 3].
    use_multiclass_scores: class targets are `multiclass_scores` [N, C]
      (one-hot classes when the example has none).
    use_bfloat16: cast the image, masks and context features to bfloat16.
    retain_original_image_additional_channels: keep the additional
      channels, resized, as uint8.
    keypoint_type_weight: optional K floats, per keypoint type.
    image_classes_field_map_empty_to_ones: whether an empty
      `groundtruth_image_classes` means every class is labeled (all ones)
      or none (zeros). An empty `groundtruth_labeled_classes` always means
      all; empty verified-negative / not-exhaustive lists mean none.
  Returns:
    dict with `image` float32 [H, W, 3], `true_image_shape` int32 [3],
    `original_image_spatial_shape` int32 [2], `groundtruth_classes` float32
    [N', C], `groundtruth_confidences` float32 [N', C],
    `groundtruth_weights` float32 [N'], `num_groundtruth_boxes` int32 and
    the other fields transformed alike (N' boxes after dropping and
    merging).
  Raises:
    ValueError: use_multiclass_scores without a `multiclass_scores` field,
      or both `groundtruth_labeled_classes` and `groundtruth_image_classes`
      (they carry the same information; only one may be given).
  """
  out = dict(tensor_dict)
  image = out[_fields.image]
  if _fields.original_image_spatial_shape not in out:
    out[_fields.original_image_spatial_shape] = tf.shape(image)[:2]
  out[_fields.original_image_spatial_shape] = tf.cast(
      out[_fields.original_image_spatial_shape], tf.int32)
  has_boxes = _fields.groundtruth_boxes in out
  if has_boxes and _fields.groundtruth_weights not in out:
    out[_fields.groundtruth_weights] = tf.ones(
        tf.shape(out[_fields.groundtruth_boxes])[:1], tf.float32)
  if (_fields.groundtruth_labeled_classes in out
      and _fields.groundtruth_image_classes in out):
    raise ValueError("transform_input_data: both '{}' and '{}' are given; "
                     "only one may be".format(
                         _fields.groundtruth_labeled_classes,
                         _fields.groundtruth_image_classes))
  for name, map_empty_to_ones in CLASS_LIST_FIELDS.items():
    if name in out:
      if map_empty_to_ones is None:
        map_empty_to_ones = image_classes_field_map_empty_to_ones
      out[name] = _class_list_to_k_hot(out[name], num_classes,
                                       map_empty_to_ones)
  if use_multiclass_scores:
    if _fields.multiclass_scores not in out:
      raise ValueError(
          "use_multiclass_scores: the decoded examples have no '{}' field; "
          "set load_multiclass_scores: true in the input reader".format(
              _fields.multiclass_scores))
    scores = out[_fields.multiclass_scores]
    num_boxes = tf.shape(out[_fields.groundtruth_boxes])[0]
    out[_fields.multiclass_scores] = tf.cond(
        tf.size(scores) > 0,
        lambda: tf.reshape(scores, [num_boxes, num_classes]),
        lambda: tf.one_hot(tf.cast(out[_fields.groundtruth_classes], tf.int32)
                           - _LABEL_OFFSET, num_classes))
  if has_boxes:
    out = _drop_invalid_boxes(_fill_absent_box_fields(out))
  if retain_original_image:
    out[_fields.original_image] = tf.cast(
        image_resizer_fn(tf.cast(out[_fields.image], tf.float32))[0],
        tf.uint8)
  if _fields.image_additional_channels in out:
    channels = out[_fields.image_additional_channels]
    out[_fields.image] = tf.concat(
        [tf.cast(out[_fields.image], channels.dtype), channels], axis=2)
    if retain_original_image_additional_channels:
      out[_fields.image_additional_channels] = tf.cast(
          image_resizer_fn(tf.cast(channels, tf.float32))[0], tf.uint8)

  if data_augmentation_fn is not None:
    out = data_augmentation_fn(out)

  image = tf.cast(out[_fields.image], tf.float32)
  preprocessed, true_image_shape = model_preprocess_fn(image[tf.newaxis])
  if use_bfloat16:
    preprocessed = tf.cast(preprocessed, tf.bfloat16)
    if _fields.context_features in out:
      out[_fields.context_features] = tf.cast(out[_fields.context_features],
                                              tf.bfloat16)
  out[_fields.image] = preprocessed[0]
  out[_fields.true_image_shape] = tf.cast(true_image_shape[0], tf.int32)
  if _fields.groundtruth_instance_masks in out:
    masks = _resize_masks(image_resizer_fn, image,
                          out[_fields.groundtruth_instance_masks])
    out[_fields.groundtruth_instance_masks] = (
        tf.cast(masks, tf.bfloat16) if use_bfloat16 else masks)
  if _fields.groundtruth_keypoints in out:
    visibilities = out.get(_fields.groundtruth_keypoint_visibilities)
    if visibilities is None:
      visibilities = tf.ones_like(out[_fields.groundtruth_keypoints][..., 0],
                                  tf.bool)
      out[_fields.groundtruth_keypoint_visibilities] = visibilities
    out[_fields.groundtruth_keypoint_weights] = _keypoint_weights(
        visibilities, keypoint_type_weight)
  if not has_boxes:
    return out

  class_indices = (tf.cast(out[_fields.groundtruth_classes], tf.int32)
                   - _LABEL_OFFSET)
  if use_multiclass_scores:
    classes = tf.cast(out.pop(_fields.multiclass_scores), tf.float32)
  else:
    out.pop(_fields.multiclass_scores, None)
    classes = tf.one_hot(class_indices, num_classes)
  out[_fields.groundtruth_classes] = classes
  if _fields.groundtruth_confidences in out:
    confidences = tf.cast(out[_fields.groundtruth_confidences], tf.float32)
    out[_fields.groundtruth_confidences] = confidences[:, tf.newaxis] * classes
  else:
    confidences = tf.ones_like(class_indices, tf.float32)
    out[_fields.groundtruth_confidences] = classes
  if merge_multiple_boxes:
    boxes, classes, merged_confidences, first = (
        merge_boxes_with_multiple_labels(out[_fields.groundtruth_boxes],
                                         class_indices, confidences,
                                         num_classes))
    out = _gather_boxes(out, first)
    out[_fields.groundtruth_boxes] = boxes
    out[_fields.groundtruth_classes] = classes
    out[_fields.groundtruth_confidences] = merged_confidences
  out[_fields.num_groundtruth_boxes] = tf.shape(
      out[_fields.groundtruth_boxes])[0]
  return out


def _padding_shapes(tensor_dict: TensorDict, max_num_boxes: int,
                    num_classes: int, height: Optional[int],
                    width: Optional[int], max_dp_points: int
                    ) -> Dict[str, List[Optional[int]]]:
  """The static shape every known field is padded (or clipped) to.

  An image whose channel count is not static (some augmentation ops lose
  it) gets 3 plus the additional channels, the TF OD API's rule.
  """
  def channels(name: str) -> Optional[int]:
    return tensor_dict[name].shape[-1] if name in tensor_dict else None

  num_image_channels = channels(_fields.image)
  if num_image_channels is None:
    num_image_channels = 3 + (channels(_fields.image_additional_channels)
                              or 0)

  def inner(name: str) -> List[Optional[int]]:
    return tensor_dict[name].shape.as_list()[1:] if name in tensor_dict else []

  boxes = [max_num_boxes]
  return {
      _fields.image: [height, width, num_image_channels],
      _fields.original_image: [height, width,
                               channels(_fields.original_image)],
      _fields.image_additional_channels: [
          height, width, channels(_fields.image_additional_channels)],
      _fields.original_image_spatial_shape: [2],
      _fields.true_image_shape: [3],
      _fields.source_id: [], _fields.filename: [], _fields.key: [],
      _fields.num_groundtruth_boxes: [],
      _fields.groundtruth_boxes: boxes + [4],
      _fields.groundtruth_classes: boxes + [num_classes],
      _fields.groundtruth_confidences: boxes + [num_classes],
      _fields.groundtruth_instance_masks: boxes + [height, width],
      _fields.groundtruth_instance_mask_weights: boxes,
      _fields.groundtruth_weights: boxes,
      _fields.groundtruth_difficult: boxes,
      _fields.groundtruth_is_crowd: boxes,
      _fields.groundtruth_group_of: boxes,
      _fields.groundtruth_area: boxes,
      _fields.groundtruth_label_types: boxes,
      _fields.groundtruth_label_weights: boxes,
      _fields.groundtruth_track_ids: boxes,
      _fields.groundtruth_keypoints: boxes + inner(
          _fields.groundtruth_keypoints),
      _fields.groundtruth_keypoint_visibilities: boxes + inner(
          _fields.groundtruth_keypoint_visibilities),
      _fields.groundtruth_keypoint_weights: boxes + inner(
          _fields.groundtruth_keypoint_weights),
      _fields.groundtruth_keypoint_depths: boxes + inner(
          _fields.groundtruth_keypoint_depths),
      _fields.groundtruth_keypoint_depth_weights: boxes + inner(
          _fields.groundtruth_keypoint_depth_weights),
      _fields.groundtruth_dp_num_points: boxes,
      _fields.groundtruth_dp_part_ids: boxes + [max_dp_points],
      _fields.groundtruth_dp_surface_coords: boxes + [max_dp_points, 4],
      _fields.groundtruth_image_classes: [num_classes],
      _fields.groundtruth_image_confidences: [num_classes],
      _fields.groundtruth_labeled_classes: [num_classes],
      _fields.groundtruth_verified_neg_classes: [num_classes],
      _fields.groundtruth_not_exhaustive_classes: [num_classes],
      _fields.is_annotated: [],
  }


def pad_input_data_to_static_shapes(tensor_dict: TensorDict,
                                    max_num_boxes: int,
                                    num_classes: int,
                                    spatial_image_shape: Optional[
                                        Sequence[int]] = None,
                                    max_num_context_features: Optional[
                                        int] = None,
                                    context_feature_length: Optional[
                                        int] = None,
                                    max_dp_points: int = 336) -> TensorDict:
  """Pads (or clips) every field of one example to a static shape.

  Args:
    tensor_dict: a transformed example (`transform_input_data`).
    max_num_boxes: M, rows of every per-box field.
    num_classes: C.
    spatial_image_shape: [height, width] of the preprocessed image, or None
      / [-1, -1] when the resizer's output size is not fixed.
    max_num_context_features: rows of `context_features`, when present.
    context_feature_length: length of each context feature.
    max_dp_points: DensePose points per box.
  Returns:
    dict of the same keys, padded with zeros; `num_groundtruth_boxes` is
    clipped to M.
  Raises:
    ValueError: for a field with no known padded shape, or context
      features without max_num_context_features.
  """
  height, width = None, None
  if spatial_image_shape and list(spatial_image_shape) != [-1, -1]:
    height, width = spatial_image_shape
  shapes = _padding_shapes(tensor_dict, max_num_boxes, num_classes, height,
                           width, max_dp_points)
  tensor_dict = dict(tensor_dict)
  if _fields.context_features in tensor_dict:
    if max_num_context_features is None:
      raise ValueError("context_features need max_num_context_features")
    shapes[_fields.context_features] = [max_num_context_features,
                                        context_feature_length]
    tensor_dict[_fields.valid_context_size] = tf.shape(
        tensor_dict[_fields.context_features])[0]
    shapes[_fields.valid_context_size] = []
  unknown = sorted(set(tensor_dict) - set(shapes))
  if unknown:
    raise ValueError("pad_input_data_to_static_shapes: no padded shape for "
                     "field(s) {}".format(", ".join(unknown)))
  padded = {name: (shape_utils.pad_or_clip_nd(tensor, shapes[name])
                   if shapes[name] else tensor)
            for name, tensor in tensor_dict.items()}
  if _fields.num_groundtruth_boxes in padded:
    padded[_fields.num_groundtruth_boxes] = tf.minimum(
        padded[_fields.num_groundtruth_boxes], max_num_boxes)
  return padded
