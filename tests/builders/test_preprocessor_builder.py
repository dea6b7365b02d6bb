"""Tests for object_detection/builders/preprocessor_builder.py."""

import inspect
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

from object_detection.builders import preprocessor_builder
from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.protos import preprocessor_pb2
from object_detection.utils import config_util
from tests.conftest import upstream_files, upstream_params

_f = fields.InputDataFields


def _step(text):
  return text_format.Parse(text, preprocessor_pb2.PreprocessingStep())


def _kwargs(text, **kwargs):
  name, built = preprocessor_builder.build_kwargs(_step(text), **kwargs)
  assert name == text.split()[0]  # Every step is named after its op.
  return built


def _rounded(value):
  """Rounds floats (proto float32 values) to 6 digits, keeping containers."""
  if isinstance(value, float):
    return round(value, 6)
  if isinstance(value, (tuple, list)):
    return type(value)(_rounded(v) for v in value)
  if isinstance(value, dict):
    return {key: _rounded(v) for key, v in value.items()}
  return value


def test_every_oneof_member_has_a_builder():
  oneof = preprocessor_pb2.PreprocessingStep.DESCRIPTOR.oneofs_by_name[
      "preprocessing_step"]
  assert len(oneof.fields) == 39
  assert preprocessor_builder.STEP_NAMES == tuple(f.name for f in oneof.fields)


_CROP_DEFAULTS = {"min_object_covered": 1.0, "aspect_ratio_range": (0.75, 1.33),
                  "area_range": (0.1, 1.0), "overlap_thresh": 0.3,
                  "clip_boxes": True, "random_coef": 0.0}

# Each step with no field set (or only its required ones): the proto's
# defaults as the op's kwargs.
_DEFAULTS = [
    ("normalize_image { original_minval: 0 original_maxval: 255 }",
     {"original_minval": 0.0, "original_maxval": 255.0, "target_minval": 0.0,
      "target_maxval": 1.0}),
    ("random_horizontal_flip {}",
     {"keypoint_flip_permutation": None, "probability": 0.5}),
    ("random_pixel_value_scale {}", {"minval": 0.9, "maxval": 1.1}),
    ("random_image_scale {}", {"min_scale_ratio": 0.5, "max_scale_ratio": 2.0}),
    ("random_rgb_to_gray {}", {"probability": 0.1}),
    ("random_adjust_brightness {}", {"max_delta": 0.2}),
    ("random_adjust_contrast {}", {"min_delta": 0.8, "max_delta": 1.25}),
    ("random_adjust_hue {}", {"max_delta": 0.02}),
    ("random_adjust_saturation {}", {"min_delta": 0.8, "max_delta": 1.25}),
    ("random_distort_color {}", {"color_ordering": 0}),
    ("random_jitter_boxes {}", {"ratio": 0.05, "jitter_mode": "default"}),
    ("random_crop_image {}", _CROP_DEFAULTS),
    ("random_pad_image {}",
     {"min_image_size": None, "max_image_size": None, "pad_color": None}),
    ("random_crop_pad_image {}", dict(_CROP_DEFAULTS, pad_color=None)),
    ("random_crop_to_aspect_ratio {}",
     {"aspect_ratio": 1.0, "overlap_thresh": 0.3, "clip_boxes": True}),
    ("random_black_patches {}", {"max_black_patches": 10, "probability": 0.5,
                                 "size_to_image_ratio": 0.1}),
    ("random_resize_method { target_height: 75 target_width: 150 }",
     {"target_size": (75, 150)}),
    ("scale_boxes_to_pixel_coordinates {}", {}),
    ("resize_image { new_height: 75 new_width: 150 }",
     {"new_height": 75, "new_width": 150,
      "method": tf.image.ResizeMethod.BILINEAR}),
    ("subtract_channel_mean { means: [1, 2, 3] }", {"means": (1.0, 2.0, 3.0)}),
    # Empty operations: nothing, so the op uses the SSD paper's operations.
    ("ssd_random_crop {}", {}),
    ("ssd_random_crop_pad {}", {}),
    ("ssd_random_crop_fixed_aspect_ratio {}", {"aspect_ratio": 1.0}),
    ("ssd_random_crop_pad_fixed_aspect_ratio {}", {"aspect_ratio": 1.0}),
    ("random_vertical_flip {}",
     {"keypoint_flip_permutation": None, "probability": 0.5}),
    ("random_rotation90 {}",
     {"keypoint_rot_permutation": None, "probability": 0.5}),
    ("rgb_to_gray {}", {}),
    ("convert_class_logits_to_softmax {}", {"temperature": 1.0}),
    # Unset padding ranges mean 1 (no padding), as in the TF OD API.
    ("random_absolute_pad_image {}",
     {"max_height_padding": 1, "max_width_padding": 1, "pad_color": None}),
    ("random_self_concat_image {}", {"concat_vertical_probability": 0.1,
                                     "concat_horizontal_probability": 0.1}),
    ("autoaugment_image {}", {"policy_name": "v0"}),
    ("drop_label_probabilistically { label: 2 }",
     {"dropped_label": 2, "drop_probability": 1.0}),
    ("remap_labels { original_labels: [3, 4] new_label: 1 }",
     {"original_labels": (3, 4), "new_label": 1}),
    ("random_jpeg_quality {}",
     {"random_coef": 0.0, "min_jpeg_quality": 0, "max_jpeg_quality": 100}),
    ("random_downscale_to_target_pixels {}",
     {"random_coef": 0.0, "min_target_pixels": 300000,
      "max_target_pixels": 500000}),
    ("random_patch_gaussian {}",
     {"random_coef": 0.0, "min_patch_size": 1, "max_patch_size": 250,
      "min_gaussian_stddev": 0.0, "max_gaussian_stddev": 1.0}),
    ("random_square_crop_by_scale {}", {"max_border": 128, "scale_min": 0.6,
                                        "scale_max": 1.3, "num_scales": 8}),
    ("random_scale_crop_and_pad_to_square {}",
     {"output_size": 512, "scale_min": 0.1, "scale_max": 2.0}),
    ("adjust_gamma {}", {"gamma": 1.0, "gain": 1.0}),
]


def test_defaults_cover_every_step():
  assert sorted(text.split()[0] for text, _ in _DEFAULTS) == sorted(
      preprocessor_builder.STEP_NAMES)


@pytest.mark.parametrize("text, expected", _DEFAULTS,
                         ids=[t.split()[0] for t, _ in _DEFAULTS])
def test_default_kwargs(text, expected):
  assert _rounded(_kwargs(text)) == expected


# Set values: each field reaches its kwarg.
_SET_VALUES = [
    ("normalize_image { original_minval: -1 original_maxval: 1 "
     "target_minval: -2 target_maxval: 2 }",
     {"original_minval": -1.0, "original_maxval": 1.0, "target_minval": -2.0,
      "target_maxval": 2.0}),
    ("random_horizontal_flip { keypoint_flip_permutation: [1, 0, 2] "
     "probability: 0.0 }",  # 0.0 is kept (not the op's 0.5).
     {"keypoint_flip_permutation": (1, 0, 2), "probability": 0.0}),
    ("random_rotation90 { keypoint_rot_permutation: [1, 0] probability: 1 }",
     {"keypoint_rot_permutation": (1, 0), "probability": 1.0}),
    ("random_jitter_boxes { ratio: 0.1 jitter_mode: SHRINK_SYMMETRIC_XY }",
     {"ratio": 0.1, "jitter_mode": "shrink_symmetric_xy"}),
    ("random_crop_image { min_object_covered: 0.5 min_aspect_ratio: 0.5 "
     "max_aspect_ratio: 2 min_area: 0.2 max_area: 0.9 overlap_thresh: 0.4 "
     "clip_boxes: false random_coef: 0.25 }",
     {"min_object_covered": 0.5, "aspect_ratio_range": (0.5, 2.0),
      "area_range": (0.2, 0.9), "overlap_thresh": 0.4, "clip_boxes": False,
      "random_coef": 0.25}),
    ("random_pad_image { min_image_height: 40 min_image_width: 50 "
     "max_image_height: 60 max_image_width: 70 pad_color: [1, 2, 3] }",
     {"min_image_size": (40, 50), "max_image_size": (60, 70),
      "pad_color": (1.0, 2.0, 3.0)}),
    ("random_absolute_pad_image { max_height_padding: 20 "
     "max_width_padding: 30 pad_color: [0, 0, 0] }",
     {"max_height_padding": 20, "max_width_padding": 30,
      "pad_color": (0.0, 0.0, 0.0)}),
    ("random_crop_pad_image { min_padded_size_ratio: [1, 1.5] "
     "max_padded_size_ratio: [2, 3] pad_color: [4, 5, 6] }",
     dict(_CROP_DEFAULTS, min_padded_size_ratio=(1.0, 1.5),
          max_padded_size_ratio=(2.0, 3.0), pad_color=(4.0, 5.0, 6.0))),
    ("resize_image { new_height: 8 new_width: 9 method: NEAREST_NEIGHBOR }",
     {"new_height": 8, "new_width": 9,
      "method": tf.image.ResizeMethod.NEAREST_NEIGHBOR}),
    ("ssd_random_crop { operations { min_object_covered: 0 "
     "min_aspect_ratio: 0.5 max_aspect_ratio: 2 min_area: 0.1 max_area: 1 "
     "overlap_thresh: 0 random_coef: 0.15 } operations { "
     "min_object_covered: 0.7 min_aspect_ratio: 0.6 max_aspect_ratio: 1.5 "
     "min_area: 0.3 max_area: 0.9 overlap_thresh: 0.7 clip_boxes: false "
     "random_coef: 0.2 } }",
     {"min_object_covered": (0.0, 0.7),
      "aspect_ratio_range": ((0.5, 2.0), (0.6, 1.5)),
      "area_range": ((0.1, 1.0), (0.3, 0.9)), "overlap_thresh": (0.0, 0.7),
      "clip_boxes": (True, False), "random_coef": (0.15, 0.2)}),
    ("ssd_random_crop_pad { operations { min_object_covered: 0.1 "
     "min_aspect_ratio: 0.5 max_aspect_ratio: 2 min_area: 0.1 max_area: 1 "
     "overlap_thresh: 0.1 random_coef: 0.1 min_padded_size_ratio: [1, 1] "
     "max_padded_size_ratio: [2, 2] pad_color_r: 10 pad_color_g: 20 "
     "pad_color_b: 30 } }",
     {"min_object_covered": (0.1,), "aspect_ratio_range": ((0.5, 2.0),),
      "area_range": ((0.1, 1.0),), "overlap_thresh": (0.1,),
      "clip_boxes": (True,), "random_coef": (0.1,),
      "min_padded_size_ratio": ((1.0, 1.0),),
      "max_padded_size_ratio": ((2.0, 2.0),),
      "pad_color": ((10.0, 20.0, 30.0),)}),
    ("ssd_random_crop_fixed_aspect_ratio { aspect_ratio: 0.5 operations { "
     "min_object_covered: 0.3 min_area: 0.5 max_area: 1 overlap_thresh: 0.3 "
     "random_coef: 0.1 } }",
     {"min_object_covered": (0.3,), "area_range": ((0.5, 1.0),),
      "overlap_thresh": (0.3,), "clip_boxes": (True,), "random_coef": (0.1,),
      "aspect_ratio": 0.5}),
    ("ssd_random_crop_pad_fixed_aspect_ratio { aspect_ratio: 2 "
     "min_padded_size_ratio: [1, 1] max_padded_size_ratio: [3, 3] "
     "operations { min_object_covered: 0.5 min_aspect_ratio: 1 "
     "max_aspect_ratio: 1 min_area: 0.5 max_area: 0.5 overlap_thresh: 0.5 "
     "random_coef: 0 } }",
     {"min_object_covered": (0.5,), "aspect_ratio_range": ((1.0, 1.0),),
      "area_range": ((0.5, 0.5),), "overlap_thresh": (0.5,),
      "clip_boxes": (True,), "random_coef": (0.0,), "aspect_ratio": 2.0,
      "min_padded_size_ratio": (1.0, 1.0),
      "max_padded_size_ratio": (3.0, 3.0)}),
    ("autoaugment_image { policy_name: 'v3' }", {"policy_name": "v3"}),
    ("random_patch_gaussian { random_coef: 0.5 min_patch_size: 4 "
     "max_patch_size: 8 min_gaussian_stddev: 0.1 max_gaussian_stddev: 0.2 }",
     {"random_coef": 0.5, "min_patch_size": 4, "max_patch_size": 8,
      "min_gaussian_stddev": 0.1, "max_gaussian_stddev": 0.2}),
    ("random_scale_crop_and_pad_to_square { output_size: 64 scale_min: 0.5 "
     "scale_max: 1.5 }",
     {"output_size": 64, "scale_min": 0.5, "scale_max": 1.5}),
    ("adjust_gamma { gamma: 2.2 gain: 0.5 }", {"gamma": 2.2, "gain": 0.5}),
]


@pytest.mark.parametrize("text, expected", _SET_VALUES,
                         ids=[t.split()[0] for t, _ in _SET_VALUES])
def test_set_kwargs(text, expected):
  assert _rounded(_kwargs(text)) == expected


_ALL_STEPS = ", ".join(preprocessor_builder.STEP_NAMES)

_ERRORS = [
    ("", "preprocessing step: no preprocessing step set; expected one of: "
     + _ALL_STEPS),
    ("normalize_image { original_maxval: 255 }",
     "normalize_image.original_minval: must be set"),
    ("normalize_image { original_minval: 0 original_maxval: 0 }",
     "normalize_image.original_maxval: must be > original_minval (0.0), "
     "got 0.0"),
    ("normalize_image { original_minval: 0 original_maxval: 1 "
     "target_minval: 1 target_maxval: -1 }",
     "normalize_image.target_maxval: must be > target_minval (1.0), got -1.0"),
    ("random_horizontal_flip { probability: 1.5 }",
     "random_horizontal_flip.probability: must be in [0, 1], got 1.5"),
    ("random_vertical_flip { keypoint_flip_permutation: [0, 2] }",
     "random_vertical_flip.keypoint_flip_permutation: must be a permutation "
     "of 0..1, got [0, 2]"),
    ("random_rotation90 { probability: -0.1 }",
     "random_rotation90.probability: must be in [0, 1], got -0.1"),
    ("random_pixel_value_scale { minval: 0 }",
     "random_pixel_value_scale.minval: must be > 0, got 0.0"),
    ("random_image_scale { min_scale_ratio: 2 max_scale_ratio: 1 }",
     "random_image_scale.max_scale_ratio: must be >= min_scale_ratio (2.0), "
     "got 1.0"),
    ("random_rgb_to_gray { probability: 2 }",
     "random_rgb_to_gray.probability: must be in [0, 1], got 2.0"),
    ("random_adjust_brightness { max_delta: -0.1 }",
     "random_adjust_brightness.max_delta: must be >= 0, got -0.1"),
    ("random_adjust_contrast { min_delta: 1.5 }",
     "random_adjust_contrast.max_delta: must be >= min_delta (1.5), "
     "got 1.25"),
    ("random_adjust_hue { max_delta: 0.6 }",
     "random_adjust_hue.max_delta: must be in [0, 0.5], got 0.6"),
    ("random_adjust_saturation { min_delta: -1 }",
     "random_adjust_saturation.min_delta: must be >= 0, got -1.0"),
    ("random_distort_color { color_ordering: 2 }",
     "random_distort_color.color_ordering: must be 0 or 1, got 2"),
    ("random_jitter_boxes { ratio: -0.5 }",
     "random_jitter_boxes.ratio: must be >= 0, got -0.5"),
    ("random_crop_image { min_area: 1.5 }",
     "random_crop_image.min_area: must be in (0, 1], got 1.5"),
    ("random_crop_image { min_area: 0 }",
     "random_crop_image.min_area: must be in (0, 1], got 0.0"),
    ("random_crop_image { min_area: 0.5 max_area: 0.3 }",
     "random_crop_image.max_area: must be >= min_area (0.5), got 0.3"),
    ("random_crop_image { min_aspect_ratio: 2 }",
     "random_crop_image.max_aspect_ratio: must be >= min_aspect_ratio (2.0), "
     "got 1.33"),
    ("random_crop_image { min_aspect_ratio: 0 }",
     "random_crop_image.min_aspect_ratio: must be > 0, got 0.0"),
    ("random_crop_image { overlap_thresh: 1.1 }",
     "random_crop_image.overlap_thresh: must be in [0, 1], got 1.1"),
    ("random_crop_image { random_coef: -1 }",
     "random_crop_image.random_coef: must be in [0, 1], got -1.0"),
    ("random_crop_image { min_object_covered: 2 }",
     "random_crop_image.min_object_covered: must be in [0, 1], got 2.0"),
    ("random_pad_image { min_image_height: 10 }",
     "random_pad_image.min_image_width: min_image_height and min_image_width "
     "must be set together"),
    ("random_pad_image { max_image_height: 0 max_image_width: 10 }",
     "random_pad_image.max_image_height: must be > 0, got 0"),
    ("random_pad_image { min_image_height: 40 min_image_width: 40 "
     "max_image_height: 30 max_image_width: 50 }",
     "random_pad_image.max_image_height: must be >= min_image_height (40), "
     "got 30"),
    ("random_absolute_pad_image { max_height_padding: -2 }",
     "random_absolute_pad_image.max_height_padding: must be >= 0, got -2"),
    ("random_crop_pad_image { pad_color: [1, 2] }",
     "random_crop_pad_image.pad_color: must have 3 values (red, green, blue) "
     "when set, got [1.0, 2.0]"),
    ("random_crop_pad_image { min_padded_size_ratio: [1] }",
     "random_crop_pad_image.min_padded_size_ratio: must have 2 values "
     "(height, width), got [1.0]"),
    ("random_crop_pad_image { min_padded_size_ratio: [0, 1] }",
     "random_crop_pad_image.min_padded_size_ratio: every value must be > 0, "
     "got [0.0, 1.0]"),
    ("random_crop_pad_image { min_padded_size_ratio: [2, 2] "
     "max_padded_size_ratio: [3, 1] }",
     "random_crop_pad_image.max_padded_size_ratio: must be >= "
     "min_padded_size_ratio ([2.0, 2.0]) elementwise, got [3.0, 1.0]"),
    ("random_crop_to_aspect_ratio { aspect_ratio: 0 }",
     "random_crop_to_aspect_ratio.aspect_ratio: must be > 0, got 0.0"),
    ("random_black_patches { size_to_image_ratio: 0 }",
     "random_black_patches.size_to_image_ratio: must be in (0, 1], "
     "got 0.0"),
    ("random_black_patches { max_black_patches: -1 }",
     "random_black_patches.max_black_patches: must be >= 0, got -1"),
    ("random_resize_method { target_height: 10 }",
     "random_resize_method.target_width: must be > 0, got 0"),
    ("resize_image { new_height: 10 new_width: -3 }",
     "resize_image.new_width: must be > 0, got -3"),
    ("subtract_channel_mean {}", "subtract_channel_mean.means: must not be "
     "empty"),
    ("ssd_random_crop { operations { min_area: 0.1 max_area: 1 "
     "min_aspect_ratio: 1 max_aspect_ratio: 1 } operations { min_area: 0.1 "
     "max_area: 1 min_aspect_ratio: 1 max_aspect_ratio: 1 "
     "random_coef: 1.5 } }",
     "ssd_random_crop.operations[1].random_coef: must be in [0, 1], "
     "got 1.5"),
    ("ssd_random_crop { operations { min_aspect_ratio: 1 "
     "max_aspect_ratio: 1 } }",  # min_area has no default here.
     "ssd_random_crop.operations[0].min_area: must be in (0, 1], "
     "got 0.0"),
    ("ssd_random_crop_pad { operations { min_area: 0.1 max_area: 1 "
     "min_aspect_ratio: 1 max_aspect_ratio: 1 } }",
     "ssd_random_crop_pad.operations[0].min_padded_size_ratio: must have 2 "
     "values (height, width), got []"),
    ("ssd_random_crop_fixed_aspect_ratio { aspect_ratio: -1 }",
     "ssd_random_crop_fixed_aspect_ratio.aspect_ratio: must be > 0, got -1.0"),
    ("ssd_random_crop_fixed_aspect_ratio { operations { min_area: 0.9 "
     "max_area: 0.5 } }",
     "ssd_random_crop_fixed_aspect_ratio.operations[0].max_area: must be >= "
     "min_area (0.9), got 0.5"),
    ("ssd_random_crop_pad_fixed_aspect_ratio { max_padded_size_ratio: "
     "[1, 2, 3] }",
     "ssd_random_crop_pad_fixed_aspect_ratio.max_padded_size_ratio: must "
     "have 2 values (height, width), got [1.0, 2.0, 3.0]"),
    ("convert_class_logits_to_softmax { temperature: 0 }",
     "convert_class_logits_to_softmax.temperature: must be > 0, got 0.0"),
    ("random_self_concat_image { concat_horizontal_probability: 1.2 }",
     "random_self_concat_image.concat_horizontal_probability: must be in "
     "[0, 1], got 1.2"),
    ("autoaugment_image { policy_name: 'v9' }",
     "autoaugment_image.policy_name: must be one of v0, v1, v2, v3, test, "
     "got 'v9'"),
    ("drop_label_probabilistically { drop_probability: 0.5 }",
     "drop_label_probabilistically.label: must be set"),
    ("drop_label_probabilistically { label: 1 drop_probability: 1.5 }",
     "drop_label_probabilistically.drop_probability: must be in [0, 1], "
     "got 1.5"),
    ("remap_labels { new_label: 1 }",
     "remap_labels.original_labels: must not be empty"),
    ("remap_labels { original_labels: 2 }",
     "remap_labels.new_label: must be set"),
    ("random_jpeg_quality { max_jpeg_quality: 101 }",
     "random_jpeg_quality.max_jpeg_quality: must be in [0, 100], got 101"),
    ("random_jpeg_quality { min_jpeg_quality: 90 max_jpeg_quality: 80 }",
     "random_jpeg_quality.max_jpeg_quality: must be >= min_jpeg_quality (90), "
     "got 80"),
    ("random_downscale_to_target_pixels { min_target_pixels: 0 }",
     "random_downscale_to_target_pixels.min_target_pixels: must be > 0, "
     "got 0"),
    ("random_downscale_to_target_pixels { min_target_pixels: 600000 }",
     "random_downscale_to_target_pixels.max_target_pixels: must be >= "
     "min_target_pixels (600000), got 500000"),
    ("random_patch_gaussian { min_patch_size: 5 max_patch_size: 5 }",
     "random_patch_gaussian.max_patch_size: must be > min_patch_size (5), "
     "got 5"),
    ("random_patch_gaussian { min_gaussian_stddev: -1 }",
     "random_patch_gaussian.min_gaussian_stddev: must be >= 0, got -1.0"),
    ("random_patch_gaussian { random_coef: 3 }",
     "random_patch_gaussian.random_coef: must be in [0, 1], got 3.0"),
    ("random_square_crop_by_scale { num_scales: 0 }",
     "random_square_crop_by_scale.num_scales: must be > 0, got 0"),
    ("random_square_crop_by_scale { scale_min: 1.5 }",
     "random_square_crop_by_scale.scale_max: must be >= scale_min (1.5), "
     "got 1.3"),
    ("random_square_crop_by_scale { max_border: -1 }",
     "random_square_crop_by_scale.max_border: must be >= 0, got -1"),
    ("random_scale_crop_and_pad_to_square { output_size: 0 }",
     "random_scale_crop_and_pad_to_square.output_size: must be > 0, got 0"),
    ("random_scale_crop_and_pad_to_square { scale_min: 0 }",
     "random_scale_crop_and_pad_to_square.scale_min: must be > 0, got 0.0"),
    ("adjust_gamma { gamma: 0 }", "adjust_gamma.gamma: must be > 0, got 0.0"),
]


@pytest.mark.parametrize("text, message", _ERRORS,
                         ids=[t.split()[0] if t else "unset"
                              for t, _ in _ERRORS])
def test_errors(text, message):
  with pytest.raises(ValueError) as error:
    preprocessor_builder.build_kwargs(_step(text))
  assert str(error.value) == message
  # build() checks before it looks for the op.
  with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
    preprocessor_builder.build(_step(text))


def test_path_prefix_and_type_error():
  with pytest.raises(ValueError, match=re.escape(
      "train_config.data_augmentation_options[3].random_crop_image.min_area: "
      "must be in (0, 1], got 1.5")):
    preprocessor_builder.build_kwargs(
        _step("random_crop_image { min_area: 1.5 }"),
        path="train_config.data_augmentation_options[3]")
  with pytest.raises(TypeError, match="^preprocessing step: expected a "
                     "PreprocessingStep message, got RandomCropImage$"):
    preprocessor_builder.build(preprocessor_pb2.RandomCropImage())


def _fake_op(*args, **kwargs):
  del kwargs
  return args


def test_build_looks_the_op_up_at_build_time(monkeypatch):
  monkeypatch.setattr(preprocessor, "random_crop_image", _fake_op,
                      raising=False)
  func, kwargs = preprocessor_builder.build(_step("random_crop_image {}"))
  assert func is _fake_op
  assert _rounded(kwargs) == _CROP_DEFAULTS


def test_missing_op_is_an_error_naming_the_step(monkeypatch):
  monkeypatch.delattr(preprocessor, "adjust_gamma", raising=False)
  with pytest.raises(NotImplementedError, match=re.escape(
      "train_config.data_augmentation_options[1].adjust_gamma: the op "
      "preprocessor.adjust_gamma is not available")):
    preprocessor_builder.build_all(
        [_step("random_crop_image {}"), _step("adjust_gamma {}")])


def test_build_all_returns_steps_in_order_and_prefixes_errors(monkeypatch):
  for name in ("random_horizontal_flip", "random_crop_image"):
    monkeypatch.setattr(preprocessor, name, getattr(
        preprocessor, name, _fake_op), raising=False)
  steps = [_step("random_horizontal_flip {}"),
           _step("random_crop_image { min_area: 0.5 }")]
  built = preprocessor_builder.build_all(steps)
  assert [func for func, _ in built] == [
      preprocessor.random_horizontal_flip, preprocessor.random_crop_image]
  assert _rounded(built[1][1]["area_range"]) == (0.5, 1.0)
  steps.append(_step("random_crop_image { min_area: 1.5 }"))
  with pytest.raises(ValueError, match="^" + re.escape(
      "train_config.data_augmentation_options[2].random_crop_image.min_area: "
      "must be in (0, 1], got 1.5") + "$"):
    preprocessor_builder.build_all(steps)
  with pytest.raises(ValueError, match=r"^eval\[0\]: no preprocessing step "
                     "set; expected one of: normalize_image, "):
    preprocessor_builder.build_all([_step("")], path_prefix="eval")
  assert preprocessor_builder.build_all([]) == []


@pytest.mark.parametrize("text, _", _DEFAULTS + _SET_VALUES,
                         ids=[t.split()[0] for t, _ in _DEFAULTS + _SET_VALUES])
def test_kwargs_are_keyword_arguments_of_the_op(text, _):
  name = text.split()[0]
  func = getattr(preprocessor, name, None)
  if func is None:
    pytest.skip("preprocessor.{} is not registered yet".format(name))
  parameters = inspect.signature(func).parameters
  assert set(_kwargs(text)) <= set(parameters), sorted(
      set(_kwargs(text)) - set(parameters))


def _augmentation_options(config_path):
  return config_util.get_configs_from_pipeline_file(
      config_path)["train_config"].data_augmentation_options


@pytest.mark.parametrize("config_path", upstream_params("*/*.config"))
def test_upstream_configs_build(config_path):
  options = _augmentation_options(config_path)
  built = [preprocessor_builder.build_kwargs(step, path="[{}]".format(i))
           for i, step in enumerate(options)]
  assert [name for name, _ in built] == [
      step.WhichOneof("preprocessing_step") for step in options]


def _upstream_step_params():
  """One param per distinct augmentation step of the upstream configs."""
  first_config = {}
  for config_path in upstream_files("*/*.config"):
    for step in _augmentation_options(config_path):
      text = text_format.MessageToString(step, as_one_line=True)
      first_config.setdefault(text, os.path.basename(config_path))
  if not first_config:
    return upstream_params("*/*.config")
  return [pytest.param(text, id="{}:{}".format(config, text.split()[0]))
          for text, config in sorted(first_config.items())]


_BOXES = np.array([[0.125, 0.125, 0.625, 0.5], [0.375, 0.25, 1.0, 0.875]],
                  np.float32)


def _tensor_dict():
  """A 32x32 image with 2 boxes, each with a mask filling its box."""
  image = np.arange(32 * 32 * 3, dtype=np.float32).reshape([1, 32, 32, 3])
  masks = np.zeros([2, 32, 32], np.float32)
  for mask, (ymin, xmin, ymax, xmax) in zip(masks, (_BOXES * 32).astype(int)):
    mask[ymin:ymax, xmin:xmax] = 1.0
  return {_f.image: tf.constant(image % 256),
          _f.groundtruth_boxes: tf.constant(_BOXES),
          _f.groundtruth_classes: tf.constant([1, 2], tf.int32),
          _f.groundtruth_weights: tf.constant([1.0, 0.5]),
          _f.groundtruth_instance_masks: tf.constant(masks)}


def _check_outputs(out):
  image = out[_f.image].numpy()
  assert image.ndim == 4 and image.shape[0] == 1 and image.shape[3] == 3
  assert np.all(np.isfinite(image))
  assert image.min() >= -1e-3 and image.max() <= 255 + 1e-3
  height, width = image.shape[1:3]
  boxes = out[_f.groundtruth_boxes].numpy()
  num_boxes = boxes.shape[0]
  assert boxes.shape == (num_boxes, 4) and num_boxes <= 2
  assert np.all(boxes >= -1e-6) and np.all(boxes <= 1 + 1e-6)
  assert np.all(boxes[:, 2:] >= boxes[:, :2])
  classes = out[_f.groundtruth_classes].numpy()
  weights = out[_f.groundtruth_weights].numpy()
  assert classes.shape == (num_boxes,) and set(classes) <= {1, 2}
  # Each kept box keeps its own weight (class 1 -> 1.0, class 2 -> 0.5).
  np.testing.assert_allclose(weights, np.where(classes == 1, 1.0, 0.5))
  masks = out[_f.groundtruth_instance_masks].numpy()
  assert masks.shape == (num_boxes, height, width)
  assert masks.min() >= 0 and masks.max() <= 1
  for box, mask in zip(boxes, masks):
    rows, cols = np.nonzero(mask > 0.5)
    if rows.size:  # The mask stays inside its box (1.5 pixels of slack).
      ymin, xmin, ymax, xmax = box * [height, width, height, width]
      assert rows.min() >= ymin - 1.5 and rows.max() + 1 <= ymax + 1.5
      assert cols.min() >= xmin - 1.5 and cols.max() + 1 <= xmax + 1.5


@pytest.mark.parametrize("step_text", _upstream_step_params())
def test_upstream_steps_run_through_preprocess(step_text):
  name, kwargs = preprocessor_builder.build_kwargs(_step(step_text))
  func_arg_map = preprocessor.get_default_func_arg_map(
      include_instance_masks=True)
  func = getattr(preprocessor, name, None)
  if func is None or func not in func_arg_map:
    pytest.skip("preprocessor.{} is not registered yet".format(name))
  func, kwargs = preprocessor_builder.build(_step(step_text))
  for seed in ([0, 1], [5, 7]):
    out = preprocessor.preprocess(_tensor_dict(), [(func, kwargs)],
                                  func_arg_map=func_arg_map,
                                  seed=tf.constant(seed))
    _check_outputs(out)
