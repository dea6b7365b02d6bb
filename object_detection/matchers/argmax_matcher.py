"""Argmax matcher: each column goes to its most similar row, thresholded.

For every column (anchor) the best row (groundtruth) is found. With a
matched_threshold the column is

  * matched to that row if the best similarity >= matched_threshold;
  * "between" if unmatched_threshold <= best < matched_threshold;
  * "below" if best < unmatched_threshold.

With negatives_lower_than_unmatched=True (the default) "below" columns are
negatives (-1) and "between" ones ignored (-2); with False it is the other
way round. force_match_for_each_row then gives every valid row its best
column, overriding the thresholds, so that no groundtruth box is left
without an anchor. These are the TF Object Detection API semantics.
"""

from typing import Optional

import tensorflow as tf

from object_detection.core import matcher
from object_detection.utils import shape_utils


class ArgMaxMatcher(matcher.Matcher):
  """Matcher that picks the most similar row per column; see module doc.

  Args:
    matched_threshold: similarity at or above which a column is matched;
      None matches every column to its best row (no thresholds).
    unmatched_threshold: similarity below which a column is "below"; None
      means equal to matched_threshold.
    negatives_lower_than_unmatched: which side of unmatched_threshold is
      negative (-1) and which ignored (-2); see the module docstring.
    force_match_for_each_row: if True every valid row is matched to its
      most similar column.
    use_matmul_gather: gather with one-hot matrix products (TPU friendly).

  Raises:
    ValueError: if unmatched_threshold is given without matched_threshold,
      if unmatched_threshold > matched_threshold, or if they are equal while
      negatives_lower_than_unmatched is False (no column could be negative
      and matched at once).
  """

  def __init__(self,
               matched_threshold: Optional[float],
               unmatched_threshold: Optional[float] = None,
               negatives_lower_than_unmatched: bool = True,
               force_match_for_each_row: bool = False,
               use_matmul_gather: bool = False):
    super().__init__(use_matmul_gather=use_matmul_gather)
    if matched_threshold is None and unmatched_threshold is not None:
      raise ValueError(
          "ArgMaxMatcher: unmatched_threshold ({}) needs matched_threshold "
          "to be set too".format(unmatched_threshold))
    if matched_threshold is not None:
      matched_threshold = float(matched_threshold)
      if unmatched_threshold is None:
        unmatched_threshold = matched_threshold
      unmatched_threshold = float(unmatched_threshold)
      if unmatched_threshold > matched_threshold:
        raise ValueError(
            "ArgMaxMatcher: unmatched_threshold must be <= matched_threshold, "
            "got unmatched {} > matched {}".format(unmatched_threshold,
                                                   matched_threshold))
      if (unmatched_threshold == matched_threshold
          and not negatives_lower_than_unmatched):
        raise ValueError(
            "ArgMaxMatcher: with negatives_lower_than_unmatched false the "
            "thresholds must differ, got matched {} == unmatched {}".format(
                matched_threshold, unmatched_threshold))
    self._matched_threshold = matched_threshold
    self._unmatched_threshold = unmatched_threshold
    self._negatives_lower_than_unmatched = negatives_lower_than_unmatched
    self._force_match_for_each_row = force_match_for_each_row

  def _match(self, similarity_matrix: tf.Tensor,
             valid_rows: tf.Tensor) -> tf.Tensor:
    """Returns int32 [num_columns] match results.

    Args:
      similarity_matrix: float32 [num_rows, num_columns].
      valid_rows: bool [num_rows].
    """
    shape = shape_utils.combined_static_and_dynamic_shape(similarity_matrix)
    num_rows, num_columns = shape[0], shape[1]

    def no_rows() -> tf.Tensor:
      return -1 * tf.ones(tf.stack([num_columns]), dtype=tf.int32)

    def some_rows() -> tf.Tensor:
      return self._match_non_empty(similarity_matrix, valid_rows,
                                   num_columns)

    if isinstance(num_rows, int):
      return no_rows() if num_rows == 0 else some_rows()
    return tf.cond(tf.greater(num_rows, 0), some_rows, no_rows)

  def _match_non_empty(self, similarity_matrix: tf.Tensor,
                       valid_rows: tf.Tensor, num_columns) -> tf.Tensor:
    """Match results when there is at least one row."""
    matches = tf.argmax(similarity_matrix, axis=0, output_type=tf.int32)
    if self._matched_threshold is not None:
      best = tf.reduce_max(similarity_matrix, axis=0)  # [num_columns]
      below = tf.less(best, self._unmatched_threshold)
      between = tf.logical_and(
          tf.greater_equal(best, self._unmatched_threshold),
          tf.less(best, self._matched_threshold))
      below_value, between_value = (-1, -2) if (
          self._negatives_lower_than_unmatched) else (-2, -1)
      matches = tf.where(below, below_value, matches)
      matches = tf.where(between, between_value, matches)
    if not self._force_match_for_each_row:
      return matches
    # Every valid row claims its best column; a column claimed by several
    # rows goes to the lowest-index one (argmax returns the first maximum).
    best_column_per_row = tf.argmax(similarity_matrix, axis=1,
                                    output_type=tf.int32)  # [num_rows]
    claims = tf.one_hot(best_column_per_row, depth=num_columns,
                        dtype=tf.float32)
    claims *= tf.cast(tf.expand_dims(valid_rows, -1), tf.float32)
    claiming_row = tf.argmax(claims, axis=0, output_type=tf.int32)
    is_claimed = tf.reduce_max(claims, axis=0) > 0
    return tf.where(is_claimed, claiming_row, matches)
