"""TensorBoard summaries of training and evaluation.

Training (model_dir/train): every loss under its TF OD API tag,
`learning_rate`, `steps_per_sec`, and `train_input_images`: a few
training images as the model sees them, with their groundtruth boxes and
masks drawn. Evaluation (model_dir/eval): the metrics, the evaluation
losses and `eval_side_by_side_<i>` images (detections left, groundtruth
right).
"""

from typing import Dict, Mapping, Sequence

import numpy as np
import tensorflow as tf

from object_detection.core import standard_fields as fields
from object_detection.utils import visualization_utils

_Input = fields.InputDataFields
_Detections = fields.DetectionResultFields


def write_scalars(writer, scalars: Mapping[str, float], step: int) -> None:
  """One tf.summary.scalar per entry, flushed."""
  with writer.as_default():
    for name, value in scalars.items():
      tf.summary.scalar(name, value, step=step)
  writer.flush()


def _displayable(image: np.ndarray, original: bool) -> np.ndarray:
  """uint8 [H, W, 3]: the original image, or a preprocessed one rescaled."""
  if original:
    return np.asarray(image, np.uint8)[..., :3].copy()
  image = np.asarray(image, np.float32)[..., :3]
  low, high = float(image.min()), float(image.max())
  scale = 255.0 / (high - low) if high > low else 0.0
  return ((image - low) * scale).astype(np.uint8)


def training_images(features: Mapping[str, tf.Tensor],
                    labels: Mapping[str, tf.Tensor],
                    category_index: Mapping[int, dict],
                    max_images: int = 3) -> np.ndarray:
  """uint8 [N, H, W, 3] training images with groundtruth drawn.

  Uses features['original_image'] when the batch has it (the
  retain_original_images setting), else the preprocessed image rescaled
  to [0, 255].
  """
  original = _Input.original_image in features
  images = np.asarray(features[_Input.original_image if original
                               else _Input.image])[:max_images]
  counts = np.asarray(labels[_Input.num_groundtruth_boxes])
  boxes = np.asarray(labels[_Input.groundtruth_boxes])
  classes = np.argmax(np.asarray(labels[_Input.groundtruth_classes]),
                      axis=-1) + 1
  masks = labels.get(_Input.groundtruth_instance_masks)
  drawn = []
  for i, image in enumerate(images):
    picture = _displayable(image, original)
    count = int(counts[i])
    instance_masks = None
    if masks is not None:
      instance_masks = (np.asarray(masks[i][:count]) > 0.5).astype(np.uint8)
      instance_masks = instance_masks[:, :picture.shape[0], :picture.shape[1]]
    visualization_utils.visualize_boxes_and_labels_on_image_array(
        picture, boxes[i][:count], classes[i][:count].astype(np.int32), None,
        category_index, instance_masks=instance_masks,
        use_normalized_coordinates=True, max_boxes_to_draw=None,
        line_thickness=1)
    drawn.append(picture)
  return np.stack(drawn)


def write_training_images(writer, features, labels, category_index,
                          step: int, max_images: int = 3) -> None:
  """Writes `train_input_images` for the first images of a batch."""
  images = training_images(features, labels, category_index, max_images)
  with writer.as_default():
    tf.summary.image("train_input_images", images, step=step,
                     max_outputs=max_images)
  writer.flush()


def write_evaluation(writer, metrics: Mapping[str, float],
                     visualizations: Sequence[Dict[str, np.ndarray]],
                     category_index: Mapping[int, dict], step: int,
                     min_score_thresh: float = 0.2,
                     max_boxes_to_draw: int = 20) -> None:
  """Writes the metrics and the side-by-side images of an evaluation."""
  write_scalars(writer, metrics, step)
  with writer.as_default():
    for index, example in enumerate(visualizations):
      picture = visualization_utils.side_by_side_image(
          example["image"],
          {key: example[key] for key in example
           if key.startswith("detection_")},
          {key: example[key] for key in example
           if key.startswith("groundtruth_")},
          category_index, max_boxes_to_draw=max_boxes_to_draw,
          min_score_thresh=min_score_thresh)
      tf.summary.image("eval_side_by_side_%d" % index, picture[np.newaxis],
                       step=step)
  writer.flush()
