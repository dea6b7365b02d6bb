"""Patch ops, box jitter and self-concatenation.

random_black_patches and random_patch_gaussian change pixels inside random
square patches; random_jitter_boxes moves box edges; random_self_concat_image
tiles the image with itself and duplicates its boxes.

Conventions (the TF OD API's): image float32 [height, width, channels] with
pixel values in [0, 255]; boxes normalised float32 [num_boxes, 4] as
[ymin, xmin, ymax, xmax]; masks [num_boxes, height, width]; keypoints
normalised float32 [num_boxes, num_keypoints, 2] as (y, x).

A square patch of side s centred on pixel (y, x) covers rows
[y - floor(s / 2), y + ceil(s / 2)) and the same columns around x, cut to
the image (the TF OD API's `patch_ops.get_patch_mask`).
"""

from typing import Any, Callable, Dict, List, Optional, Tuple

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import random_ops

PreprocessorCache = random_ops.PreprocessorCache

# jitter_mode -> (lowest, highest) relative change of a box side, as a
# multiple of `ratio`, and whether the box keeps its centre.
_JITTER_MODES = {
    "default": (-1.0, 1.0, False),
    "expand": (0.0, 1.0, False),
    "shrink": (-1.0, 0.0, False),
    "expand_symmetric": (0.0, 1.0, True),
    "shrink_symmetric": (-1.0, 0.0, True),
    "expand_symmetric_xy": (0.0, 1.0, True),
    "shrink_symmetric_xy": (-1.0, 0.0, True),
}


def _span_mask(starts: tf.Tensor, ends: tf.Tensor,
               size: tf.Tensor) -> tf.Tensor:
  """bool [num_spans, size]: True at positions in [start, end) of each span."""
  positions = tf.range(size)[tf.newaxis, :]
  return tf.logical_and(positions >= starts[:, tf.newaxis],
                        positions < ends[:, tf.newaxis])


def _squares_mask(ymins: tf.Tensor, xmins: tf.Tensor, ymaxs: tf.Tensor,
                  xmaxs: tf.Tensor, height: tf.Tensor,
                  width: tf.Tensor) -> tf.Tensor:
  """bool [height, width]: inside any of the pixel rectangles.

  Args:
    ymins, xmins, ymaxs, xmaxs: int32 [num_patches] pixel bounds, the end
      excluded.
    height, width: int32 scalars, the image size.
  """
  rows = _span_mask(ymins, ymaxs, height)  # [P, H]
  cols = _span_mask(xmins, xmaxs, width)  # [P, W]
  inside = tf.logical_and(rows[:, :, tf.newaxis], cols[:, tf.newaxis, :])
  return tf.reduce_any(inside, axis=0)


def random_black_patches(
    image: tf.Tensor,
    max_black_patches: int = 10,
    probability: float = 0.5,
    size_to_image_ratio: float = 0.1,
    random_seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[PreprocessorCache] = None,
    *,
    seed: random_ops.Seed = None) -> tf.Tensor:
  """Blacks out up to max_black_patches square patches.

  Each of the max_black_patches tries draws u in [0, 1) and adds a patch
  when u < probability. A patch has side
  s = int(size_to_image_ratio * min(height, width)) pixels and top-left
  corner (int(v * height), int(w * width)) for v, w drawn in
  [0, 1 - size_to_image_ratio), so it lies inside the image. Its pixels
  become 0 in every channel.

  Args:
    image: float32 [height, width, channels].
    max_black_patches: number of tries, >= 0.
    probability: chance of adding a patch at each try.
    size_to_image_ratio: patch side over the shorter image side, in (0, 1].
    random_seed: the TF OD API's name for the seed (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
    seed: (extension, keyword only) the seed `preprocess` passes; used
      instead of random_seed when given.
  Returns:
    float32 [height, width, channels] image with the patches blacked out.
  Raises:
    ValueError: max_black_patches < 0 or size_to_image_ratio not in (0, 1].
  """
  if max_black_patches < 0:
    raise ValueError("random_black_patches.max_black_patches must be >= 0, "
                     "got {}".format(max_black_patches))
  if not 0.0 < size_to_image_ratio <= 1.0:
    raise ValueError("random_black_patches.size_to_image_ratio must be in "
                     "(0, 1], got {}".format(size_to_image_ratio))
  seed = random_seed if seed is None else seed
  with tf.name_scope("RandomBlackPatchInImage"):
    image = tf.convert_to_tensor(image)
    shape = tf.shape(image)
    height, width = shape[0], shape[1]
    count = [max_black_patches]
    fid = "random_black_patches"
    apply = random_ops.cached(
        preprocess_vars_cache, fid, "apply",
        lambda: random_ops.uniform(count, random_ops.derive(seed, 0)))
    corner_max = 1.0 - size_to_image_ratio
    rel_y = random_ops.cached(
        preprocess_vars_cache, fid, "y",
        lambda: random_ops.uniform(count, random_ops.derive(seed, 1), 0.0,
                                   corner_max))
    rel_x = random_ops.cached(
        preprocess_vars_cache, fid, "x",
        lambda: random_ops.uniform(count, random_ops.derive(seed, 2), 0.0,
                                   corner_max))
    side = tf.cast(tf.cast(tf.minimum(height, width), tf.float32) *
                   size_to_image_ratio, tf.int32)
    ymin = tf.cast(rel_y * tf.cast(height, tf.float32), tf.int32)
    xmin = tf.cast(rel_x * tf.cast(width, tf.float32), tf.int32)
    # A patch that is not added gets an empty span.
    sides = tf.where(apply < probability, side, 0)
    black = _squares_mask(ymin, xmin, ymin + sides, xmin + sides, height,
                          width)
    return tf.where(black[:, :, tf.newaxis], tf.zeros_like(image), image)


def random_patch_gaussian(
    image: tf.Tensor,
    min_patch_size: int = 1,
    max_patch_size: int = 250,
    min_gaussian_stddev: float = 0.0,
    max_gaussian_stddev: float = 1.0,
    random_coef: float = 0.0,
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[PreprocessorCache] = None) -> tf.Tensor:
  """Adds Gaussian noise inside one random square patch (Lopes et al. 2019).

  With probability 1 - random_coef: draws a side s in
  [min_patch_size, max_patch_size), a standard deviation sigma in
  [min_gaussian_stddev, max_gaussian_stddev) and a centre pixel (y, x) of
  the image; inside the patch each value p becomes
  255 * clip(p / 255 + n, 0, 1) with n ~ N(0, sigma^2) drawn per value.
  Pixels outside the patch are unchanged.

  Args:
    image: float32 [height, width, channels] in [0, 255].
    min_patch_size: smallest patch side in pixels, >= 1.
    max_patch_size: patch sides are below this, > min_patch_size.
    min_gaussian_stddev: smallest sigma (on the [0, 1] scale).
    max_gaussian_stddev: sigma is below this.
    random_coef: chance of leaving the image unchanged.
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    float32 [height, width, channels] image.
  Raises:
    ValueError: min_patch_size < 1 or max_patch_size <= min_patch_size.
  """
  if min_patch_size < 1:
    raise ValueError("random_patch_gaussian.min_patch_size must be >= 1, "
                     "got {}".format(min_patch_size))
  if max_patch_size <= min_patch_size:
    raise ValueError(
        "random_patch_gaussian.max_patch_size must be > min_patch_size ({}), "
        "got {}".format(min_patch_size, max_patch_size))
  fid = "random_patch_gaussian"

  def draw(key: str, salt: int, make: Callable[[random_ops.Seed], tf.Tensor]
           ) -> tf.Tensor:
    return random_ops.cached(preprocess_vars_cache, fid, key,
                             lambda: make(random_ops.derive(seed, salt)))

  with tf.name_scope("RandomPatchGaussian"):
    image = tf.cast(tf.convert_to_tensor(image), tf.float32)
    shape = tf.shape(image)
    apply = draw("apply", 0, lambda s: random_ops.uniform([], s))
    side = draw("patch_size", 1, lambda s: random_ops.uniform(
        [], s, min_patch_size, max_patch_size, tf.int32))
    stddev = draw("gaussian_stddev", 2, lambda s: random_ops.uniform(
        [], s, float(min_gaussian_stddev), float(max_gaussian_stddev)))
    y = draw("y", 3, lambda s: random_ops.uniform([], s, 0, shape[0],
                                                  tf.int32))
    x = draw("x", 4, lambda s: random_ops.uniform([], s, 0, shape[1],
                                                  tf.int32))
    noise = draw("gaussian", 5, lambda s: random_ops.normal(
        shape, s, stddev=stddev))

    def add_noise() -> tf.Tensor:
      before, after = side // 2, side - side // 2
      inside = _squares_mask(
          tf.reshape(y - before, [1]), tf.reshape(x - before, [1]),
          tf.reshape(y + after, [1]), tf.reshape(x + after, [1]), shape[0],
          shape[1])
      noisy = tf.clip_by_value(image / 255.0 + noise, 0.0, 1.0) * 255.0
      return tf.where(inside[:, :, tf.newaxis], noisy, image)

    return tf.cond(apply >= random_coef, add_noise, lambda: image)


def random_jitter_boxes(
    boxes: tf.Tensor,
    ratio: float = 0.05,
    jitter_mode: str = "default",
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[PreprocessorCache] = None) -> tf.Tensor:
  """Moves box edges at random, keeping each box's centre as the reference.

  With centre (yc, xc) and size (h, w) of a box (h, w at least 1e-6), each
  mode draws factors d = 1 + r with r uniform in [-ratio, ratio)
  ('default'), [0, ratio) ('expand*') or [-ratio, 0) ('shrink*'):
    - 'default', 'expand', 'shrink': one factor per edge:
      [yc - h d0 / 2, xc - w d1 / 2, yc + h d2 / 2, xc + w d3 / 2].
    - '*_symmetric': one factor for the height and one for the width, so
      the centre stays: [yc - h dy / 2, xc - w dx / 2, yc + h dy / 2,
      xc + w dx / 2]; a factor is first limited so that the box stays in
      the image (|d| <= min(2 yc, 2 (1 - yc)) / h for dy).
    - '*_symmetric_xy': as '*_symmetric' with dx = dy (limited by both).
  The result is clipped to [0, 1]. With ratio 0 a box inside the image is
  returned as it is.

  Args:
    boxes: float32 [num_boxes, 4] normalised boxes.
    ratio: largest relative change of a side, >= 0.
    jitter_mode: one of default, expand, shrink, expand_symmetric,
      shrink_symmetric, expand_symmetric_xy, shrink_symmetric_xy (the
      lower-cased RandomJitterBoxes.JitterMode names).
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: (extension) optional PreprocessorCache; a call
      with the same cache repeats the draws (for the same num_boxes).
  Returns:
    float32 [num_boxes, 4] jittered boxes in [0, 1].
  Raises:
    ValueError: an unknown jitter_mode or ratio < 0.
  """
  if jitter_mode not in _JITTER_MODES:
    raise ValueError("random_jitter_boxes.jitter_mode must be one of {}, got "
                     "{!r}".format(", ".join(_JITTER_MODES), jitter_mode))
  if ratio < 0:
    raise ValueError("random_jitter_boxes.ratio must be >= 0, got {}".format(
        ratio))
  low, high, symmetric = _JITTER_MODES[jitter_mode]
  with tf.name_scope("RandomJitterBoxes"):
    boxes = tf.cast(tf.convert_to_tensor(boxes), tf.float32)
    ymin, xmin, ymax, xmax = tf.unstack(boxes, num=4, axis=1)
    yc, xc = (ymin + ymax) / 2.0, (xmin + xmax) / 2.0
    height = tf.maximum(tf.abs(ymax - ymin), 1e-6)
    width = tf.maximum(tf.abs(xmax - xmin), 1e-6)
    num_draws = 2 if symmetric else 4
    factors = 1.0 + random_ops.cached(
        preprocess_vars_cache, "random_jitter_boxes", "distortion",
        lambda: random_ops.uniform([tf.shape(boxes)[0], num_draws], seed,
                                   low * ratio, high * ratio))
    if symmetric:
      dy, dx = factors[:, 0], factors[:, 1]
      # Largest factor that keeps the box inside the image about its centre.
      limit_y = tf.abs(tf.minimum(2.0 * yc, 2.0 * (1.0 - yc)) / height)
      limit_x = tf.abs(tf.minimum(2.0 * xc, 2.0 * (1.0 - xc)) / width)
      if jitter_mode.endswith("_xy"):
        dx = dy
        limit_y = limit_x = tf.minimum(limit_y, limit_x)
      dy = tf.clip_by_value(dy, -limit_y, limit_y)
      dx = tf.clip_by_value(dx, -limit_x, limit_x)
      factors = tf.stack([dy, dx, dy, dx], axis=1)
    half = tf.stack([height, width, height, width], axis=1) * factors / 2.0
    centres = tf.stack([yc, xc, yc, xc], axis=1)
    jittered = centres + half * tf.constant([-1.0, -1.0, 1.0, 1.0])
    return tf.clip_by_value(jittered, 0.0, 1.0)


def _concat_along(axis: int, image: tf.Tensor, boxes: tf.Tensor,
                  masks: Optional[tf.Tensor], keypoints: Optional[tf.Tensor],
                  per_box: List[Optional[tf.Tensor]]
                  ) -> Tuple[Optional[tf.Tensor], ...]:
  """Tiles the image twice along axis (0: rows, 1: columns).

  Box i keeps its object in the first copy (coordinates along axis halved);
  box i + num_boxes is the same object in the second copy (halved, plus
  0.5). Masks are zero over the other copy.
  """
  scale = [0.5, 1.0] if axis == 0 else [1.0, 0.5]
  shift = [0.5, 0.0] if axis == 0 else [0.0, 0.5]
  first = boxes * tf.constant(scale * 2)
  new_boxes = tf.concat([first, first + tf.constant(shift * 2)], axis=0)
  new_masks = None
  if masks is not None:
    blank = tf.zeros_like(masks)
    new_masks = tf.concat([tf.concat([masks, blank], axis=axis + 1),
                           tf.concat([blank, masks], axis=axis + 1)], axis=0)
  new_keypoints = None
  if keypoints is not None:
    first_kp = keypoints * tf.constant(scale)
    new_keypoints = tf.concat([first_kp, first_kp + tf.constant(shift)],
                              axis=0)
  duplicated = [None if t is None else tf.concat([t, t], axis=0)
                for t in per_box]
  return (tf.concat([image, image], axis=axis), new_boxes, new_masks,
          new_keypoints, *duplicated)


def random_self_concat_image(
    image: tf.Tensor,
    boxes: tf.Tensor,
    labels: tf.Tensor,
    label_weights: Optional[tf.Tensor] = None,
    label_confidences: Optional[tf.Tensor] = None,
    multiclass_scores: Optional[tf.Tensor] = None,
    masks: Optional[tf.Tensor] = None,
    keypoints: Optional[tf.Tensor] = None,
    keypoint_visibilities: Optional[tf.Tensor] = None,
    box_indices: Optional[tf.Tensor] = None,
    concat_vertical_probability: float = 0.1,
    concat_horizontal_probability: float = 0.1,
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[PreprocessorCache] = None
) -> List[tf.Tensor]:
  """Concatenates the image with itself vertically and/or horizontally.

  Two independent draws decide a vertical concatenation (probability
  concat_vertical_probability; [H, W] -> [2H, W]) and then a horizontal one
  (concat_horizontal_probability; W -> 2W). Each concatenation doubles the
  boxes: for a vertical one, box [ymin, xmin, ymax, xmax] becomes
  [ymin / 2, xmin, ymax / 2, xmax] (the top copy) and box i + num_boxes is
  [ymin / 2 + 0.5, xmin, ymax / 2 + 0.5, xmax] (the bottom copy). Labels,
  weights, confidences, scores, visibilities and box_indices are repeated
  in the same order; masks and keypoints follow their copy.

  Args:
    image: float32 [height, width, channels].
    boxes: float32 [num_boxes, 4] normalised boxes.
    labels: int [num_boxes] class ids.
    label_weights: optional float32 [num_boxes].
    label_confidences: optional float32 [num_boxes].
    multiclass_scores: optional float32 [num_boxes, num_classes].
    masks: (extension) optional [num_boxes, height, width].
    keypoints: (extension) optional float32 [num_boxes, num_keypoints, 2].
    keypoint_visibilities: (extension) optional bool [num_boxes,
      num_keypoints].
    box_indices: optional int32 [num_boxes] (see arg_fields); the copies
      of box i get index box_indices[i].
    concat_vertical_probability: chance of the vertical concatenation.
    concat_horizontal_probability: chance of the horizontal one.
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    The given non-None arguments, in argument order: the image
    [new_height, new_width, channels] and per-box tensors with num_boxes,
    2 num_boxes or 4 num_boxes rows.
  """
  fid = "random_self_concat_image"
  with tf.name_scope("RandomSelfConcatImage"):
    vertical = random_ops.cached(
        preprocess_vars_cache, fid, "vertical",
        lambda: random_ops.uniform([], random_ops.derive(seed, 0)))
    horizontal = random_ops.cached(
        preprocess_vars_cache, fid, "horizontal",
        lambda: random_ops.uniform([], random_ops.derive(seed, 1)))
    image = tf.convert_to_tensor(image)
    boxes = tf.convert_to_tensor(boxes)
    per_box = [labels, label_weights, label_confidences, multiclass_scores,
               keypoint_visibilities, box_indices]
    current = (image, boxes, masks, keypoints, *per_box)
    for axis, draw, probability in ((0, vertical, concat_vertical_probability),
                                    (1, horizontal,
                                     concat_horizontal_probability)):
      given = [i for i, t in enumerate(current) if t is not None]

      def concat(axis=axis, state=current, given=given):
        out = _concat_along(axis, state[0], state[1], state[2], state[3],
                            list(state[4:]))
        return [out[i] for i in given]

      result = tf.cond(draw < probability, concat,
                       lambda state=current, given=given: [
                           state[i] for i in given])
      updated = list(current)
      for i, tensor in zip(given, result):
        updated[i] = tensor
      current = tuple(updated)
    (image, boxes, masks, keypoints, labels, label_weights, label_confidences,
     multiclass_scores, keypoint_visibilities, box_indices) = current
    outputs = [image, boxes, labels, label_weights, label_confidences,
               multiclass_scores, masks, keypoints, keypoint_visibilities,
               box_indices]
    return [t for t in outputs if t is not None]


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable[..., Any], Tuple[Optional[str], ...]]:
  """tensor_dict keys of the positional arguments of this module's ops."""
  return {
      random_black_patches: (fields.image,),
      random_patch_gaussian: (fields.image,),
      random_jitter_boxes: (fields.boxes,),
      random_self_concat_image: (
          fields.image, fields.boxes, fields.classes, fields.label_weights,
          fields.label_confidences, fields.multiclass_scores, fields.masks,
          fields.keypoints, fields.keypoint_visibilities,
          fields.box_indices),
  }
