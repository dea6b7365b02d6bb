"""AutoAugment for detection: the TF OD API's `autoaugment_image` step.

A policy is a list of sub-policies; each sub-policy is a sequence of
(operation name, probability, magnitude) triples. `autoaugment_image`
picks one sub-policy uniformly at random and applies its operations in
order, each with its probability. Magnitudes run from 0 to 10 and map to
operation arguments as in the TF OD API's `utils/autoaugment_utils`
(e.g. TranslateX_BBox: 250 * magnitude / 10 pixels, random sign). The
`*_Only_BBoxes` operations change the pixels inside each box
independently, each box with a third of the listed probability.

The image is float32 [height, width, 3] in [0, 255]; it is clipped and
truncated to whole pixel values first, as the TF OD API's cast to uint8
does. Boxes are normalised [num_boxes, 4] [ymin, xmin, ymax, xmax]; they
move with the geometric operations and are never dropped, so other
per-box fields need no change.
"""

import functools
from typing import Callable, Dict, Optional, Tuple

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import autoaugment_ops as ops
from object_detection.core.preprocessor_ops import random_ops

PreprocessorCache = random_ops.PreprocessorCache

# The detection policies of the TF OD API (Zoph et al., "Learning data
# augmentation strategies for object detection"): v0 is the paper's.
POLICIES = {
    "v0": (
        (("TranslateX_BBox", 0.6, 4), ("Equalize", 0.8, 10)),
        (("TranslateY_Only_BBoxes", 0.2, 2), ("Cutout", 0.8, 8)),
        (("Sharpness", 0.0, 8), ("ShearX_BBox", 0.4, 0)),
        (("ShearY_BBox", 1.0, 2), ("TranslateY_Only_BBoxes", 0.6, 6)),
        (("Rotate_BBox", 0.6, 10), ("Color", 1.0, 6)),
    ),
    "test": ((("TranslateX_BBox", 1.0, 4), ("Equalize", 1.0, 10)),),
}
POLICIES["v1"] = POLICIES["v0"] + (
    (("Color", 0.0, 0), ("ShearX_Only_BBoxes", 0.8, 4)),
    (("ShearY_Only_BBoxes", 0.8, 2), ("Flip_Only_BBoxes", 0.0, 10)),
    (("Equalize", 0.6, 10), ("TranslateX_BBox", 0.2, 2)),
    (("Color", 1.0, 10), ("TranslateY_Only_BBoxes", 0.4, 6)),
    (("Rotate_BBox", 0.8, 10), ("Contrast", 0.0, 10)),
    (("Cutout", 0.2, 2), ("Brightness", 0.8, 10)),
    (("Color", 1.0, 6), ("Equalize", 1.0, 2)),
    (("Cutout_Only_BBoxes", 0.4, 6), ("TranslateY_Only_BBoxes", 0.8, 2)),
    (("Color", 0.2, 8), ("Rotate_BBox", 0.8, 10)),
    (("Sharpness", 0.4, 4), ("TranslateY_Only_BBoxes", 0.0, 4)),
    (("Sharpness", 1.0, 4), ("SolarizeAdd", 0.4, 4)),
    (("Rotate_BBox", 1.0, 8), ("Sharpness", 0.2, 8)),
    (("ShearY_BBox", 0.6, 10), ("Equalize_Only_BBoxes", 0.6, 8)),
    (("ShearX_BBox", 0.2, 6), ("TranslateY_Only_BBoxes", 0.2, 10)),
    (("SolarizeAdd", 0.6, 8), ("Brightness", 0.8, 10)),
)
POLICIES["v2"] = (
    (("Color", 0.0, 6), ("Cutout", 0.6, 8), ("Sharpness", 0.4, 8)),
    (("Rotate_BBox", 0.4, 8), ("Sharpness", 0.4, 2), ("Rotate_BBox", 0.8, 10)),
    (("TranslateY_BBox", 1.0, 8), ("AutoContrast", 0.8, 2)),
    (("AutoContrast", 0.4, 6), ("ShearX_BBox", 0.8, 8),
     ("Brightness", 0.0, 10)),
    (("SolarizeAdd", 0.2, 6), ("Contrast", 0.0, 10), ("AutoContrast", 0.6, 0)),
    (("Cutout", 0.2, 0), ("Solarize", 0.8, 8), ("Color", 1.0, 4)),
    (("TranslateY_BBox", 0.0, 4), ("Equalize", 0.6, 8), ("Solarize", 0.0, 10)),
    (("TranslateY_BBox", 0.2, 2), ("ShearY_BBox", 0.8, 8),
     ("Rotate_BBox", 0.8, 8)),
    (("Cutout", 0.8, 8), ("Brightness", 0.8, 8), ("Cutout", 0.2, 2)),
    (("Color", 0.8, 4), ("TranslateY_BBox", 1.0, 6), ("Rotate_BBox", 0.6, 6)),
    (("Rotate_BBox", 0.6, 10), ("BBox_Cutout", 1.0, 4), ("Cutout", 0.2, 8)),
    (("Rotate_BBox", 0.0, 0), ("Equalize", 0.6, 6), ("ShearY_BBox", 0.6, 8)),
    (("Brightness", 0.8, 8), ("AutoContrast", 0.4, 2), ("Brightness", 0.2, 2)),
    (("TranslateY_BBox", 0.4, 8), ("Solarize", 0.4, 6),
     ("SolarizeAdd", 0.2, 10)),
    (("Contrast", 1.0, 10), ("SolarizeAdd", 0.2, 8), ("Equalize", 0.2, 4)),
)
POLICIES["v3"] = (
    (("Posterize", 0.8, 2), ("TranslateX_BBox", 1.0, 8)),
    (("BBox_Cutout", 0.2, 10), ("Sharpness", 1.0, 8)),
    (("Rotate_BBox", 0.6, 8), ("Rotate_BBox", 0.8, 10)),
    (("Equalize", 0.8, 10), ("AutoContrast", 0.2, 10)),
    (("SolarizeAdd", 0.2, 2), ("TranslateY_BBox", 0.2, 8)),
    (("Sharpness", 0.0, 2), ("Color", 0.4, 8)),
    (("Equalize", 1.0, 8), ("TranslateY_BBox", 1.0, 8)),
    (("Posterize", 0.6, 2), ("Rotate_BBox", 0.0, 10)),
    (("AutoContrast", 0.6, 0), ("Rotate_BBox", 1.0, 6)),
    (("Equalize", 0.0, 4), ("Cutout", 0.8, 10)),
    (("Brightness", 1.0, 2), ("TranslateY_BBox", 1.0, 6)),
    (("Contrast", 0.0, 2), ("ShearY_BBox", 0.8, 0)),
    (("AutoContrast", 0.8, 10), ("Contrast", 0.2, 10)),
    (("Rotate_BBox", 1.0, 10), ("Cutout", 1.0, 10)),
    (("SolarizeAdd", 0.8, 6), ("Equalize", 0.8, 8)),
)
POLICY_NAMES = ("v0", "v1", "v2", "v3", "test")

# Magnitude-to-argument constants of the TF OD API's AutoAugment.
_MAX_LEVEL = 10.0
_CUTOUT_CONST = 100  # Cutout: half-size in pixels at magnitude 10.
_CUTOUT_BBOX_CONST = 50  # Cutout_Only_BBoxes.
_TRANSLATE_CONST = 250.0  # Translate*_BBox: pixels at magnitude 10.
_TRANSLATE_BBOX_CONST = 120.0  # Translate*_Only_BBoxes.
_CUTOUT_MAX_PAD_FRACTION = 0.75  # BBox_Cutout.
_SHEAR_MAX = 0.3
_ROTATE_MAX_DEGREES = 30.0
# The *_Only_BBoxes ops change each box with probability / 3.
_PER_BOX_PROBABILITY_DIVISOR = 3.0

# An op: (image, boxes, probability, magnitude, seed) -> (image, boxes).
Op = Callable[..., Tuple[tf.Tensor, tf.Tensor]]


def _fraction(level: float) -> float:
  return level / _MAX_LEVEL


def _signed(value: float, seed: tf.Tensor) -> tf.Tensor:
  """float32 scalar: value or -value, each with probability 1/2."""
  return tf.where(random_ops.uniform([], seed) < 0.5, value, -value)


def _enhance_factor(level: float) -> float:
  return _fraction(level) * 1.8 + 0.1


def _image_op(fn: Callable, level_to_args: Callable) -> Op:
  def apply(image, boxes, probability, level, seed):
    del probability, seed  # Deterministic given the magnitude.
    return fn(image, *level_to_args(level)), boxes
  return apply


def _random_cutout(image: tf.Tensor, pad_size: int,
                   seed: tf.Tensor) -> tf.Tensor:
  """Grey square of half-size pad_size at a uniformly drawn centre."""
  height, width = tf.shape(image)[0], tf.shape(image)[1]
  center_y = random_ops.uniform([], random_ops.derive(seed, 0), 0, height,
                                dtype=tf.int32)
  center_x = random_ops.uniform([], random_ops.derive(seed, 1), 0, width,
                                dtype=tf.int32)
  return ops.cutout(image, center_y, center_x, pad_size, pad_size)


def _cutout(image, boxes, probability, level, seed):
  del probability
  pad_size = int(_fraction(level) * _CUTOUT_CONST)
  return _random_cutout(image, pad_size, seed), boxes


def _bbox_cutout(image, boxes, probability, level, seed):
  """Grey cut-out centred in one random box, sized relative to that box."""
  del probability
  pad_fraction = _fraction(level) * _CUTOUT_MAX_PAD_FRACTION
  num_boxes = tf.shape(boxes)[0]

  def cut():
    index = random_ops.uniform([], random_ops.derive(seed, 0), 0,
                               num_boxes, dtype=tf.int32)
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    scale = tf.cast(tf.stack([height, width, height, width]), tf.float32)
    ymin, xmin, ymax, xmax = tf.unstack(
        tf.cast(boxes[index] * scale, tf.int32), num=4)
    box_size = tf.stack([ymax - ymin + 1, xmax - xmin + 1])  # [2] pixels.
    pad = tf.cast(pad_fraction * tf.cast(box_size, tf.float32) / 2.0,
                  tf.int32)
    offset = tf.floor(random_ops.uniform([2], random_ops.derive(seed, 1)) *
                      tf.cast(box_size, tf.float32))
    center = tf.stack([ymin, xmin]) + tf.cast(offset, tf.int32)
    return ops.cutout(image, center[0], center[1], pad[0], pad[1])

  return tf.cond(num_boxes > 0, cut, lambda: image), boxes


def _translate(const: float, horizontal: bool) -> Op:
  def apply(image, boxes, probability, level, seed):
    del probability
    pixels = _signed(_fraction(level) * const, seed)
    return ops.translate_with_boxes(image, boxes, pixels, horizontal)
  return apply


def _shear(horizontal: bool) -> Op:
  def apply(image, boxes, probability, level, seed):
    del probability
    level = _signed(_fraction(level) * _SHEAR_MAX, seed)
    return ops.shear_with_boxes(image, boxes, level, horizontal)
  return apply


def _rotate(image, boxes, probability, level, seed):
  del probability
  degrees = _signed(_fraction(level) * _ROTATE_MAX_DEGREES, seed)
  return ops.rotate_with_boxes(image, boxes, degrees)


def _only_boxes(make_crop_fn: Callable) -> Op:
  """An op applying make_crop_fn(level, seed)(pixels, box_seed) per box.

  Each box is chosen with probability / 3; the boxes are visited in a
  random order (later boxes see the pixels changed by earlier ones where
  they overlap). The boxes themselves do not change.
  """
  def apply(image, boxes, probability, level, seed):
    crop_fn = make_crop_fn(level, random_ops.derive(seed, 0))
    num_boxes = tf.shape(boxes)[0]
    order = tf.argsort(random_ops.uniform([num_boxes],
                                          random_ops.derive(seed, 1)))
    selected = (random_ops.uniform([num_boxes], random_ops.derive(seed, 2))
                < probability / _PER_BOX_PROBABILITY_DIVISOR)
    box_seed = random_ops.derive(seed, 3)
    image = ops.apply_inside_boxes(
        image, tf.gather(boxes, order), selected,
        lambda pixels, index: crop_fn(pixels, random_ops.derive(box_seed,
                                                                index)))
    return image, boxes
  return apply


def _crop_fn(fn: Callable) -> Callable:
  """make_crop_fn for a deterministic fn(pixels, level, sign_seed)."""
  return lambda level, seed: lambda pixels, _: fn(pixels, level, seed)


_OPS: Dict[str, Op] = {
    "AutoContrast": _image_op(ops.autocontrast, lambda level: ()),
    "Equalize": _image_op(ops.equalize, lambda level: ()),
    "Posterize": _image_op(ops.posterize,
                           lambda level: (int(_fraction(level) * 4),)),
    "Solarize": _image_op(ops.solarize,
                          lambda level: (int(_fraction(level) * 256),)),
    "SolarizeAdd": _image_op(ops.solarize_add,
                             lambda level: (int(_fraction(level) * 110),)),
    "Color": _image_op(ops.color, lambda level: (_enhance_factor(level),)),
    "Contrast": _image_op(ops.contrast,
                          lambda level: (_enhance_factor(level),)),
    "Brightness": _image_op(ops.brightness,
                            lambda level: (_enhance_factor(level),)),
    "Sharpness": _image_op(ops.sharpness,
                           lambda level: (_enhance_factor(level),)),
    "Cutout": _cutout,
    "BBox_Cutout": _bbox_cutout,
    "Rotate_BBox": _rotate,
    "TranslateX_BBox": _translate(_TRANSLATE_CONST, True),
    "TranslateY_BBox": _translate(_TRANSLATE_CONST, False),
    "ShearX_BBox": _shear(True),
    "ShearY_BBox": _shear(False),
    "Rotate_Only_BBoxes": _only_boxes(_crop_fn(
        lambda pixels, level, seed: ops.rotate(
            pixels, _signed(_fraction(level) * _ROTATE_MAX_DEGREES, seed)))),
    "ShearX_Only_BBoxes": _only_boxes(_crop_fn(
        lambda pixels, level, seed: ops.shear(
            pixels, _signed(_fraction(level) * _SHEAR_MAX, seed), True))),
    "ShearY_Only_BBoxes": _only_boxes(_crop_fn(
        lambda pixels, level, seed: ops.shear(
            pixels, _signed(_fraction(level) * _SHEAR_MAX, seed), False))),
    "TranslateX_Only_BBoxes": _only_boxes(_crop_fn(
        lambda pixels, level, seed: ops.translate(
            pixels, _signed(_fraction(level) * _TRANSLATE_BBOX_CONST, seed),
            True))),
    "TranslateY_Only_BBoxes": _only_boxes(_crop_fn(
        lambda pixels, level, seed: ops.translate(
            pixels, _signed(_fraction(level) * _TRANSLATE_BBOX_CONST, seed),
            False))),
    "Flip_Only_BBoxes": _only_boxes(_crop_fn(
        lambda pixels, level, seed: tf.reverse(pixels, axis=[1]))),
    "Solarize_Only_BBoxes": _only_boxes(_crop_fn(
        lambda pixels, level, seed: ops.solarize(
            pixels, int(_fraction(level) * 256)))),
    "Equalize_Only_BBoxes": _only_boxes(_crop_fn(
        lambda pixels, level, seed: ops.equalize(pixels))),
    "Cutout_Only_BBoxes": _only_boxes(
        lambda level, seed: lambda pixels, box_seed: _random_cutout(
            pixels, int(_fraction(level) * _CUTOUT_BBOX_CONST), box_seed)),
}
OPERATION_NAMES = tuple(sorted(_OPS))
# Ops that take the probability themselves (per box).
_PER_BOX_OPS = frozenset(name for name in _OPS
                         if name.endswith("_Only_BBoxes"))


def apply_op(name: str, image: tf.Tensor, boxes: tf.Tensor,
             probability: float, magnitude: float, seed: tf.Tensor
             ) -> Tuple[tf.Tensor, tf.Tensor]:
  """Applies one policy operation with its probability.

  Args:
    name: an operation name of the policies, e.g. 'TranslateX_BBox'.
    image: float32 [height, width, 3] image of whole pixel values.
    boxes: float32 [num_boxes, 4] normalised boxes.
    probability: Python float in [0, 1]; for the *_Only_BBoxes ops, three
      times the chance of changing each box.
    magnitude: Python number in [0, 10].
    seed: int [2] stateless seed.
  Returns:
    image float32 [height, width, 3] and boxes float32 [num_boxes, 4].
  Raises:
    ValueError: an unknown operation name.
  """
  if name not in _OPS:
    raise ValueError("unknown AutoAugment operation {!r}; known: {}".format(
        name, ", ".join(OPERATION_NAMES)))
  if probability <= 0.0:
    return image, boxes
  op = functools.partial(_OPS[name], probability=probability,
                         level=magnitude, seed=random_ops.derive(seed, 1))
  if name in _PER_BOX_OPS or probability >= 1.0:
    return op(image, boxes)
  return tf.cond(random_ops.coin(probability, random_ops.derive(seed, 0)),
                 lambda: op(image, boxes), lambda: (image, boxes))


def _apply_sub_policy(sub_policy, image, boxes, seed):
  for index, (name, probability, magnitude) in enumerate(sub_policy):
    image, boxes = apply_op(name, image, boxes, probability, magnitude,
                            random_ops.derive(seed, index))
  return image, boxes


def _stateless_seed(seed: random_ops.Seed,
                    cache: Optional[PreprocessorCache]) -> tf.Tensor:
  """int64 [2] seed for all the draws of one call (cached when asked)."""
  def draw():
    if random_ops.is_stateless(seed):
      return tf.cast(seed, tf.int64)
    return random_ops.uniform([2], seed, minval=-2**62, maxval=2**62,
                              dtype=tf.int64)
  return random_ops.cached(cache, "autoaugment_image", "seed", draw)


def autoaugment_image(image: tf.Tensor, boxes: tf.Tensor,
                      policy_name: str = "v0",
                      seed: random_ops.Seed = None,
                      preprocess_vars_cache: Optional[PreprocessorCache] = None
                      ) -> Tuple[tf.Tensor, tf.Tensor]:
  """Applies a random sub-policy of an AutoAugment detection policy.

  Args:
    image: float32 [height, width, 3] RGB image in [0, 255].
    boxes: float32 [num_boxes, 4] normalised boxes.
    policy_name: one of POLICY_NAMES ('v0' is the paper's policy).
    seed: see random_ops.
    preprocess_vars_cache: optional PreprocessorCache; a later call with
      the same cache makes the same choices.
  Returns:
    image float32 [height, width, 3] of whole pixel values in [0, 255] and
    boxes float32 [num_boxes, 4] (same number of boxes).
  Raises:
    ValueError: an unknown policy_name, or an image whose static channel
      count is not 3.
  """
  if policy_name not in POLICIES:
    raise ValueError("autoaugment_image: unknown policy_name {!r}; known "
                     "policies: {}".format(policy_name,
                                           ", ".join(POLICY_NAMES)))
  image = tf.convert_to_tensor(image)
  if image.shape.rank is not None and image.shape[-1] not in (None, 3):
    raise ValueError("autoaugment_image: the image must have 3 channels, "
                     "got shape {}".format(image.shape))
  image_shape = image.shape
  image = ops.to_pixels(tf.cast(image, tf.float32))
  boxes = tf.cast(tf.convert_to_tensor(boxes), tf.float32)
  boxes_shape = boxes.shape
  op_seed = _stateless_seed(seed, preprocess_vars_cache)
  policy = POLICIES[policy_name]
  choice = random_ops.uniform([], random_ops.derive(op_seed, 0), 0,
                              len(policy), dtype=tf.int32)
  branches = [
      functools.partial(_apply_sub_policy, sub_policy, image, boxes,
                        random_ops.derive(op_seed, index + 1))
      for index, sub_policy in enumerate(policy)]
  image, boxes = tf.switch_case(choice, branches)
  return (tf.ensure_shape(image, image_shape),
          tf.ensure_shape(boxes, boxes_shape))


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable, Tuple[Optional[str], ...]]:
  """autoaugment_image reads the image and boxes (it keeps every box)."""
  return {autoaugment_image: (fields.image, fields.boxes)}
