"""Tests for object_detection/utils/visualization_utils.py (and its drawing)."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import ImageColor

from object_detection.core import standard_fields as fields
from object_detection.utils import visualization_drawing as drawing
from object_detection.utils import visualization_utils as vis_util

DET = fields.DetectionResultFields
INP = fields.InputDataFields
CATEGORY_INDEX = {1: {'id': 1, 'name': 'square'},
                  2: {'id': 2, 'name': 'circle'}}
RED = (255, 0, 0)


def _gray(height=128, width=128, value=100):
  return np.full((height, width, 3), value, np.uint8)


def _changed(before, after):
  return np.any(before != after, axis=-1)


def test_box_outline_is_drawn_inside_the_box_only():
  image = _gray(32, 32)
  # Box rows/cols 8..23 (pixel i covers [i, i + 1)); outline 2 px inward.
  vis_util.draw_bounding_box_on_image_array(
      image, 8, 8, 24, 24, color='red', thickness=2,
      use_normalized_coordinates=False)
  ring = np.zeros((32, 32), bool)
  ring[8:24, 8:24] = True
  ring[10:22, 10:22] = False
  np.testing.assert_array_equal(_changed(_gray(32, 32), image), ring)
  assert tuple(image[8, 8]) == RED and tuple(image[23, 23]) == RED


def test_labels_stay_in_small_image_and_away_from_pixels_below_box():
  image = _gray()
  # Top-right box: no room above, so the label goes inside, shifted left.
  vis_util.draw_bounding_box_on_image_array(
      image, 2, 100, 60, 128, thickness=2, display_str_list=['square: 87%'],
      use_normalized_coordinates=False)
  changed = _changed(_gray(), image)
  assert not changed[60:].any()
  assert changed[:60, :100].any()  # the label is wider than the box


def test_label_goes_above_box_when_there_is_room():
  image = _gray()
  vis_util.draw_bounding_box_on_image_array(
      image, 64, 32, 96, 96, thickness=0, display_str_list=['a', 'b'],
      use_normalized_coordinates=False)
  changed = _changed(_gray(), image)
  assert changed[:64].any() and not changed[64:].any()


def test_boxes_on_image_array_rejects_bad_shape():
  with pytest.raises(ValueError, match=r'\[N, 4\]'):
    vis_util.draw_bounding_boxes_on_image_array(_gray(), np.zeros((2, 3)))


def test_boxes_on_image_array_draws_normalized_boxes():
  image = _gray(32, 32)
  vis_util.draw_bounding_boxes_on_image_array(
      image, np.array([[0.25, 0.25, 0.75, 0.75]]), thickness=1)
  expected = _gray(32, 32)
  vis_util.draw_bounding_box_on_image_array(
      expected, 8, 8, 24, 24, thickness=1, use_normalized_coordinates=False)
  np.testing.assert_array_equal(image, expected)


def test_mask_blends_exactly_inside_mask_only():
  image = np.zeros((4, 4, 3), np.uint8)
  image[..., 0] = np.arange(16, dtype=np.uint8).reshape(4, 4) * 10
  image[..., 1:] = 100
  original = image.copy()
  mask = np.zeros((4, 4), np.uint8)
  mask[1:3, 1:3] = 1
  vis_util.draw_mask_on_image_array(image, mask, color='red', alpha=0.4)
  # Inside: rint(0.6 * pixel + 0.4 * (255, 0, 0)); e.g. R 50 -> 30 + 102 = 132.
  expected = original.copy()
  inside = original[1:3, 1:3].astype(np.float64)
  expected[1:3, 1:3] = np.rint(inside * 0.6 + np.array(RED) * 0.4)
  np.testing.assert_array_equal(image, expected)
  assert tuple(image[1, 1]) == (132, 60, 60)


@pytest.mark.parametrize('image_dtype, mask, message', [
    (np.uint8, np.ones((4, 4), np.float32), 'mask` not of type np.uint8'),
    (np.float32, np.ones((4, 4), np.uint8), 'image` not of type np.uint8'),
    (np.uint8, np.ones((4, 5), np.uint8), 'spatial dimensions'),
    (np.uint8, np.full((4, 4), 2, np.uint8), r'should be in \[0, 1\]'),
])
def test_mask_errors(image_dtype, mask, message):
  with pytest.raises(ValueError, match=message):
    vis_util.draw_mask_on_image_array(
        np.zeros((4, 4, 3), image_dtype), mask)


def test_keypoints_normalized_and_absolute_agree_and_skip_nan():
  absolute, normalized = _gray(32, 32), _gray(32, 32)
  vis_util.draw_keypoints_on_image_array(
      absolute, np.array([[8., 16.], [np.nan, 4.]]), radius=1,
      use_normalized_coordinates=False)
  vis_util.draw_keypoints_on_image_array(
      normalized, np.array([[0.25, 0.5], [np.nan, 0.125]]), radius=1)
  np.testing.assert_array_equal(absolute, normalized)
  changed = _changed(_gray(32, 32), absolute)
  assert tuple(absolute[8, 16]) == RED
  assert not changed[:, :12].any()  # the NaN keypoint is not drawn


def test_display_strings_and_colors_follow_tf_od_api():
  assert drawing.display_string(1, 0.87, None, CATEGORY_INDEX) == 'square: 87%'
  assert drawing.display_string(7, 0.5, 3, CATEGORY_INDEX) == 'N/A: 50%: ID 3'
  assert drawing.display_string(
      1, 0.87, None, CATEGORY_INDEX, agnostic_mode=True) == '87%'
  assert vis_util.color_for_class(3) == vis_util.STANDARD_COLORS[3]
  num_colors = len(vis_util.STANDARD_COLORS)
  assert vis_util.color_for_class(num_colors + 1) == 'Chartreuse'
  for name in vis_util.STANDARD_COLORS:
    ImageColor.getrgb(name)
  # 126 colours; primes not dividing 126: 5, 11, 13, 17; nearest 12.6 is 13.
  assert num_colors == 126
  assert vis_util.color_for_track_id(1) == vis_util.STANDARD_COLORS[13]
  assert vis_util.color_for_track_id(10) == vis_util.STANDARD_COLORS[4]


def test_visualize_track_ids_pick_colour_and_label():
  image = _gray()
  vis_util.visualize_boxes_and_labels_on_image_array(
      image, np.array([[64., 8., 96., 40.]]), np.array([1]), np.array([0.9]),
      CATEGORY_INDEX, track_ids=np.array([1]), line_thickness=1)
  assert tuple(image[64, 8]) == ImageColor.getrgb('Coral')


def _two_boxes():
  # Far apart, normalised; absolute = 128 * these.
  return np.array([[0.5, 0.0625, 0.75, 0.3125], [0.5, 0.625, 0.75, 0.875]])


def test_visualize_normalized_and_absolute_give_same_picture():
  boxes = _two_boxes()
  classes = np.array([1, 2], np.int32)
  scores = np.array([0.9, 0.8])
  normalized, absolute = _gray(), _gray()
  result = vis_util.visualize_boxes_and_labels_on_image_array(
      normalized, boxes, classes, scores, CATEGORY_INDEX,
      use_normalized_coordinates=True, line_thickness=2)
  vis_util.visualize_boxes_and_labels_on_image_array(
      absolute, boxes * 128, classes, scores, CATEGORY_INDEX,
      line_thickness=2)
  assert result is normalized
  np.testing.assert_array_equal(normalized, absolute)
  square_rgb = ImageColor.getrgb(vis_util.color_for_class(1))
  assert tuple(normalized[64, 8]) == square_rgb  # top-left outline corner
  assert not _changed(_gray(), normalized)[96:].any()  # below both boxes


@pytest.mark.parametrize('scores, max_boxes, drawn', [
    ([0.6, 0.4], 20, [True, False]),   # 0.4 <= 0.5 threshold
    ([0.9, 0.5], 20, [True, False]),   # the threshold is strict
    ([0.9, 0.9], 1, [True, False]),
    ([0.9, 0.9], None, [True, True]),
])
def test_visualize_respects_threshold_and_max_boxes(scores, max_boxes, drawn):
  image = _gray()
  vis_util.visualize_boxes_and_labels_on_image_array(
      image, _two_boxes(), np.array([1, 2]), np.array(scores), CATEGORY_INDEX,
      use_normalized_coordinates=True, max_boxes_to_draw=max_boxes,
      min_score_thresh=0.5, line_thickness=2)
  changed = _changed(_gray(), image)
  # Box 1 spans columns 8..39, box 2 columns 80..111; labels reach ~60 px.
  assert [changed[:, :40].any(), changed[:, 76:].any()] == drawn


def test_visualize_groundtruth_without_scores_uses_groundtruth_color():
  image = _gray()
  vis_util.visualize_boxes_and_labels_on_image_array(
      image, _two_boxes()[:1] * 128, np.array([1]), None, CATEGORY_INDEX,
      line_thickness=1)
  assert tuple(image[64, 8]) == (0, 0, 0)
  assert not _changed(_gray(), image)[:64].any()  # no label above the box


def test_visualize_masks_use_mask_alpha():
  image = _gray(8, 8)
  masks = np.zeros((1, 8, 8), np.uint8)
  masks[0, 4:6, 4:6] = 1
  vis_util.visualize_boxes_and_labels_on_image_array(
      image, np.array([[0., 0., 8., 8.]]), np.array([2]), np.array([0.9]),
      CATEGORY_INDEX, instance_masks=masks, mask_alpha=0.5, skip_boxes=True,
      skip_labels=True, skip_scores=True)
  aqua = np.array(ImageColor.getrgb(vis_util.color_for_class(2)))  # 0,255,255
  np.testing.assert_array_equal(image[4, 4], np.rint(0.5 * 100 + 0.5 * aqua))
  assert not _changed(_gray(8, 8), image)[:4].any()


def test_visualize_rejects_bad_mask_dtype():
  with pytest.raises(ValueError, match='np.uint8'):
    vis_util.visualize_boxes_and_labels_on_image_array(
        _gray(8, 8), np.array([[0., 0., 4., 4.]]), np.array([1]),
        np.array([0.9]), CATEGORY_INDEX,
        instance_masks=np.ones((1, 8, 8), np.float32))


def _tensor_inputs():
  images = np.stack([_gray(), _gray(value=30)])
  boxes = np.stack([_two_boxes(), _two_boxes()]).astype(np.float32)
  classes = np.array([[1., 2.], [2., 1.]], np.float32)
  scores = np.array([[0.9, 0.1], [0.5, 0.6]], np.float32)
  return images, boxes, classes, scores


def test_image_tensors_match_numpy_drawing_eagerly_and_in_tf_function():
  images, boxes, classes, scores = _tensor_inputs()
  drawn = vis_util.draw_bounding_boxes_on_image_tensors(
      tf.constant(images), boxes, classes, scores, CATEGORY_INDEX)
  assert drawn.dtype == tf.uint8 and drawn.shape == (2, 128, 128, 3)
  expected = images.copy()
  for i in range(2):
    vis_util.visualize_boxes_and_labels_on_image_array(
        expected[i], boxes[i], classes[i].astype(int), scores[i],
        CATEGORY_INDEX, use_normalized_coordinates=True, min_score_thresh=0.2)
  np.testing.assert_array_equal(drawn.numpy(), expected)
  in_graph = tf.function(
      lambda x: vis_util.draw_bounding_boxes_on_image_tensors(
          x, boxes, classes, scores, CATEGORY_INDEX))(tf.constant(images))
  np.testing.assert_array_equal(in_graph.numpy(), expected)


def test_image_tensors_reject_float_images():
  images, boxes, classes, scores = _tensor_inputs()
  with pytest.raises(ValueError, match='uint8'):
    vis_util.draw_bounding_boxes_on_image_tensors(
        tf.constant(images, tf.float32), boxes, classes, scores,
        CATEGORY_INDEX)


def test_image_tensors_crop_resize_and_grayscale():
  images, boxes, classes, scores = _tensor_inputs()
  drawn = vis_util.draw_bounding_boxes_on_image_tensors(
      tf.constant(images[..., :1]), boxes, classes, scores, CATEGORY_INDEX,
      original_image_spatial_shape=[[40, 60], [40, 60]],
      true_image_shape=[[64, 128, 3], [64, 128, 3]])
  assert drawn.dtype == tf.uint8 and drawn.shape == (2, 40, 60, 3)


def _eval_dict(batched):
  images, boxes, classes, scores = _tensor_inputs()
  masks = np.zeros((2, 2, 128, 128), np.float32)
  masks[:, 0, 70:90, 10:30] = 1.0
  eval_dict = {
      INP.original_image: images, DET.detection_boxes: boxes,
      DET.detection_classes: classes, DET.detection_scores: scores,
      DET.detection_masks: masks, DET.num_detections: np.array([2., 1.]),
      INP.groundtruth_boxes: boxes, INP.groundtruth_classes: np.array(
          [[1, 2], [2, 1]]), INP.groundtruth_instance_masks: masks,
      INP.original_image_spatial_shape: np.array([[128, 128]] * 2),
      INP.true_image_shape: np.array([[128, 128, 3]] * 2)}
  if not batched:
    eval_dict = {key: value[0] for key, value in eval_dict.items()}
    eval_dict[INP.original_image] = images[:1]
  return eval_dict


@pytest.mark.parametrize('batched', [True, False])
def test_side_by_side_evaluation_image_shapes(batched):
  images = vis_util.draw_side_by_side_evaluation_image(
      _eval_dict(batched), CATEGORY_INDEX)
  assert len(images) == (2 if batched else 1)
  for image in images:
    assert image.dtype == tf.uint8 and image.shape == (1, 128, 256, 3)
  detections, groundtruth = images[0][0, :, :128], images[0][0, :, 128:]
  assert not np.array_equal(detections.numpy(), groundtruth.numpy())


def test_side_by_side_evaluation_image_requires_keys():
  eval_dict = _eval_dict(True)
  del eval_dict[DET.detection_scores]
  with pytest.raises(ValueError, match='detection_scores'):
    vis_util.draw_side_by_side_evaluation_image(eval_dict, CATEGORY_INDEX)


def test_side_by_side_image_numpy_contract():
  image = _gray()
  masks = np.zeros((2, 128, 128), bool)
  masks[0, 70:90, 10:30] = True
  boxes = _two_boxes() * 128
  detections = {DET.detection_boxes: boxes, DET.detection_classes: [1, 2],
                DET.detection_scores: [0.9, 0.1], DET.detection_masks: masks}
  groundtruth = {INP.groundtruth_boxes: boxes, INP.groundtruth_classes: [1, 2]}
  result = vis_util.side_by_side_image(image, detections, groundtruth,
                                       CATEGORY_INDEX)
  assert result.dtype == np.uint8 and result.shape == (128, 256, 3)
  np.testing.assert_array_equal(image, _gray())  # input left untouched
  expected_left = _gray()
  vis_util.visualize_boxes_and_labels_on_image_array(
      expected_left, boxes, np.array([1, 2]), np.array([0.9, 0.1]),
      CATEGORY_INDEX, instance_masks=masks.astype(np.uint8),
      min_score_thresh=0.2, line_thickness=2)
  np.testing.assert_array_equal(result[:, :128], expected_left)
  right_changed = _changed(_gray(), result[:, 128:])
  assert right_changed[:, :64].any() and right_changed[:, 64:].any()
  with pytest.raises(ValueError, match="groundtruth: missing key"):
    vis_util.side_by_side_image(image, detections, {}, CATEGORY_INDEX)


def test_encode_image_array_as_png_str_round_trips():
  image = _gray(4, 6)
  decoded = tf.io.decode_png(vis_util.encode_image_array_as_png_str(image))
  np.testing.assert_array_equal(decoded.numpy(), image)
