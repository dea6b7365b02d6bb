"""Matcher interface and the Match result.

A matcher pairs the rows of a similarity matrix (groundtruth boxes) with
its columns (anchors). The result is one int32 per column:

  * match_results[i] >= 0: column i is matched to row match_results[i];
  * match_results[i] == -1: column i is unmatched (a negative);
  * match_results[i] == -2: column i is ignored (neither positive nor
    negative).

`Match` wraps that vector and answers the usual questions (which columns
are matched, to which rows) and gathers per-row values onto columns.
"""

import abc
from typing import Optional

import tensorflow as tf

from object_detection.utils import shape_utils


def _flat_int32_indices(indicator: tf.Tensor) -> tf.Tensor:
  """int32 [K] positions where a bool [N] indicator is True."""
  return tf.cast(tf.reshape(tf.where(indicator), [-1]), tf.int32)


class Match:
  """The result of matching rows (groundtruth) to columns (anchors).

  Args:
    match_results: int32 [num_columns]; see the module docstring.
    use_matmul_gather: if True, `gather_based_on_match` gathers with a
      one-hot matrix product instead of `tf.gather` (friendlier to TPUs).

  Raises:
    ValueError: if match_results is not rank 1 or not int32.
  """

  def __init__(self, match_results: tf.Tensor,
               use_matmul_gather: bool = False):
    match_results = tf.convert_to_tensor(match_results)
    if match_results.shape.rank != 1:
      raise ValueError(
          "Match: match_results must have rank 1, got shape {}".format(
              match_results.shape))
    if match_results.dtype != tf.int32:
      raise ValueError(
          "Match: match_results must be int32, got {}".format(
              match_results.dtype.name))
    self._match_results = match_results
    self._use_matmul_gather = use_matmul_gather

  @property
  def match_results(self) -> tf.Tensor:
    """int32 [num_columns] raw match vector."""
    return self._match_results

  def matched_column_indices(self) -> tf.Tensor:
    """int32 [num_matched] indices of matched columns, ascending."""
    return _flat_int32_indices(self.matched_column_indicator())

  def matched_column_indicator(self) -> tf.Tensor:
    """bool [num_columns], True where the column is matched."""
    return tf.greater_equal(self._match_results, 0)

  def num_matched_columns(self) -> tf.Tensor:
    """int32 scalar number of matched columns."""
    return tf.reduce_sum(tf.cast(self.matched_column_indicator(), tf.int32))

  def unmatched_column_indices(self) -> tf.Tensor:
    """int32 [num_unmatched] indices of unmatched (-1) columns."""
    return _flat_int32_indices(self.unmatched_column_indicator())

  def unmatched_column_indicator(self) -> tf.Tensor:
    """bool [num_columns], True where the column is unmatched (-1)."""
    return tf.equal(self._match_results, -1)

  def num_unmatched_columns(self) -> tf.Tensor:
    """int32 scalar number of unmatched columns."""
    return tf.reduce_sum(tf.cast(self.unmatched_column_indicator(), tf.int32))

  def ignored_column_indices(self) -> tf.Tensor:
    """int32 [num_ignored] indices of ignored (-2) columns."""
    return _flat_int32_indices(self.ignored_column_indicator())

  def ignored_column_indicator(self) -> tf.Tensor:
    """bool [num_columns], True where the column is ignored (-2)."""
    return tf.equal(self._match_results, -2)

  def num_ignored_columns(self) -> tf.Tensor:
    """int32 scalar number of ignored columns."""
    return tf.reduce_sum(tf.cast(self.ignored_column_indicator(), tf.int32))

  def unmatched_or_ignored_column_indices(self) -> tf.Tensor:
    """int32 [K] indices of columns that are unmatched or ignored."""
    return _flat_int32_indices(tf.less(self._match_results, 0))

  def matched_row_indices(self) -> tf.Tensor:
    """int32 [num_matched] row matched to each matched column.

    Aligned with `matched_column_indices()`: entry k is the row of column
    matched_column_indices()[k].
    """
    return tf.gather(self._match_results, self.matched_column_indices())

  def num_matched_rows(self) -> tf.Tensor:
    """int32 scalar number of distinct rows matched to some column."""
    unique_rows, _ = tf.unique(self.matched_row_indices())
    return tf.size(unique_rows)

  def gather_based_on_match(self, input_tensor: tf.Tensor,
                            unmatched_value: tf.Tensor,
                            ignored_value: tf.Tensor) -> tf.Tensor:
    """Gathers a per-row value onto every column.

    Args:
      input_tensor: [num_rows, d_1, ..., d_k] values, one per row.
      unmatched_value: [d_1, ..., d_k] value for unmatched columns.
      ignored_value: [d_1, ..., d_k] value for ignored columns.

    Returns:
      [num_columns, d_1, ..., d_k] tensor of the dtype of input_tensor:
      input_tensor[match_results[i]] for matched columns, the unmatched or
      ignored value otherwise.
    """
    input_tensor = tf.convert_to_tensor(input_tensor)
    unmatched_value = tf.cast(unmatched_value, input_tensor.dtype)
    ignored_value = tf.cast(ignored_value, input_tensor.dtype)
    # Row 0 = ignored value, row 1 = unmatched value, then the real rows, so
    # that match + 2 indexes the right row for every kind of column.
    table = tf.concat(
        [tf.stack([ignored_value, unmatched_value]), input_tensor], axis=0)
    gather_indices = tf.maximum(self._match_results + 2, 0)
    if self._use_matmul_gather:
      return _matmul_gather(table, gather_indices)
    return tf.gather(table, gather_indices)


def _matmul_gather(params: tf.Tensor, indices: tf.Tensor) -> tf.Tensor:
  """tf.gather(params, indices) on axis 0 as a one-hot matrix product."""
  params_shape = shape_utils.combined_static_and_dynamic_shape(params)
  flat_params = tf.reshape(params, [params_shape[0], -1])  # [R, D]
  one_hot = tf.one_hot(indices, params_shape[0], dtype=flat_params.dtype)
  gathered = tf.matmul(one_hot, flat_params)  # [K, D]
  num_indices = shape_utils.combined_static_and_dynamic_shape(indices)[0]
  return tf.reshape(gathered, [num_indices] + params_shape[1:])


class Matcher(abc.ABC):
  """Matches the rows of a similarity matrix to its columns.

  Args:
    use_matmul_gather: passed on to the returned `Match` objects.
  """

  def __init__(self, use_matmul_gather: bool = False):
    self._use_matmul_gather = use_matmul_gather

  def match(self, similarity_matrix: tf.Tensor,
            valid_rows: Optional[tf.Tensor] = None,
            scope: Optional[str] = None) -> Match:
    """Matches each column to at most one row.

    Args:
      similarity_matrix: float32 [num_rows, num_columns] similarity (larger
        is more similar), rows are groundtruth, columns anchors.
      valid_rows: bool [num_rows], False for padding rows that must never
        be matched; None means every row is valid.
      scope: optional name scope.

    Returns:
      a Match over the num_columns columns.
    """
    with tf.name_scope(scope or "Match"):
      similarity_matrix = tf.convert_to_tensor(similarity_matrix)
      if valid_rows is None:
        num_rows = shape_utils.combined_static_and_dynamic_shape(
            similarity_matrix)[0]
        valid_rows = tf.ones(tf.stack([num_rows]), dtype=tf.bool)
      return Match(self._match(similarity_matrix, valid_rows),
                   self._use_matmul_gather)

  @abc.abstractmethod
  def _match(self, similarity_matrix: tf.Tensor,
             valid_rows: tf.Tensor) -> tf.Tensor:
    """Returns int32 [num_columns] match results; see `match`."""
