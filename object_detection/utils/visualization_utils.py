"""Draws detections and groundtruth on images, as the TF OD API's module does.

Function names, argument names, defaults and return conventions follow the
TF OD API's `object_detection/utils/visualization_utils.py`, so code such as

    image_np = np.zeros((128, 128, 3), np.uint8)
    vis_util.visualize_boxes_and_labels_on_image_array(
        image_np, np.array([[0.1, 0.1, 0.5, 0.5]]), np.array([1]),
        np.array([0.87]), {1: {'id': 1, 'name': 'cat'}},
        use_normalized_coordinates=True, line_thickness=2)  # 'cat: 87%'

runs unchanged. Conventions (see `visualization_drawing` for the pixel rules):
  * images are uint8 RGB, numpy [height, width, 3] or tensors [N, H, W, 3];
  * boxes are [ymin, xmin, ymax, xmax], normalised or absolute as each
    function says; class ids are 1-based keys of a category index
    ({id: {'id': id, 'name': str}}, see label_map_util);
  * masks are binary uint8 (values 0 and 1) at the image's size.
The primitives (boxes, masks, keypoints, STANDARD_COLORS) are re-exported
from `visualization_drawing`.
"""

import functools
import io
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
from PIL import Image

from object_detection.core import standard_fields as fields
from object_detection.utils import shape_utils
from object_detection.utils import visualization_drawing as drawing

STANDARD_COLORS = drawing.STANDARD_COLORS
color_for_class = drawing.color_for_class
color_for_track_id = drawing.color_for_track_id
draw_bounding_box_on_image = drawing.draw_bounding_box_on_image
draw_bounding_box_on_image_array = drawing.draw_bounding_box_on_image_array
draw_bounding_boxes_on_image = drawing.draw_bounding_boxes_on_image
draw_bounding_boxes_on_image_array = drawing.draw_bounding_boxes_on_image_array
draw_keypoints_on_image = drawing.draw_keypoints_on_image
draw_keypoints_on_image_array = drawing.draw_keypoints_on_image_array
draw_mask_on_image_array = drawing.draw_mask_on_image_array

CategoryIndex = Mapping[int, Mapping[str, object]]
_DETECTIONS = fields.DetectionResultFields
_INPUTS = fields.InputDataFields
_BOUNDARY_COLOR = 'red'
_TENSOR_LINE_THICKNESS = 4


def save_image_array_as_png(image: np.ndarray, output_path: str) -> None:
  """Writes a uint8 [height, width, 3] image to `output_path` as PNG."""
  with tf.io.gfile.GFile(output_path, 'wb') as fid:
    fid.write(encode_image_array_as_png_str(image))


def encode_image_array_as_png_str(image: np.ndarray) -> bytes:
  """PNG bytes of a uint8 [height, width, 3] image."""
  output = io.BytesIO()
  Image.fromarray(np.uint8(image)).save(output, format='PNG')
  return output.getvalue()


def visualize_boxes_and_labels_on_image_array(
    image: np.ndarray, boxes: np.ndarray, classes: np.ndarray,
    scores: Optional[np.ndarray], category_index: CategoryIndex,
    instance_masks: Optional[np.ndarray] = None,
    instance_boundaries: Optional[np.ndarray] = None,
    keypoints: Optional[np.ndarray] = None,
    keypoint_scores: Optional[np.ndarray] = None,
    keypoint_edges: Optional[Sequence[Tuple[int, int]]] = None,
    track_ids: Optional[np.ndarray] = None,
    use_normalized_coordinates: bool = False, max_boxes_to_draw: int = 20,
    min_score_thresh: float = .5, agnostic_mode: bool = False,
    line_thickness: int = 4, mask_alpha: float = .4,
    groundtruth_box_visualization_color='black', skip_boxes: bool = False,
    skip_scores: bool = False, skip_labels: bool = False,
    skip_track_ids: bool = False) -> np.ndarray:
  """Draws labelled boxes, masks and keypoints on an image in place.

  The first `max_boxes_to_draw` boxes (all when it is None or 0) whose score
  is > min_score_thresh are drawn in their class colour with a label
  'name: 87%' ('N/A' for ids missing from the category index). Boxes at the
  same location share one outline and stack their labels. With
  scores=None the boxes are groundtruth: all drawn (up to the limit) in
  `groundtruth_box_visualization_color`, without labels.

  Args:
    image: uint8 [height, width, 3] image, modified in place.
    boxes: float [N, 4] boxes, normalised or absolute pixels.
    classes: int [N] 1-based class ids, keys of `category_index`.
    scores: float [N] scores, or None for groundtruth.
    category_index: {class_id: {'id': class_id, 'name': str}}.
    instance_masks: optional uint8 [N, height, width] binary masks.
    instance_boundaries: optional uint8 [N, height, width] binary boundaries,
      drawn opaque red.
    keypoints: optional float [N, num_keypoints, 2] (y, x) keypoints, in the
      boxes' coordinate convention.
    keypoint_scores: optional float [N, num_keypoints]; keypoints scoring
      <= min_score_thresh are not drawn.
    keypoint_edges: optional (start, end) keypoint index pairs to join.
    track_ids: optional int [N]; when given they pick the colours and are
      appended to the labels as 'ID 3'.
    use_normalized_coordinates: whether boxes and keypoints are in [0, 1].
    max_boxes_to_draw: most boxes drawn; None or 0 for all.
    min_score_thresh: boxes need a score strictly above it.
    agnostic_mode: draw every box in DarkOrange with the score only.
    line_thickness: box outline width in pixels.
    mask_alpha: weight of the mask colour, in [0, 1].
    groundtruth_box_visualization_color: box colour when scores is None.
    skip_boxes: draw no outline (labels, masks and keypoints still drawn).
    skip_scores, skip_labels, skip_track_ids: leave that part out of labels.

  Returns:
    `image` itself, uint8 [height, width, 3], with the drawing on it.

  Raises:
    ValueError: if `image` is not uint8 [height, width, 3], `boxes` is not
      [N, 4], a per-box array does not have N entries, or a mask is not a
      binary uint8 [height, width] array.
  """
  drawing.check_image_array(image)
  boxes = np.asarray(boxes, dtype=np.float64)
  if boxes.size == 0:
    boxes = boxes.reshape([0, 4])
  if boxes.ndim != 2 or boxes.shape[1] != 4:
    raise ValueError('`boxes` must have shape [N, 4], got %s' % (boxes.shape,))
  classes = np.asarray(classes)
  scores = None if scores is None else np.asarray(scores)
  for name, array in (('classes', classes), ('scores', scores),
                      ('instance_masks', instance_masks),
                      ('instance_boundaries', instance_boundaries),
                      ('keypoints', keypoints), ('track_ids', track_ids)):
    drawing.check_per_box(name, array, boxes.shape[0])
  grouped = drawing.group_boxes_by_location(
      boxes, classes, scores, category_index, track_ids=track_ids,
      max_boxes_to_draw=max_boxes_to_draw, min_score_thresh=min_score_thresh,
      groundtruth_color=groundtruth_box_visualization_color,
      agnostic_mode=agnostic_mode, skip_scores=skip_scores,
      skip_labels=skip_labels, skip_track_ids=skip_track_ids)
  for box, entry in grouped.items():
    color, last = entry['color'], entry['indices'][-1]
    if instance_masks is not None:
      drawing.draw_mask_on_image_array(image, np.asarray(instance_masks[last]),
                                       color=color, alpha=mask_alpha)
    if instance_boundaries is not None:
      drawing.draw_mask_on_image_array(
          image, np.asarray(instance_boundaries[last]), color=_BOUNDARY_COLOR,
          alpha=1.0)
    drawing.draw_bounding_box_on_image_array(
        image, *box, color=color, thickness=0 if skip_boxes else line_thickness,
        display_str_list=entry['labels'],
        use_normalized_coordinates=use_normalized_coordinates)
    if keypoints is None:
      continue
    for i in entry['indices']:
      drawing.draw_keypoints_on_image_array(
          image, keypoints[i],
          None if keypoint_scores is None else keypoint_scores[i],
          min_score_thresh=min_score_thresh, color=color,
          radius=line_thickness / 2,
          use_normalized_coordinates=use_normalized_coordinates,
          keypoint_edges=keypoint_edges, keypoint_edge_color=color,
          keypoint_edge_width=max(1, line_thickness // 2))
  return image


def _draw_batch(category_index, optional_names, draw_kwargs, images, boxes,
                classes, scores, true_shapes, original_shapes, *optional):
  """numpy body of draw_bounding_boxes_on_image_tensors."""
  results = []
  for i in range(images.shape[0]):
    image = drawing.crop_and_resize(images[i], true_shapes[i],
                                    original_shapes[i])
    extras = {name: value[i] for name, value in zip(optional_names, optional)}
    results.append(visualize_boxes_and_labels_on_image_array(
        image, boxes[i], classes[i], scores[i], category_index, **extras,
        **draw_kwargs))
  if not results:
    return np.zeros([0, images.shape[1], images.shape[2], 3], np.uint8)
  return np.stack(results)


def draw_bounding_boxes_on_image_tensors(
    images: tf.Tensor, boxes: tf.Tensor, classes: tf.Tensor, scores: tf.Tensor,
    category_index: CategoryIndex,
    original_image_spatial_shape: Optional[tf.Tensor] = None,
    true_image_shape: Optional[tf.Tensor] = None,
    instance_masks: Optional[tf.Tensor] = None,
    keypoints: Optional[tf.Tensor] = None,
    keypoint_scores: Optional[tf.Tensor] = None,
    keypoint_edges: Optional[Sequence[Tuple[int, int]]] = None,
    track_ids: Optional[tf.Tensor] = None, max_boxes_to_draw: int = 20,
    min_score_thresh: float = 0.2,
    use_normalized_coordinates: bool = True) -> tf.Tensor:
  """Draws detections on a batch of image tensors (eager or in tf.function).

  Each image is first cropped to its true_image_shape (when given), then
  resized (nearest neighbour) to its original_image_spatial_shape (when
  given); boxes, masks and keypoints are drawn on the result with
  `visualize_boxes_and_labels_on_image_array` and line thickness 4.

  Args:
    images: uint8 [N, H, W, C] images; channels past 3 are dropped and C=1
      is repeated to RGB.
    boxes: float32 [N, max_detections, 4] boxes.
    classes: int or float [N, max_detections] 1-based class ids.
    scores: float32 [N, max_detections] scores.
    category_index: {class_id: {'id': class_id, 'name': str}}.
    original_image_spatial_shape: optional int [N, 2] (height, width) to
      resize each image to.
    true_image_shape: optional int [N, 3] unpadded shape of each image.
    instance_masks: optional [N, max_detections, H', W'] binary masks (any
      numeric dtype, cast to uint8) at the size of the drawn image.
    keypoints: optional float32 [N, max_detections, num_keypoints, 2].
    keypoint_scores: optional float32 [N, max_detections, num_keypoints].
    keypoint_edges: optional (start, end) keypoint index pairs to join.
    track_ids: optional int [N, max_detections] track ids (pick colours).
    max_boxes_to_draw: most boxes drawn per image; None for all.
    min_score_thresh: boxes need a score strictly above it.
    use_normalized_coordinates: whether boxes and keypoints are in [0, 1].

  Returns:
    uint8 [N, H', W', 3] images with the drawing; H', W' are H, W unless a
    crop or resize shape is given (then all images must end the same size).

  Raises:
    ValueError: if `images` is not a uint8 rank-4 tensor.
  """
  images = tf.convert_to_tensor(images)
  if images.dtype != tf.uint8 or images.shape.rank != 4:
    raise ValueError('`images` must be a uint8 [N, H, W, C] tensor, got %s %s'
                     % (images.dtype.name, images.shape))
  if images.shape[3] == 1:
    images = tf.image.grayscale_to_rgb(images)
  elif images.shape[3] is None or images.shape[3] > 3:
    images = images[..., :3]
  batch = shape_utils.combined_static_and_dynamic_shape(images)[0]
  unknown = lambda size: tf.fill(tf.stack([batch, size]), -1)
  inputs = [
      images, tf.cast(boxes, tf.float32), tf.cast(classes, tf.int64),
      tf.cast(scores, tf.float32),
      unknown(3) if true_image_shape is None else true_image_shape,
      unknown(2) if original_image_spatial_shape is None
      else original_image_spatial_shape]
  inputs[4:6] = [tf.cast(shape, tf.int32) for shape in inputs[4:6]]
  optional = (('instance_masks', instance_masks, tf.uint8),
              ('keypoints', keypoints, tf.float32),
              ('keypoint_scores', keypoint_scores, tf.float32),
              ('track_ids', track_ids, tf.int64))
  names = tuple(name for name, value, _ in optional if value is not None)
  inputs += [tf.cast(value, dtype) for _, value, dtype in optional
             if value is not None]
  draw_kwargs = dict(
      keypoint_edges=keypoint_edges, max_boxes_to_draw=max_boxes_to_draw,
      min_score_thresh=min_score_thresh, line_thickness=_TENSOR_LINE_THICKNESS,
      use_normalized_coordinates=use_normalized_coordinates)
  body = functools.partial(_draw_batch, category_index, names, draw_kwargs)
  drawn = tf.numpy_function(body, inputs, tf.uint8, stateful=False)
  same_size = true_image_shape is None and original_image_spatial_shape is None
  drawn.set_shape([images.shape[0]] + (
      images.shape[1:3].as_list() if same_size else [None, None]) + [3])
  return drawn


def _batched_eval_tensors(eval_dict: Mapping[str, object]
                          ) -> Dict[str, tf.Tensor]:
  """The eval_dict entries this module reads, each with a batch dimension."""
  keys = (_INPUTS.original_image, _INPUTS.original_image_spatial_shape,
          _INPUTS.true_image_shape, _INPUTS.groundtruth_boxes,
          _INPUTS.groundtruth_classes, _INPUTS.groundtruth_instance_masks,
          _INPUTS.groundtruth_keypoints, _INPUTS.num_groundtruth_boxes,
          _DETECTIONS.detection_boxes, _DETECTIONS.detection_scores,
          _DETECTIONS.detection_classes, _DETECTIONS.detection_masks,
          _DETECTIONS.detection_keypoints,
          _DETECTIONS.detection_keypoint_scores, _DETECTIONS.num_detections)
  required = (_INPUTS.original_image, _INPUTS.groundtruth_boxes,
              _INPUTS.groundtruth_classes, _DETECTIONS.detection_boxes,
              _DETECTIONS.detection_scores, _DETECTIONS.detection_classes)
  missing = [key for key in required if key not in eval_dict]
  if missing:
    raise ValueError('eval_dict: missing keys %s; required keys are %s' % (
        missing, list(required)))
  tensors = {key: tf.convert_to_tensor(eval_dict[key]) for key in keys
             if eval_dict.get(key) is not None}
  if tensors[_DETECTIONS.detection_classes].shape.rank == 1:
    for key, value in tensors.items():
      if key != _INPUTS.original_image or value.shape.rank == 3:
        tensors[key] = tf.expand_dims(value, 0)
  return tensors


def _one_image(tensors: Dict[str, tf.Tensor], key: str, index: int,
               count_key: str) -> Optional[tf.Tensor]:
  """tensors[key][index:index + 1], cut to its valid count when known."""
  if key not in tensors:
    return None
  value = tensors[key][index:index + 1]
  if count_key in tensors:
    value = value[:, :tf.cast(tensors[count_key][index], tf.int32)]
  return value


def draw_side_by_side_evaluation_image(
    eval_dict: Mapping[str, object], category_index: CategoryIndex,
    max_boxes_to_draw: int = 20, min_score_thresh: float = 0.2,
    use_normalized_coordinates: bool = True,
    keypoint_edges: Optional[Sequence[Tuple[int, int]]] = None
) -> List[tf.Tensor]:
  """Detections (left) beside groundtruth (right), one image per example.

  eval_dict keys (standard_fields; B is the batch, which may be left out of
  every entry for a single example, then original_image may be [H, W, 3]):
    InputDataFields.original_image: uint8 [B, H, W, 3].
    InputDataFields.original_image_spatial_shape: optional int [B, 2].
    InputDataFields.true_image_shape: optional int [B, 3].
    InputDataFields.groundtruth_boxes: float32 [B, num_boxes, 4].
    InputDataFields.groundtruth_classes: int [B, num_boxes], 1-based.
    InputDataFields.groundtruth_instance_masks: optional [B, num_boxes, H',
      W'] binary masks at the drawn image's size.
    InputDataFields.groundtruth_keypoints: optional float32 [B, num_boxes,
      num_keypoints, 2].
    InputDataFields.num_groundtruth_boxes: optional int [B] valid boxes.
    DetectionResultFields.detection_boxes: float32 [B, max_detections, 4].
    DetectionResultFields.detection_scores: float32 [B, max_detections].
    DetectionResultFields.detection_classes: int or float [B,
      max_detections], 1-based.
    DetectionResultFields.detection_masks: optional binary [B,
      max_detections, H', W'].
    DetectionResultFields.detection_keypoints and detection_keypoint_scores:
      optional [B, max_detections, num_keypoints, 2] and [..., num_keypoints].
    DetectionResultFields.num_detections: optional [B] valid detections.
  Groundtruth is drawn in full (every box, labelled 'name: 100%').

  Args:
    eval_dict: the dict above; other keys are ignored.
    category_index: {class_id: {'id': class_id, 'name': str}}.
    max_boxes_to_draw: most detections drawn per image.
    min_score_thresh: detections need a score strictly above it.
    use_normalized_coordinates: whether boxes and keypoints are in [0, 1].
    keypoint_edges: optional (start, end) keypoint index pairs to join.

  Returns:
    list of B uint8 [1, H', 2 * W', 3] tensors (H', W' as in
    `draw_bounding_boxes_on_image_tensors`).

  Raises:
    ValueError: if a required key is missing or the batch size is unknown.
  """
  tensors = _batched_eval_tensors(eval_dict)
  batch = tensors[_INPUTS.original_image].shape[0]
  if batch is None:
    raise ValueError('eval_dict: the batch size of %s must be static' %
                     _INPUTS.original_image)
  num_dets, num_gt = _DETECTIONS.num_detections, _INPUTS.num_groundtruth_boxes
  common = dict(category_index=category_index, keypoint_edges=keypoint_edges,
                use_normalized_coordinates=use_normalized_coordinates)
  side_by_side = []
  for i in range(batch):
    det = lambda key, i=i: _one_image(tensors, key, i, num_dets)
    gt = lambda key, i=i: _one_image(tensors, key, i, num_gt)
    shapes = dict(
        images=tensors[_INPUTS.original_image][i:i + 1],
        original_image_spatial_shape=_one_image(
            tensors, _INPUTS.original_image_spatial_shape, i, ''),
        true_image_shape=_one_image(tensors, _INPUTS.true_image_shape, i, ''))
    gt_classes = gt(_INPUTS.groundtruth_classes)
    with_detections = draw_bounding_boxes_on_image_tensors(
        boxes=det(_DETECTIONS.detection_boxes),
        classes=det(_DETECTIONS.detection_classes),
        scores=det(_DETECTIONS.detection_scores),
        instance_masks=det(_DETECTIONS.detection_masks),
        keypoints=det(_DETECTIONS.detection_keypoints),
        keypoint_scores=det(_DETECTIONS.detection_keypoint_scores),
        max_boxes_to_draw=max_boxes_to_draw,
        min_score_thresh=min_score_thresh, **shapes, **common)
    with_groundtruth = draw_bounding_boxes_on_image_tensors(
        boxes=gt(_INPUTS.groundtruth_boxes), classes=gt_classes,
        scores=tf.ones_like(gt_classes, dtype=tf.float32),
        instance_masks=gt(_INPUTS.groundtruth_instance_masks),
        keypoints=gt(_INPUTS.groundtruth_keypoints), max_boxes_to_draw=None,
        min_score_thresh=0.0, **shapes, **common)
    side_by_side.append(tf.concat([with_detections, with_groundtruth], 2))
  return side_by_side


def _required(arrays: Mapping[str, object], key: str, where: str):
  if arrays.get(key) is None:
    raise ValueError('%s: missing key %r' % (where, key))
  return np.asarray(arrays[key])


def _binary_masks(arrays: Mapping[str, object], key: str):
  if arrays.get(key) is None:
    return None
  masks = np.asarray(arrays[key])
  return masks.astype(np.uint8) if masks.dtype == bool else masks


def side_by_side_image(image: np.ndarray, detections: Mapping[str, object],
                       groundtruth: Mapping[str, object],
                       category_index: CategoryIndex,
                       max_boxes_to_draw: int = 20,
                       min_score_thresh: float = 0.2,
                       line_thickness: int = 2) -> np.ndarray:
  """numpy detections (left) beside groundtruth (right), for training loops.

  Boxes are ABSOLUTE pixels [ymin, xmin, ymax, xmax] in `image`. `image` is
  not modified. Detections are drawn as `visualize_boxes_and_labels_on_image_
  array` does ('name: 87%'); groundtruth boxes are all drawn in their class
  colour, labelled with the class name only.

  Args:
    image: uint8 [H, W, 3] image.
    detections: DetectionResultFields.detection_boxes float [N, 4],
      .detection_classes int [N] 1-based, .detection_scores float [N], and
      optionally .detection_masks uint8 or bool [N, H, W] with values 0/1.
    groundtruth: InputDataFields.groundtruth_boxes float [M, 4],
      .groundtruth_classes int [M] 1-based, and optionally
      .groundtruth_instance_masks uint8 or bool [M, H, W] with values 0/1.
    category_index: {class_id: {'id': class_id, 'name': str}}.
    max_boxes_to_draw: most detections drawn; None for all.
    min_score_thresh: detections need a score strictly above it.
    line_thickness: box outline width in pixels.

  Returns:
    uint8 [H, 2 * W, 3]: image[:, :W] has the detections, image[:, W:] the
    groundtruth.

  Raises:
    ValueError: if a required key is missing, `image` is not uint8 [H, W, 3],
      or an array has the wrong shape, dtype or values.
  """
  drawing.check_image_array(image)
  left, right = image.copy(), image.copy()
  visualize_boxes_and_labels_on_image_array(
      left, _required(detections, _DETECTIONS.detection_boxes, 'detections'),
      _required(detections, _DETECTIONS.detection_classes,
                'detections').astype(np.int64),
      _required(detections, _DETECTIONS.detection_scores, 'detections'),
      category_index,
      instance_masks=_binary_masks(detections, _DETECTIONS.detection_masks),
      max_boxes_to_draw=max_boxes_to_draw, min_score_thresh=min_score_thresh,
      line_thickness=line_thickness)
  gt_classes = _required(groundtruth, _INPUTS.groundtruth_classes,
                         'groundtruth').astype(np.int64)
  visualize_boxes_and_labels_on_image_array(
      right, _required(groundtruth, _INPUTS.groundtruth_boxes, 'groundtruth'),
      gt_classes, np.ones(gt_classes.shape, np.float32), category_index,
      instance_masks=_binary_masks(groundtruth,
                                   _INPUTS.groundtruth_instance_masks),
      max_boxes_to_draw=None, min_score_thresh=0.0,
      line_thickness=line_thickness, skip_scores=True)
  return np.concatenate([left, right], axis=1)
