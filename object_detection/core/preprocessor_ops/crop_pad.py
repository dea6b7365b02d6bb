"""Crop-then-pad ops: random_crop_pad_image, ssd_random_crop_pad and
ssd_random_crop_pad_fixed_aspect_ratio (the TF OD API's names, arguments
and defaults).

Conventions as in `core.preprocessor`: image float32 [height, width,
channels], boxes normalised float32 [num_boxes, 4] [ymin, xmin, ymax,
xmax], masks [num_boxes, height, width], keypoints normalised [num_boxes,
num_keypoints, 2] (y, x).

Extension: random_crop_pad_image and ssd_random_crop_pad also take masks
and keypoints (after multiclass_scores, as the other crop ops do), which
the TF OD API versions do not, so that masks stay the image's size.

Each op first crops: it picks one of its operations uniformly at random
(the SSD ops take one value per operation for every crop argument;
random_crop_pad_image has a single operation), draws a window as
`crop.sample_crop_window` does with that operation's constraints and,
unless skipped with probability random_coef, cuts the image to it with
`crop.crop_to_window`, which drops the boxes the window does not keep
together with their labels, weights, masks, keypoints and box_indices.
Then it pads the (maybe cropped) image, its masks (with 0) and moves the
boxes and keypoints with it:
  - random_crop_pad_image / ssd_random_crop_pad: as `pad.random_pad_image`
    with min/max sizes = min/max_padded_size_ratio times the size of the
    image *before* the crop (truncated to whole pixels), in pad_color
    (None: the cropped image's mean colour);
  - ssd_random_crop_pad_fixed_aspect_ratio: as
    `pad.random_pad_to_aspect_ratio` of the cropped image (zeros).

With a PreprocessorCache, each op files its draws under its own name:
`OPERATION_KEY` (int32 scalar, the operation), `WINDOW_KEY` (int32 [4]
offset_y, offset_x, height, width), `APPLY_KEY` (float32 scalar; the crop
happens when it is > random_coef) and `pad.SIZE_AND_OFFSET_KEY` or
`pad.SCALE_KEY`.
"""

import dataclasses
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import crop
from object_detection.core.preprocessor_ops import image_resize
from object_detection.core.preprocessor_ops import pad
from object_detection.core.preprocessor_ops import random_ops

OPERATION_KEY = "operation"
WINDOW_KEY = "window"
APPLY_KEY = "apply"

Pair = Tuple[float, float]
Cache = Optional[random_ops.PreprocessorCache]
OptionalTensor = Optional[tf.Tensor]

_SSD_COVERED = (0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
_SSD_FIXED_COVERED = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)


@dataclasses.dataclass(frozen=True)
class _CropOperation:
  """One candidate crop (the fields of an SSD crop operation)."""
  min_object_covered: float
  aspect_ratio_range: Pair
  area_range: Pair
  overlap_thresh: float
  clip_boxes: bool
  random_coef: float


def _per_operation(op_name: str, **values: Sequence) -> int:
  """The number of operations; ValueError unless every list has it."""
  counts = {name: len(value) for name, value in values.items()}
  num = counts["min_object_covered"]
  if num == 0:
    raise ValueError("{}: min_object_covered must have one entry per "
                     "operation, got none".format(op_name))
  for name, count in counts.items():
    if count != num:
      raise ValueError(
          "{}: {} must have one entry per operation ({}, as "
          "min_object_covered), got {}: {!r}".format(op_name, name, num,
                                                     count, values[name]))
  return num


def _operations(op_name: str, min_object_covered: Sequence[float],
                aspect_ratio_range: Sequence[Pair],
                area_range: Sequence[Pair], overlap_thresh: Sequence[float],
                clip_boxes: Sequence[bool], random_coef: Sequence[float],
                **more: Sequence) -> List[_CropOperation]:
  """The crop operations, after checking the per-operation lengths."""
  num = _per_operation(
      op_name, min_object_covered=min_object_covered,
      aspect_ratio_range=aspect_ratio_range, area_range=area_range,
      overlap_thresh=overlap_thresh, clip_boxes=clip_boxes,
      random_coef=random_coef, **more)
  return [_CropOperation(min_object_covered[i], tuple(aspect_ratio_range[i]),
                         tuple(area_range[i]), overlap_thresh[i],
                         bool(clip_boxes[i]), random_coef[i])
          for i in range(num)]


def _pick(values: Sequence, index: tf.Tensor, dtype: tf.DType):
  """values[index]: the Python value itself when there is only one."""
  if len(values) == 1:
    return values[0]
  return tf.gather(tf.constant(list(values), dtype), index)


def _restore(template: Sequence[OptionalTensor],
             outputs: Sequence[tf.Tensor]) -> List[OptionalTensor]:
  """Puts `outputs` (the non-None entries) back in template's places."""
  outputs = iter(outputs)
  return [None if t is None else next(outputs) for t in template]


def _crop(op_name: str, image: tf.Tensor, boxes: tf.Tensor,
          per_box_fields: Sequence[OptionalTensor], masks: OptionalTensor,
          keypoints: OptionalTensor, operations: Sequence[_CropOperation],
          seed: random_ops.Seed, cache: Cache
          ) -> Tuple[tf.Tensor, List[OptionalTensor]]:
  """Draws an operation and crops with it (see the module docstring).

  Returns:
    (index of the operation, int32 scalar or the Python int 0 when there is
    one; [image, boxes, *per_box_fields, masks, keypoints] after the crop,
    None where the input was None).
  """
  num = len(operations)
  index = 0
  if num > 1:
    index = random_ops.cached(
        cache, op_name, OPERATION_KEY,
        lambda: random_ops.uniform([], random_ops.derive(seed, 0), 0, num,
                                   tf.int32))

  def sample(operation: _CropOperation) -> Callable[[], tf.Tensor]:
    return lambda: tf.concat(crop.sample_crop_window(
        image, boxes, operation.min_object_covered,
        operation.aspect_ratio_range, operation.area_range,
        random_ops.derive(seed, 1)), axis=0)

  window = random_ops.cached(
      cache, op_name, WINDOW_KEY,
      sample(operations[0]) if num == 1 else
      lambda: tf.switch_case(index, [sample(op) for op in operations]))
  overlap_thresh = _pick([op.overlap_thresh for op in operations], index,
                         tf.float32)
  clip_boxes = _pick([op.clip_boxes for op in operations], index, tf.bool)
  inputs = [image, boxes, *per_box_fields, masks, keypoints]

  def cropped() -> Tuple[tf.Tensor, ...]:
    out = crop.crop_to_window(
        image, window[:2], window[2:], boxes, per_box_fields=per_box_fields,
        masks=masks, keypoints=keypoints, overlap_thresh=overlap_thresh,
        clip_boxes=clip_boxes)
    return crop.present(out.image, out.boxes, *out.per_box_fields,
                        out.masks, out.keypoints)

  coefs = [op.random_coef for op in operations]
  if max(coefs) <= 0.0:
    outputs = cropped()
  else:
    draw = random_ops.cached(
        cache, op_name, APPLY_KEY,
        lambda: random_ops.uniform([], random_ops.derive(seed, 2)))
    outputs = tf.cond(draw > _pick(coefs, index, tf.float32), cropped,
                      lambda: crop.present(*inputs))
  return index, _restore(inputs, outputs)


def _pick_color(colors: Sequence[pad.Color], index: tf.Tensor,
                image: tf.Tensor, op_name: str) -> tf.Tensor:
  """float32 [channels] colour of the chosen operation (None: the mean)."""
  if len(colors) == 1 or all(c is None for c in colors):
    return pad.resolve_pad_color(image, colors[0], op_name)
  lengths = {len(c) for c in colors if c is not None}
  if len(lengths) != 1:
    raise ValueError("{}: every pad_color must have the same number of "
                     "values, got {!r}".format(op_name, list(colors)))
  zeros = (0.0,) * lengths.pop()
  given = _pick([zeros if c is None else tuple(c) for c in colors], index,
                tf.float32)
  given = pad.resolve_pad_color(image, given, op_name)
  use_mean = _pick([c is None for c in colors], index, tf.bool)
  return tf.where(use_mean, tf.reduce_mean(image, axis=[0, 1]), given)


def _crop_pad(op_name: str, image: tf.Tensor, boxes: tf.Tensor,
              per_box_fields: Sequence[OptionalTensor],
              masks: OptionalTensor, keypoints: OptionalTensor,
              operations: Sequence[_CropOperation],
              min_padded_size_ratio: Sequence[Pair],
              max_padded_size_ratio: Sequence[Pair],
              pad_color: Sequence[pad.Color], seed: random_ops.Seed,
              cache: Cache) -> Tuple[tf.Tensor, ...]:
  """Crop with one of `operations`, then pad relative to the input size.

  Returns:
    image, boxes, the per-box fields, masks and keypoints (those given).
  """
  image = image_resize.check_image(image, op_name)
  input_size = tf.cast(tf.shape(image)[:2], tf.float32)
  index, cropped = _crop(op_name, image, boxes, per_box_fields, masks,
                         keypoints, operations, seed, cache)
  new_image, new_boxes = cropped[0], cropped[1]
  new_fields = cropped[2:-2]
  new_masks, new_keypoints = cropped[-2], cropped[-1]
  min_size = tf.cast(
      input_size * _pick(min_padded_size_ratio, index, tf.float32), tf.int32)
  max_size = tf.cast(
      input_size * _pick(max_padded_size_ratio, index, tf.float32), tf.int32)
  color = _pick_color(pad_color, index, new_image, op_name)
  size_and_offset = random_ops.cached(
      cache, op_name, pad.SIZE_AND_OFFSET_KEY,
      lambda: pad.draw_size_and_offset(new_image, min_size, max_size, False,
                                       random_ops.derive(seed, 3)))
  padded = _restore(
      [new_image, new_boxes, new_masks, new_keypoints],
      pad.pad_to_canvas(new_image, new_boxes, new_masks, new_keypoints, None,
                        size_and_offset, color))
  return crop.present(padded[0], padded[1], *new_fields[:-1], padded[2],
                      padded[3], new_fields[-1])


def random_crop_pad_image(image: tf.Tensor,
                          boxes: tf.Tensor,
                          labels: tf.Tensor,
                          label_weights: OptionalTensor,
                          label_confidences: OptionalTensor = None,
                          multiclass_scores: OptionalTensor = None,
                          masks: OptionalTensor = None,
                          keypoints: OptionalTensor = None,
                          box_indices: OptionalTensor = None,
                          min_object_covered: float = 1.0,
                          aspect_ratio_range: Pair = (0.75, 1.33),
                          area_range: Pair = (0.1, 1.0),
                          overlap_thresh: float = 0.3,
                          clip_boxes: bool = True,
                          random_coef: float = 0.0,
                          min_padded_size_ratio: Pair = (1.0, 1.0),
                          max_padded_size_ratio: Pair = (2.0, 2.0),
                          pad_color: pad.Color = None,
                          seed: random_ops.Seed = None,
                          preprocess_vars_cache: Cache = None
                          ) -> Tuple[tf.Tensor, ...]:
  """Random crop (as random_crop_image), then random pad.

  Args:
    image: float32 [height, width, channels].
    boxes: float32 [num_boxes, 4] normalised boxes.
    labels: int32 [num_boxes] classes.
    label_weights: float32 [num_boxes] or None.
    label_confidences: optional float32 [num_boxes].
    multiclass_scores: optional float32 [num_boxes, num_classes].
    masks: optional [num_boxes, height, width] masks (an extension: the
      TF OD API op takes none); cut to the window, padded with 0.
    keypoints: optional float32 [num_boxes, num_keypoints, 2] normalised
      (an extension, as masks); NaN outside the window when clipping.
    box_indices: optional int32 [num_boxes] (see arg_fields).
    min_object_covered: fraction of some box the window must cover.
    aspect_ratio_range: allowed window width / height.
    area_range: allowed window area over the image area.
    overlap_thresh: smallest covered fraction of a box's area to keep it.
    clip_boxes: clip kept boxes to the window.
    random_coef: probability of not cropping (the pad still happens).
    min_padded_size_ratio: (height, width) smallest padded size over the
      input image's size.
    max_padded_size_ratio: (height, width) largest padded size over the
      input image's size.
    pad_color: float32 [channels]; None: the cropped image's mean colour.
    seed: see `random_ops`.
    preprocess_vars_cache: optional PreprocessorCache (module docstring).
  Returns:
    (image [new_height, new_width, channels], boxes [num_kept, 4], labels,
    then label_weights, label_confidences, multiclass_scores, masks
    [num_kept, new_height, new_width], keypoints and box_indices where
    given, for the kept boxes).
  Raises:
    ValueError: image not rank 3, or a pad_color of the wrong length.
  """
  operations = _operations(
      "random_crop_pad_image", [min_object_covered], [aspect_ratio_range],
      [area_range], [overlap_thresh], [clip_boxes], [random_coef])
  with tf.name_scope("RandomCropPadImage"):
    return _crop_pad(
        "random_crop_pad_image", image, boxes,
        (labels, label_weights, label_confidences, multiclass_scores,
         box_indices), masks, keypoints, operations, [min_padded_size_ratio],
        [max_padded_size_ratio], [pad_color], seed, preprocess_vars_cache)


def ssd_random_crop_pad(image: tf.Tensor,
                        boxes: tf.Tensor,
                        labels: tf.Tensor,
                        label_weights: OptionalTensor,
                        label_confidences: OptionalTensor = None,
                        multiclass_scores: OptionalTensor = None,
                        masks: OptionalTensor = None,
                        keypoints: OptionalTensor = None,
                        box_indices: OptionalTensor = None,
                        min_object_covered: Sequence[float] = _SSD_COVERED,
                        aspect_ratio_range: Sequence[Pair] = (
                            (0.5, 2.0),) * 6,
                        area_range: Sequence[Pair] = ((0.1, 1.0),) * 6,
                        overlap_thresh: Sequence[float] = _SSD_COVERED,
                        clip_boxes: Sequence[bool] = (True,) * 6,
                        random_coef: Sequence[float] = (0.15,) * 6,
                        min_padded_size_ratio: Sequence[Pair] = (
                            (1.0, 1.0),) * 6,
                        max_padded_size_ratio: Sequence[Pair] = (
                            (2.0, 2.0),) * 6,
                        pad_color: Sequence[pad.Color] = (None,) * 6,
                        seed: random_ops.Seed = None,
                        preprocess_vars_cache: Cache = None
                        ) -> Tuple[tf.Tensor, ...]:
  """random_crop_pad_image with one of several operations, SSD style.

  Every argument from min_object_covered to pad_color holds one entry per
  operation (as random_crop_pad_image's argument of the same name); the
  defaults are the SSD paper's six operations, which the TF OD API uses
  when the config lists none.

  Args:
    image, boxes, labels, label_weights, label_confidences,
      multiclass_scores, masks, keypoints, box_indices, seed: as
      random_crop_pad_image.
    min_object_covered ... pad_color: per-operation values.
    preprocess_vars_cache: optional PreprocessorCache (module docstring).
  Returns:
    As random_crop_pad_image.
  Raises:
    ValueError: per-operation arguments of different lengths (or none),
      or as random_crop_pad_image.
  """
  operations = _operations(
      "ssd_random_crop_pad", min_object_covered, aspect_ratio_range,
      area_range, overlap_thresh, clip_boxes, random_coef,
      min_padded_size_ratio=min_padded_size_ratio,
      max_padded_size_ratio=max_padded_size_ratio, pad_color=pad_color)
  with tf.name_scope("SSDRandomCropPad"):
    return _crop_pad(
        "ssd_random_crop_pad", image, boxes,
        (labels, label_weights, label_confidences, multiclass_scores,
         box_indices), masks, keypoints, operations, min_padded_size_ratio,
        max_padded_size_ratio, pad_color, seed, preprocess_vars_cache)


def ssd_random_crop_pad_fixed_aspect_ratio(
    image: tf.Tensor,
    boxes: tf.Tensor,
    labels: tf.Tensor,
    label_weights: OptionalTensor,
    label_confidences: OptionalTensor = None,
    multiclass_scores: OptionalTensor = None,
    masks: OptionalTensor = None,
    keypoints: OptionalTensor = None,
    box_indices: OptionalTensor = None,
    min_object_covered: Sequence[float] = _SSD_FIXED_COVERED,
    aspect_ratio: float = 1.0,
    aspect_ratio_range: Sequence[Pair] = ((0.5, 2.0),) * 7,
    area_range: Sequence[Pair] = ((0.1, 1.0),) * 7,
    overlap_thresh: Sequence[float] = _SSD_FIXED_COVERED,
    clip_boxes: Sequence[bool] = (True,) * 7,
    random_coef: Sequence[float] = (0.15,) * 7,
    min_padded_size_ratio: Pair = (1.0, 1.0),
    max_padded_size_ratio: Pair = (2.0, 2.0),
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Cache = None) -> Tuple[tf.Tensor, ...]:
  """SSD random crop (one of several operations), then zero-pad to a ratio.

  The crop is as in ssd_random_crop_pad (masks cut to the window,
  keypoints outside it NaN when clipping); the pad is
  random_pad_to_aspect_ratio of the cropped image, with the padded size
  ratios relative to the cropped image.

  Args:
    image, boxes, labels, label_weights, label_confidences,
      multiclass_scores, box_indices, seed: as random_crop_pad_image.
    masks: optional [num_boxes, height, width] masks.
    keypoints: optional float32 [num_boxes, num_keypoints, 2] normalised.
    min_object_covered, aspect_ratio_range, area_range, overlap_thresh,
      clip_boxes, random_coef: one entry per operation (defaults: the
      TF OD API's seven).
    aspect_ratio: width / height of the padded image, > 0.
    min_padded_size_ratio, max_padded_size_ratio: (height, width) size
      range of the padded image over the cropped one.
    preprocess_vars_cache: optional PreprocessorCache (module docstring).
  Returns:
    (image, boxes, labels, then label_weights, label_confidences,
    multiclass_scores, masks, keypoints and box_indices where given).
  Raises:
    ValueError: image not rank 3, aspect_ratio <= 0, or per-operation
      arguments of different lengths.
  """
  op_name = "ssd_random_crop_pad_fixed_aspect_ratio"
  image = image_resize.check_image(image, op_name)
  pad.check_aspect_ratio(aspect_ratio, op_name)
  operations = _operations(op_name, min_object_covered, aspect_ratio_range,
                           area_range, overlap_thresh, clip_boxes,
                           random_coef)
  with tf.name_scope("SSDRandomCropPadFixedAspectRatio"):
    per_box_fields = (labels, label_weights, label_confidences,
                      multiclass_scores, box_indices)
    _, cropped = _crop(op_name, image, boxes, per_box_fields, masks,
                       keypoints, operations, seed, preprocess_vars_cache)
    new_image, new_boxes = cropped[0], cropped[1]
    new_labels, weights, confidences, scores, indices = cropped[2:7]
    new_masks, new_keypoints = cropped[7], cropped[8]
    size_and_offset = pad.aspect_ratio_canvas(
        new_image, aspect_ratio, min_padded_size_ratio,
        max_padded_size_ratio, random_ops.derive(seed, 3),
        preprocess_vars_cache, op_name)
    padded = pad.pad_to_canvas(
        new_image, new_boxes, new_masks, new_keypoints, None,
        size_and_offset, tf.zeros([tf.shape(new_image)[2]], tf.float32))
    padded = _restore([new_image, new_boxes, new_masks, new_keypoints],
                      padded)
    return crop.present(padded[0], padded[1], new_labels, weights,
                        confidences, scores, padded[2], padded[3], indices)


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable, Tuple[Optional[str], ...]]:
  """The tensor_dict keys of the crop-and-pad ops' positional arguments."""
  keys = (fields.image, fields.boxes, fields.classes, fields.label_weights,
          fields.label_confidences, fields.multiclass_scores, fields.masks,
          fields.keypoints, fields.box_indices)
  return {random_crop_pad_image: keys, ssd_random_crop_pad: keys,
          ssd_random_crop_pad_fixed_aspect_ratio: keys}
