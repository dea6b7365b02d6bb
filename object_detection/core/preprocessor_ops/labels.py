"""Label ops: softmax of class logits, random dropping and remapping of labels.

As in the TF OD API, these steps run on the decoded tensor dict before the
classes are one-hot encoded: `groundtruth_classes` holds int class ids
[num_boxes] (1-based, as in the records). Boxes are normalised float32
[num_boxes, 4] [ymin, xmin, ymax, xmax].
"""

from typing import Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import random_ops

PreprocessorCache = random_ops.PreprocessorCache


def convert_class_logits_to_softmax(multiclass_scores: tf.Tensor,
                                    temperature: float = 1.0) -> tf.Tensor:
  """softmax(multiclass_scores / temperature) over the classes.

  Args:
    multiclass_scores: float32 [num_boxes, num_classes] class logits.
    temperature: > 0; larger values give flatter distributions.
  Returns:
    float32 [num_boxes, num_classes] class probabilities.
  Raises:
    ValueError: no multiclass_scores (the func_arg_map was built without
      include_multiclass_scores), or temperature <= 0.
  """
  if multiclass_scores is None:
    raise ValueError(
        "convert_class_logits_to_softmax needs the multiclass_scores field: "
        "build the func_arg_map with include_multiclass_scores=True")
  if temperature <= 0:
    raise ValueError(
        "convert_class_logits_to_softmax.temperature must be > 0, got "
        "{}".format(temperature))
  scores = tf.cast(tf.convert_to_tensor(multiclass_scores), tf.float32)
  return tf.nn.softmax(scores / float(temperature), axis=-1)


def drop_label_probabilistically(
    boxes: tf.Tensor,
    labels: tf.Tensor,
    label_weights: Optional[tf.Tensor] = None,
    label_confidences: Optional[tf.Tensor] = None,
    multiclass_scores: Optional[tf.Tensor] = None,
    masks: Optional[tf.Tensor] = None,
    keypoints: Optional[tf.Tensor] = None,
    box_indices: Optional[tf.Tensor] = None,
    dropped_label: Optional[int] = None,
    drop_probability: float = 0.0,
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[PreprocessorCache] = None
) -> List[tf.Tensor]:
  """Drops each box of class dropped_label with probability drop_probability.

  Every box draws its own uniform value u in [0, 1); a box is kept when its
  label differs from dropped_label or u > drop_probability. Its label,
  weight, confidence, scores, mask, keypoints and index go with it.

  Args:
    boxes: float32 [num_boxes, 4] boxes.
    labels: int [num_boxes] class ids.
    label_weights: optional float32 [num_boxes].
    label_confidences: optional float32 [num_boxes].
    multiclass_scores: optional float32 [num_boxes, num_classes].
    masks: optional [num_boxes, height, width] instance masks.
    keypoints: optional float32 [num_boxes, num_keypoints, 2].
    box_indices: optional int32 [num_boxes] (see arg_fields).
    dropped_label: the class id to drop.
    drop_probability: chance of dropping each box of that class.
    seed: see random_ops.
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    The given non-None arguments, in argument order, restricted to the kept
    boxes ([num_kept, ...]).
  Raises:
    ValueError: dropped_label is not set.
  """
  if dropped_label is None:
    raise ValueError("drop_label_probabilistically.dropped_label must be set")
  labels = tf.convert_to_tensor(labels)
  draws = random_ops.cached(
      preprocess_vars_cache, "drop_label_probabilistically", "draws",
      lambda: random_ops.uniform(tf.shape(labels)[:1], seed))
  keep = tf.logical_or(draws > drop_probability,
                       tf.not_equal(labels, tf.cast(dropped_label,
                                                    labels.dtype)))
  indices = tf.where(keep)[:, 0]
  per_box = (boxes, labels, label_weights, label_confidences,
             multiclass_scores, masks, keypoints, box_indices)
  return [tf.gather(tensor, indices) for tensor in per_box
          if tensor is not None]


def remap_labels(labels: tf.Tensor,
                 original_labels: Optional[Sequence[int]] = None,
                 new_label: Optional[int] = None) -> tf.Tensor:
  """Replaces every class id found in original_labels by new_label.

  Args:
    labels: int [num_boxes] class ids.
    original_labels: class ids to remap.
    new_label: the class id they become.
  Returns:
    [num_boxes] class ids, same dtype as labels.
  Raises:
    ValueError: original_labels or new_label is not set.
  """
  if original_labels is None or new_label is None:
    raise ValueError(
        "remap_labels needs original_labels and new_label, got "
        "original_labels={!r} new_label={!r}".format(original_labels,
                                                     new_label))
  labels = tf.convert_to_tensor(labels)
  originals = tf.constant(list(original_labels), dtype=labels.dtype,
                          shape=[len(original_labels)])
  # [num_boxes, num_original_labels]
  matches = tf.equal(labels[:, tf.newaxis], originals[tf.newaxis, :])
  remap = tf.reduce_any(matches, axis=1)
  return tf.where(remap, tf.cast(new_label, labels.dtype), labels)


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable, Tuple[Optional[str], ...]]:
  """The tensor_dict keys of each label op's positional arguments."""
  return {
      convert_class_logits_to_softmax: (fields.multiclass_scores,),
      drop_label_probabilistically: (
          fields.boxes, fields.classes, fields.label_weights,
          fields.label_confidences, fields.multiclass_scores, fields.masks,
          fields.keypoints, fields.box_indices),
      remap_labels: (fields.classes,),
  }
