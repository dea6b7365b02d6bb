"""Random flips and the 90 degree rotation.

Conventions (the TF OD API's): image [height, width, channels]; boxes
normalised float32 [num_boxes, 4] as [ymin, xmin, ymax, xmax]; masks
[num_boxes, height, width]; keypoints normalised float32 [num_boxes,
num_keypoints, 2] as (y, x); DensePose surface coordinates [num_boxes,
num_points, 4] as (y, x, v, u).

Each op draws one uniform value and transforms everything (or nothing)
when it is below `probability`. A flip maps a normalised x to 1 - x (or y
to 1 - y), so pixel column j of a width-W image goes to W - 1 - j and a
box [ymin, xmin, ymax, xmax] becomes [ymin, 1 - xmax, ymax, 1 - xmin].
The rotation is counter-clockwise (`tf.image.rot90`): (y, x) goes to
(1 - x, y). Keypoints are then reordered by the given permutation, so
that e.g. a left eye stays labelled "left eye" after a mirror.
"""

from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import random_ops

# DensePose body parts in their 0-based index order (the TF OD API's).
DENSEPOSE_PART_NAMES = (
    "torso_back", "torso_front", "right_hand", "left_hand", "left_foot",
    "right_foot", "right_upper_leg_back", "left_upper_leg_back",
    "right_upper_leg_front", "left_upper_leg_front", "right_lower_leg_back",
    "left_lower_leg_back", "right_lower_leg_front", "left_lower_leg_front",
    "left_upper_arm_back", "right_upper_arm_back", "left_upper_arm_front",
    "right_upper_arm_front", "left_lower_arm_back", "right_lower_arm_back",
    "left_lower_arm_front", "right_lower_arm_front", "right_face",
    "left_face")


def _mirrored_part(name: str) -> int:
  for side, other in (("left", "right"), ("right", "left")):
    if side in name:
      return DENSEPOSE_PART_NAMES.index(name.replace(side, other))
  return DENSEPOSE_PART_NAMES.index(name)


# Part index -> index of the same part on the other side of the body.
DENSEPOSE_PART_MIRROR = tuple(_mirrored_part(n) for n in DENSEPOSE_PART_NAMES)
_UV_GRID = 256


def _flip_keypoints(keypoints: tf.Tensor, axis: int,
                    permutation: Optional[Sequence[int]]) -> tf.Tensor:
  """Maps coordinate `axis` (0: y, 1: x) to 1 - value, then permutes."""
  y, x = tf.unstack(keypoints, num=2, axis=-1)
  flipped = tf.stack([1.0 - y, x] if axis == 0 else [y, 1.0 - x], axis=-1)
  return _permute(flipped, permutation)


def _permute(tensor: Optional[tf.Tensor],
             permutation: Optional[Sequence[int]]) -> Optional[tf.Tensor]:
  """Reorders axis 1 (keypoints) by permutation; None passes through."""
  if tensor is None or permutation is None:
    return tensor
  return tf.gather(tensor, permutation, axis=1)


def _flip_densepose(part_ids: tf.Tensor, coords: tf.Tensor,
                    uv_symmetries: Tuple[Any, Any]
                    ) -> Tuple[tf.Tensor, tf.Tensor]:
  """Mirrors DensePose points: x -> 1 - x, parts and (v, u) to the mirror.

  Args:
    part_ids: int32 [N, P] 0-based part ids.
    coords: float32 [N, P, 4] (y, x, v, u).
    uv_symmetries: (v_map, u_map), float32 [24, 256, 256] each: the new v
      and u of a point of part p at grid cell (floor(256 v), floor(256 u)).
  Returns:
    (part_ids int32 [N, P], coords float32 [N, P, 4]) after the flip.
  """
  v_map = tf.reshape(tf.cast(uv_symmetries[0], tf.float32), [-1])
  u_map = tf.reshape(tf.cast(uv_symmetries[1], tf.float32), [-1])
  y, x, v, u = tf.unstack(coords, num=4, axis=-1)
  cell = tf.clip_by_value(
      tf.cast(tf.clip_by_value(tf.stack([v, u], -1), 0.0, 1.0) * _UV_GRID,
              tf.int32), 0, _UV_GRID - 1)
  lookup = (part_ids * _UV_GRID * _UV_GRID + cell[..., 0] * _UV_GRID +
            cell[..., 1])
  new_coords = tf.stack([y, 1.0 - x, tf.gather(v_map, lookup),
                         tf.gather(u_map, lookup)], axis=-1)
  new_ids = tf.gather(tf.constant(DENSEPOSE_PART_MIRROR, tf.int32), part_ids)
  return new_ids, new_coords


def _decide(probability: float, function_id: str, seed: random_ops.Seed,
            cache: Optional[random_ops.PreprocessorCache]) -> tf.Tensor:
  """bool scalar: apply the op (a cached uniform draw below probability)."""
  draw = random_ops.cached(cache, function_id, "apply",
                           lambda: random_ops.uniform([], seed))
  return draw < probability


def _apply_if(flag: tf.Tensor, transform: Callable[[], Tuple[tf.Tensor, ...]],
              inputs: Tuple[Optional[tf.Tensor], ...]
              ) -> Tuple[tf.Tensor, ...]:
  """transform() or the non-None inputs, as a tuple."""
  given = tuple(t for t in inputs if t is not None)
  return tuple(tf.cond(flag, lambda: tuple(t for t in transform()
                                           if t is not None),
                       lambda: given))


def random_horizontal_flip(
    image: tf.Tensor,
    boxes: Optional[tf.Tensor] = None,
    masks: Optional[tf.Tensor] = None,
    keypoints: Optional[tf.Tensor] = None,
    keypoint_visibilities: Optional[tf.Tensor] = None,
    densepose_part_ids: Optional[tf.Tensor] = None,
    densepose_surface_coords: Optional[tf.Tensor] = None,
    keypoint_depths: Optional[tf.Tensor] = None,
    keypoint_depth_weights: Optional[tf.Tensor] = None,
    keypoint_flip_permutation: Optional[Sequence[int]] = None,
    probability: float = 0.5,
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[random_ops.PreprocessorCache] = None,
    *,
    densepose_uv_symmetries: Optional[Tuple[Any, Any]] = None
) -> Tuple[tf.Tensor, ...]:
  """Mirrors the image and its annotations left-right with a probability.

  Args:
    image: [height, width, channels].
    boxes: optional float32 [num_boxes, 4] normalised boxes.
    masks: optional [num_boxes, height, width].
    keypoints: optional float32 [num_boxes, num_keypoints, 2]; needs
      keypoint_flip_permutation.
    keypoint_visibilities: optional bool [num_boxes, num_keypoints].
    densepose_part_ids: optional int32 [num_boxes, num_points].
    densepose_surface_coords: optional float32 [num_boxes, num_points, 4].
    keypoint_depths: optional float32 [num_boxes, num_keypoints].
    keypoint_depth_weights: optional float32 [num_boxes, num_keypoints].
    keypoint_flip_permutation: int sequence [num_keypoints], the index of
      each keypoint's mirror (applied to keypoints, visibilities, depths
      and depth weights).
    probability: chance of flipping.
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
    densepose_uv_symmetries: (extension, keyword only) (v_map, u_map)
      float32 [24, 256, 256] arrays, the `V_transforms` and `U_transforms`
      of DensePose's UV_symmetry_transforms.mat, which the TF OD API reads
      to mirror surface coordinates. Required with DensePose fields; the
      project does not ship that file.
  Returns:
    The inputs that were not None, in argument order, flipped or not.
  Raises:
    ValueError: keypoints without keypoint_flip_permutation; only one of
      the two DensePose fields; DensePose fields without
      densepose_uv_symmetries.
  """
  if keypoints is not None and keypoint_flip_permutation is None:
    raise ValueError("random_horizontal_flip: keypoints are given but "
                     "keypoint_flip_permutation is not")
  if (densepose_part_ids is None) != (densepose_surface_coords is None):
    raise ValueError("random_horizontal_flip: densepose_part_ids and "
                     "densepose_surface_coords must be given together")
  if densepose_part_ids is not None and densepose_uv_symmetries is None:
    raise ValueError(
        "random_horizontal_flip: flipping DensePose surface coordinates "
        "needs densepose_uv_symmetries (V_transforms and U_transforms of "
        "UV_symmetry_transforms.mat)")
  inputs = (image, boxes, masks, keypoints, keypoint_visibilities,
            densepose_part_ids, densepose_surface_coords, keypoint_depths,
            keypoint_depth_weights)

  def flip() -> Tuple[Optional[tf.Tensor], ...]:
    dp_ids, dp_coords = densepose_part_ids, densepose_surface_coords
    if dp_ids is not None:
      dp_ids, dp_coords = _flip_densepose(dp_ids, dp_coords,
                                          densepose_uv_symmetries)
    perm = keypoint_flip_permutation
    return (
        tf.reverse(image, axis=[1]),
        None if boxes is None else tf.stack(
            [boxes[:, 0], 1.0 - boxes[:, 3], boxes[:, 2], 1.0 - boxes[:, 1]],
            axis=1),
        None if masks is None else tf.reverse(masks, axis=[2]),
        None if keypoints is None else _flip_keypoints(keypoints, 1, perm),
        _permute(keypoint_visibilities, perm), dp_ids, dp_coords,
        _permute(keypoint_depths, perm),
        _permute(keypoint_depth_weights, perm))

  with tf.name_scope("RandomHorizontalFlip"):
    flag = _decide(probability, "random_horizontal_flip", seed,
                   preprocess_vars_cache)
    return _apply_if(flag, flip, inputs)


def random_vertical_flip(
    image: tf.Tensor,
    boxes: Optional[tf.Tensor] = None,
    masks: Optional[tf.Tensor] = None,
    keypoints: Optional[tf.Tensor] = None,
    keypoint_flip_permutation: Optional[Sequence[int]] = None,
    probability: float = 0.5,
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[random_ops.PreprocessorCache] = None
) -> Tuple[tf.Tensor, ...]:
  """Mirrors the image and its annotations top-bottom with a probability.

  Args:
    image: [height, width, channels].
    boxes: optional float32 [num_boxes, 4] normalised boxes.
    masks: optional [num_boxes, height, width].
    keypoints: optional float32 [num_boxes, num_keypoints, 2]; needs
      keypoint_flip_permutation.
    keypoint_flip_permutation: int sequence [num_keypoints].
    probability: chance of flipping.
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    The inputs that were not None, in argument order, flipped or not.
  Raises:
    ValueError: keypoints without keypoint_flip_permutation.
  """
  if keypoints is not None and keypoint_flip_permutation is None:
    raise ValueError("random_vertical_flip: keypoints are given but "
                     "keypoint_flip_permutation is not")
  inputs = (image, boxes, masks, keypoints)

  def flip() -> Tuple[Optional[tf.Tensor], ...]:
    return (
        tf.reverse(image, axis=[0]),
        None if boxes is None else tf.stack(
            [1.0 - boxes[:, 2], boxes[:, 1], 1.0 - boxes[:, 0], boxes[:, 3]],
            axis=1),
        None if masks is None else tf.reverse(masks, axis=[1]),
        None if keypoints is None else _flip_keypoints(
            keypoints, 0, keypoint_flip_permutation))

  with tf.name_scope("RandomVerticalFlip"):
    flag = _decide(probability, "random_vertical_flip", seed,
                   preprocess_vars_cache)
    return _apply_if(flag, flip, inputs)


def random_rotation90(
    image: tf.Tensor,
    boxes: Optional[tf.Tensor] = None,
    masks: Optional[tf.Tensor] = None,
    keypoints: Optional[tf.Tensor] = None,
    keypoint_rot_permutation: Optional[Sequence[int]] = None,
    probability: float = 0.5,
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[random_ops.PreprocessorCache] = None
) -> Tuple[tf.Tensor, ...]:
  """Rotates the image and annotations 90 degrees counter-clockwise.

  An [H, W, C] image becomes [W, H, C]; pixel (r, c) moves to
  (W - 1 - c, r) and a box [ymin, xmin, ymax, xmax] to
  [1 - xmax, ymin, 1 - xmin, ymax].

  Args:
    image: [height, width, channels].
    boxes: optional float32 [num_boxes, 4] normalised boxes.
    masks: optional [num_boxes, height, width].
    keypoints: optional float32 [num_boxes, num_keypoints, 2].
    keypoint_rot_permutation: optional int sequence [num_keypoints] to
      reorder keypoints after rotating.
    probability: chance of rotating.
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    The inputs that were not None, in argument order, rotated or not.
  """
  inputs = (image, boxes, masks, keypoints)

  def rotate() -> Tuple[Optional[tf.Tensor], ...]:
    rotated_keypoints = None
    if keypoints is not None:
      y, x = tf.unstack(keypoints, num=2, axis=-1)
      rotated_keypoints = _permute(tf.stack([1.0 - x, y], axis=-1),
                                   keypoint_rot_permutation)
    return (
        tf.image.rot90(image),
        None if boxes is None else tf.stack(
            [1.0 - boxes[:, 3], boxes[:, 0], 1.0 - boxes[:, 1], boxes[:, 2]],
            axis=1),
        None if masks is None else tf.reverse(
            tf.transpose(masks, [0, 2, 1]), axis=[1]),
        rotated_keypoints)

  with tf.name_scope("RandomRotation90"):
    flag = _decide(probability, "random_rotation90", seed,
                   preprocess_vars_cache)
    return _apply_if(flag, rotate, inputs)


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable[..., Any], Tuple[Optional[str], ...]]:
  """tensor_dict keys of the positional arguments of this module's ops."""
  return {
      random_horizontal_flip: (
          fields.image, fields.boxes, fields.masks, fields.keypoints,
          fields.keypoint_visibilities, fields.dp_part_ids,
          fields.dp_surface_coords, fields.keypoint_depths,
          fields.keypoint_depth_weights),
      random_vertical_flip: (fields.image, fields.boxes, fields.masks,
                             fields.keypoints),
      random_rotation90: (fields.image, fields.boxes, fields.masks,
                          fields.keypoints),
  }
