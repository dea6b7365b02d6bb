"""Target assigner: classification and regression targets for anchors.

For one image, `TargetAssigner.assign` scores every (groundtruth, anchor)
pair with a similarity calculator, matches anchors to groundtruth with a
matcher, and then builds per-anchor targets:

  * cls_targets: the matched groundtruth label (any shape [d_1..d_k], e.g.
    one-hot classes or instance masks), `unmatched_class_label` otherwise;
  * cls_weights: the matched groundtruth weight, `negative_class_weight`
    for negatives, 0 for ignored anchors (broadcast to the label shape);
  * reg_targets: the box coder's encoding of the matched groundtruth box,
    zeros otherwise;
  * reg_weights: the matched groundtruth weight, 0 otherwise.

`batch_assign` does the same for a batch given as lists, one entry per
image. Groundtruth rows with weight 0 (e.g. padding) are never force-matched.
"""

from typing import List, Optional, Sequence, Tuple, Union

import tensorflow as tf

from object_detection.core import box_coder as box_coder_lib
from object_detection.core import box_list
from object_detection.core import matcher as matcher_lib
from object_detection.core import region_similarity_calculator as sim_calc
from object_detection.utils import shape_utils

AssignResult = Tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]


class TargetAssigner:
  """Assigns classification and regression targets to anchors.

  Args:
    similarity_calc: a RegionSimilarityCalculator (groundtruth vs anchors).
    matcher: a Matcher.
    box_coder_instance: a BoxCoder encoding matched groundtruth boxes
      relative to their anchors.
    negative_class_weight: classification weight of negative (unmatched)
      anchors, usually in [0, 1].

  Raises:
    ValueError: if an argument is not of the expected kind.
  """

  def __init__(self,
               similarity_calc: sim_calc.RegionSimilarityCalculator,
               matcher: matcher_lib.Matcher,
               box_coder_instance: box_coder_lib.BoxCoder,
               negative_class_weight: float = 1.0):
    if not isinstance(similarity_calc, sim_calc.RegionSimilarityCalculator):
      raise ValueError(
          "TargetAssigner: similarity_calc must be a "
          "RegionSimilarityCalculator, got {}".format(
              type(similarity_calc).__name__))
    if not isinstance(matcher, matcher_lib.Matcher):
      raise ValueError("TargetAssigner: matcher must be a Matcher, got "
                       "{}".format(type(matcher).__name__))
    if not isinstance(box_coder_instance, box_coder_lib.BoxCoder):
      raise ValueError("TargetAssigner: box_coder_instance must be a "
                       "BoxCoder, got {}".format(
                           type(box_coder_instance).__name__))
    self._similarity_calc = similarity_calc
    self._matcher = matcher
    self._box_coder = box_coder_instance
    self._negative_class_weight = float(negative_class_weight)

  @property
  def box_coder(self) -> box_coder_lib.BoxCoder:
    """The BoxCoder used for regression targets."""
    return self._box_coder

  def get_box_coder(self) -> box_coder_lib.BoxCoder:
    """Returns the BoxCoder used for regression targets."""
    return self._box_coder

  def assign(self,
             anchors: box_list.BoxList,
             groundtruth_boxes: box_list.BoxList,
             groundtruth_labels: Optional[tf.Tensor] = None,
             unmatched_class_label: Optional[tf.Tensor] = None,
             groundtruth_weights: Optional[tf.Tensor] = None
             ) -> AssignResult:
    """Assigns targets to the anchors of one image.

    Args:
      anchors: BoxList of num_anchors anchors.
      groundtruth_boxes: BoxList of num_gt boxes (same frame as anchors).
      groundtruth_labels: float32 [num_gt, d_1, ..., d_k] labels; None means
        a binary problem where every box has label [1.0] (k = 1, d_1 = 1).
      unmatched_class_label: float32 [d_1, ..., d_k] target of unmatched
        and ignored anchors; None means [0.0].
      groundtruth_weights: float32 [num_gt] weights; None means all 1.
        Rows with weight <= 0 are not force-matched.

    Returns:
      cls_targets: float32 [num_anchors, d_1, ..., d_k].
      cls_weights: float32 [num_anchors, d_1, ..., d_k].
      reg_targets: float32 [num_anchors, code_size].
      reg_weights: float32 [num_anchors].
      match: int32 [num_anchors] match results (>= 0 matched groundtruth
        index, -1 negative, -2 ignored).

    Raises:
      ValueError: if anchors or groundtruth_boxes are not BoxLists, or if
        static shapes of labels, boxes and unmatched label disagree.
    """
    if not isinstance(anchors, box_list.BoxList):
      raise ValueError("TargetAssigner.assign: anchors must be a BoxList")
    if not isinstance(groundtruth_boxes, box_list.BoxList):
      raise ValueError(
          "TargetAssigner.assign: groundtruth_boxes must be a BoxList")
    num_gt = shape_utils.combined_static_and_dynamic_shape(
        groundtruth_boxes.get())[0]
    if unmatched_class_label is None:
      unmatched_class_label = tf.constant([0.0], tf.float32)
    if groundtruth_labels is None:
      groundtruth_labels = tf.ones(tf.stack([num_gt, 1]), tf.float32)
    groundtruth_labels = tf.convert_to_tensor(groundtruth_labels)
    unmatched_class_label = tf.convert_to_tensor(unmatched_class_label,
                                                 groundtruth_labels.dtype)
    _check_static_shapes(groundtruth_labels, unmatched_class_label, num_gt)
    if groundtruth_weights is None:
      groundtruth_weights = tf.ones(tf.stack([num_gt]), tf.float32)

    similarity = self._similarity_calc.compare(groundtruth_boxes, anchors)
    match = self._matcher.match(
        similarity, valid_rows=tf.greater(groundtruth_weights, 0))

    reg_targets = self._create_regression_targets(anchors, groundtruth_boxes,
                                                  match)
    cls_targets = match.gather_based_on_match(
        groundtruth_labels, unmatched_value=unmatched_class_label,
        ignored_value=unmatched_class_label)
    reg_weights = match.gather_based_on_match(
        groundtruth_weights, unmatched_value=0.0, ignored_value=0.0)
    cls_weights = match.gather_based_on_match(
        groundtruth_weights, unmatched_value=self._negative_class_weight,
        ignored_value=0.0)
    # Per-anchor weight broadcast to every element of the label.
    label_rank = cls_targets.shape.rank - 1
    cls_weights = tf.broadcast_to(
        tf.reshape(cls_weights, [-1] + [1] * label_rank),
        tf.shape(cls_targets))

    num_anchors = anchors.num_boxes_static()
    if num_anchors is not None:
      for tensor in (cls_targets, cls_weights, reg_targets, reg_weights):
        _set_first_dim(tensor, num_anchors)
    cls_weights.set_shape(cls_targets.shape)
    return (cls_targets, cls_weights, reg_targets, reg_weights,
            match.match_results)

  def _create_regression_targets(self, anchors: box_list.BoxList,
                                 groundtruth_boxes: box_list.BoxList,
                                 match: matcher_lib.Match) -> tf.Tensor:
    """float32 [num_anchors, code_size]; zeros for unmatched anchors."""
    zeros = tf.zeros([4], tf.float32)
    matched_gt_boxes = match.gather_based_on_match(
        groundtruth_boxes.get(), unmatched_value=zeros, ignored_value=zeros)
    encoded = self._box_coder.encode(box_list.BoxList(matched_gt_boxes),
                                     anchors)
    return tf.where(tf.expand_dims(match.matched_column_indicator(), 1),
                    encoded, tf.zeros_like(encoded))


def _set_first_dim(tensor: tf.Tensor, size: int) -> None:
  """Sets the static first dimension of a graph tensor in place."""
  shape = tensor.shape.as_list()
  shape[0] = size
  tensor.set_shape(shape)


def _check_static_shapes(labels: tf.Tensor, unmatched_class_label: tf.Tensor,
                         num_gt) -> None:
  """Raises ValueError if known static shapes of the inputs disagree."""
  label_shape = labels.shape
  if label_shape.rank is None or label_shape.rank < 1:
    raise ValueError(
        "TargetAssigner.assign: groundtruth_labels must have rank >= 1, got "
        "shape {}".format(label_shape))
  if not label_shape[1:].is_compatible_with(unmatched_class_label.shape):
    raise ValueError(
        "TargetAssigner.assign: unmatched_class_label shape {} must equal "
        "the per-box label shape {}".format(unmatched_class_label.shape,
                                            label_shape[1:]))
  if (isinstance(num_gt, int) and label_shape[0] is not None
      and label_shape[0] != num_gt):
    raise ValueError(
        "TargetAssigner.assign: groundtruth_labels has {} rows but there are "
        "{} groundtruth boxes".format(label_shape[0], num_gt))


def batch_assign(target_assigner: TargetAssigner,
                 anchors_batch: Union[box_list.BoxList,
                                      Sequence[box_list.BoxList]],
                 gt_box_batch: Sequence[box_list.BoxList],
                 gt_class_targets_batch: Sequence[Optional[tf.Tensor]],
                 unmatched_class_label: Optional[tf.Tensor] = None,
                 gt_weights_batch: Optional[Sequence[Optional[tf.Tensor]]]
                 = None) -> AssignResult:
  """Assigns targets for every image of a batch and stacks them.

  Args:
    target_assigner: the TargetAssigner.
    anchors_batch: one BoxList shared by all images, or a list of
      batch_size BoxLists with the same number of anchors.
    gt_box_batch: list of batch_size groundtruth BoxLists.
    gt_class_targets_batch: list of batch_size float32
      [num_gt_i, d_1, ..., d_k] labels (entries may be None, see `assign`).
    unmatched_class_label: float32 [d_1, ..., d_k] target of unmatched
      anchors; None means [0.0].
    gt_weights_batch: list of batch_size float32 [num_gt_i] weights, or
      None for all ones.

  Returns:
    batch_cls_targets: float32 [batch_size, num_anchors, d_1, ..., d_k].
    batch_cls_weights: float32 [batch_size, num_anchors, d_1, ..., d_k].
    batch_reg_targets: float32 [batch_size, num_anchors, code_size].
    batch_reg_weights: float32 [batch_size, num_anchors].
    batch_match: int32 [batch_size, num_anchors] match results.

  Raises:
    ValueError: if anchors_batch holds something other than BoxLists or the
      list lengths differ.
  """
  if isinstance(anchors_batch, box_list.BoxList):
    anchors_batch = [anchors_batch] * len(gt_box_batch)
  anchors_batch = list(anchors_batch)
  if not all(isinstance(anchors, box_list.BoxList)
             for anchors in anchors_batch):
    raise ValueError(
        "batch_assign: anchors_batch must be a BoxList or a list of BoxLists")
  if not (len(anchors_batch) == len(gt_box_batch)
          == len(gt_class_targets_batch)):
    raise ValueError(
        "batch_assign: anchors_batch, gt_box_batch and gt_class_targets_batch "
        "must have the same length, got {}, {} and {}".format(
            len(anchors_batch), len(gt_box_batch),
            len(gt_class_targets_batch)))
  if gt_weights_batch is None:
    gt_weights_batch = [None] * len(gt_box_batch)
  if len(gt_weights_batch) != len(gt_box_batch):
    raise ValueError(
        "batch_assign: gt_weights_batch has {} entries for {} images".format(
            len(gt_weights_batch), len(gt_box_batch)))
  results: List[AssignResult] = [
      target_assigner.assign(anchors, gt_boxes, gt_labels,
                             unmatched_class_label, gt_weights)
      for anchors, gt_boxes, gt_labels, gt_weights in zip(
          anchors_batch, gt_box_batch, gt_class_targets_batch,
          gt_weights_batch)]
  return tuple(tf.stack(list(parts)) for parts in zip(*results))


# The TF OD API name used by its meta-architectures.
batch_assign_targets = batch_assign


def batch_get_targets(batch_match: tf.Tensor,
                      groundtruth_tensor_list: Sequence[tf.Tensor],
                      groundtruth_weights_list: Sequence[tf.Tensor],
                      unmatched_value: tf.Tensor,
                      unmatched_weight: float) -> Tuple[tf.Tensor, tf.Tensor]:
  """Gathers per-groundtruth tensors onto anchors using existing matches.

  Args:
    batch_match: int32 [batch_size, num_anchors] match results.
    groundtruth_tensor_list: batch_size tensors [num_gt_i, d_1, ..., d_k].
    groundtruth_weights_list: batch_size float32 [num_gt_i] weights.
    unmatched_value: [d_1, ..., d_k] target of unmatched/ignored anchors.
    unmatched_weight: weight of unmatched anchors (ignored ones get 0).

  Returns:
    targets: [batch_size, num_anchors, d_1, ..., d_k].
    weights: float32 [batch_size, num_anchors].
  """
  targets_list = []
  weights_list = []
  for match_results, gt_tensor, gt_weights in zip(
      tf.unstack(batch_match), groundtruth_tensor_list,
      groundtruth_weights_list):
    match = matcher_lib.Match(match_results)
    targets_list.append(match.gather_based_on_match(
        gt_tensor, unmatched_value=unmatched_value,
        ignored_value=unmatched_value))
    weights_list.append(match.gather_based_on_match(
        gt_weights, unmatched_value=unmatched_weight, ignored_value=0.0))
  return tf.stack(targets_list), tf.stack(weights_list)


def create_target_assigner(reference: str, stage: Optional[str] = None,
                           negative_class_weight: float = 1.0,
                           use_matmul_gather: bool = False) -> TargetAssigner:
  """Returns one of the standard target assigners of the TF OD API.

  Supported (reference, stage) pairs:
    ("FasterRCNN", "proposal"): IoU, ArgMaxMatcher(0.7, 0.3, force match
      for each row), FasterRcnnBoxCoder([10, 10, 5, 5]) -- the RPN.
    ("FasterRCNN", "detection"): IoU, ArgMaxMatcher(0.5, 0.5, IoU < 0.5
      negative), FasterRcnnBoxCoder([10, 10, 5, 5]) -- the box classifier.
    ("FastRCNN", any stage): IoU, ArgMaxMatcher(0.5, 0.1, IoU < 0.1
      ignored), FasterRcnnBoxCoder() without scaling.

  Args:
    reference: "FasterRCNN" or "FastRCNN".
    stage: "proposal" or "detection" for FasterRCNN.
    negative_class_weight: classification weight of negative anchors.
    use_matmul_gather: gather with one-hot matrix products.

  Returns:
    a TargetAssigner.

  Raises:
    ValueError: for any other (reference, stage) pair.
  """
  # Imported here: concrete coders and matchers sit beside core, not in it.
  from object_detection.box_coders import faster_rcnn_box_coder  # pylint: disable=g-import-not-at-top
  from object_detection.matchers import argmax_matcher  # pylint: disable=g-import-not-at-top

  similarity_calc = sim_calc.IouSimilarity()
  if reference == "FasterRCNN" and stage == "proposal":
    matcher = argmax_matcher.ArgMaxMatcher(
        matched_threshold=0.7, unmatched_threshold=0.3,
        force_match_for_each_row=True, use_matmul_gather=use_matmul_gather)
    coder = faster_rcnn_box_coder.FasterRcnnBoxCoder(
        scale_factors=[10.0, 10.0, 5.0, 5.0])
  elif reference == "FasterRCNN" and stage == "detection":
    matcher = argmax_matcher.ArgMaxMatcher(
        matched_threshold=0.5, negatives_lower_than_unmatched=True,
        use_matmul_gather=use_matmul_gather)
    coder = faster_rcnn_box_coder.FasterRcnnBoxCoder(
        scale_factors=[10.0, 10.0, 5.0, 5.0])
  elif reference == "FastRCNN":
    matcher = argmax_matcher.ArgMaxMatcher(
        matched_threshold=0.5, unmatched_threshold=0.1,
        force_match_for_each_row=False, negatives_lower_than_unmatched=False,
        use_matmul_gather=use_matmul_gather)
    coder = faster_rcnn_box_coder.FasterRcnnBoxCoder()
  else:
    raise ValueError(
        "create_target_assigner: unsupported reference {!r} with stage {!r}; "
        "supported: ('FasterRCNN', 'proposal'), ('FasterRCNN', 'detection'), "
        "('FastRCNN', any)".format(reference, stage))
  return TargetAssigner(similarity_calc, matcher, coder,
                        negative_class_weight=negative_class_weight)
