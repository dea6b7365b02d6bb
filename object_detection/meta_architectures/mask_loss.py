"""Mask R-CNN mask targets and loss.

The target of a positive ROI is its matched groundtruth mask cropped to the
ROI box and bilinearly resized to mask_height x mask_width
(`tf.image.crop_and_resize` straight from the groundtruth masks, one crop
per ROI; full-image masks are never gathered per ROI). The loss is sigmoid
cross entropy on the mask of the ROI's groundtruth class, summed over
positive ROIs and pixels and divided by (number of positive ROIs *
mask_height * mask_width), as in the TF Object Detection API.

Boxes are normalised [ymin, xmin, ymax, xmax] relative to the padded image;
groundtruth masks are [num_gt, mask_frame_height, mask_frame_width] covering
the image from its top-left corner (either the padded size or the true
size, their pixels having the image's pixel size).
"""

from typing import Sequence

import tensorflow as tf

from object_detection.core import losses

MASK_LOSS_KEY = "Loss/BoxClassifierLoss/mask_loss"


def crop_mask_targets(groundtruth_masks_list: Sequence[tf.Tensor],
                      boxes: tf.Tensor, matched_gt_indices: tf.Tensor,
                      image_shape: tf.Tensor, mask_size: Sequence[int]
                      ) -> tf.Tensor:
  """Crops each ROI's matched groundtruth mask.

  Args:
    groundtruth_masks_list: batch float32 [num_gt_i, mask_frame_height,
      mask_frame_width] masks (all images share the frame size).
    boxes: float32 [batch, R, 4] normalised ROI boxes.
    matched_gt_indices: int32 [batch, R] index of the matched groundtruth in
      its image (any valid index for ROIs whose loss weight is 0).
    image_shape: int32 [4] padded input shape the boxes are normalised by.
    mask_size: (mask_height, mask_width).

  Returns:
    float32 [batch, R, mask_height, mask_width] targets in [0, 1].
  """
  masks = tf.concat([tf.cast(m, tf.float32) for m in groundtruth_masks_list],
                    axis=0)
  counts = tf.stack([tf.shape(m)[0] for m in groundtruth_masks_list])
  offsets = tf.cumsum(counts, exclusive=True)
  # One zero mask at the end, so indices stay valid when an image (or the
  # whole batch) has no groundtruth; such ROIs carry zero weight anyway.
  masks = tf.pad(masks, [[0, 1], [0, 0], [0, 0]])
  num_masks = tf.shape(masks)[0]
  box_indices = tf.minimum(offsets[:, tf.newaxis] + matched_gt_indices,
                           num_masks - 1)
  frame = tf.cast(tf.shape(masks)[1:3], tf.float32)
  image = tf.cast(image_shape[1:3], tf.float32)
  # Normalised to the padded image -> normalised to the mask frame.
  ratio = tf.tile(image / frame, [2])
  batch, num_rois = tf.shape(boxes)[0], tf.shape(boxes)[1]
  crops = tf.image.crop_and_resize(
      masks[:, :, :, tf.newaxis], tf.reshape(boxes * ratio, [-1, 4]),
      tf.reshape(box_indices, [-1]), list(mask_size))
  return tf.reshape(crops, [batch, num_rois, mask_size[0], mask_size[1]])


def select_class_masks(mask_logits: tf.Tensor,
                       class_indices: tf.Tensor) -> tf.Tensor:
  """Mask logits of each ROI's class.

  Args:
    mask_logits: float32 [batch, R, q, mask_height, mask_width]; q =
      num_classes, or 1 for class-agnostic masks.
    class_indices: int32 [batch, R] 0-based class (background excluded).

  Returns:
    float32 [batch, R, mask_height, mask_width].
  """
  if mask_logits.shape[2] == 1:
    return mask_logits[:, :, 0]
  return tf.gather(mask_logits, class_indices, axis=2, batch_dims=2)


class MaskLoss:
  """Sigmoid cross entropy of predicted masks against cropped targets.

  Args:
    weight: second_stage_mask_prediction_loss_weight, >= 0.
  """

  def __init__(self, weight: float = 1.0):
    self._weight = float(weight)
    self._loss = losses.WeightedSigmoidClassificationLoss()

  def __call__(self, mask_logits: tf.Tensor, class_indices: tf.Tensor,
               mask_targets: tf.Tensor, mask_weights: tf.Tensor,
               losses_mask=None) -> tf.Tensor:
    """Returns the weighted scalar mask loss.

    Args:
      mask_logits: float32 [batch, R, q, mask_height, mask_width].
      class_indices: int32 [batch, R] 0-based class of each ROI's target.
      mask_targets: float32 [batch, R, mask_height, mask_width].
      mask_weights: float32 [batch, R], 1 for positive ROIs, else 0.
      losses_mask: optional bool [batch].
    """
    with tf.name_scope("MaskLoss"):
      logits = select_class_masks(mask_logits, class_indices)
      height, width = logits.shape[2], logits.shape[3]
      batch = tf.shape(logits)[0]
      flat_logits = tf.reshape(logits, [batch, -1, height * width])
      flat_targets = tf.reshape(tf.stop_gradient(mask_targets),
                                [batch, -1, height * width])
      per_pixel = self._loss(flat_logits, flat_targets,
                             weights=mask_weights[:, :, tf.newaxis],
                             losses_mask=losses_mask)
      normalizer = tf.maximum(
          tf.reduce_sum(mask_weights) * float(height * width), 1.0)
      return tf.multiply(self._weight, tf.reduce_sum(per_pixel) / normalizer,
                         name="mask_loss")
