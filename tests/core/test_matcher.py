"""Tests for object_detection/core/matcher.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import matcher

# Column:        0  1   2  3   4  5   6
_MATCH_RESULTS = [3, 1, -1, 0, -1, 5, -2]


@pytest.fixture(params=[False, True], ids=["gather", "matmul_gather"])
def match(request):
  return matcher.Match(tf.constant(_MATCH_RESULTS, tf.int32),
                       use_matmul_gather=request.param)


def test_column_and_row_indices(match):
  np.testing.assert_array_equal(match.matched_column_indices(), [0, 1, 3, 5])
  np.testing.assert_array_equal(match.matched_row_indices(), [3, 1, 0, 5])
  np.testing.assert_array_equal(match.unmatched_column_indices(), [2, 4])
  np.testing.assert_array_equal(match.ignored_column_indices(), [6])
  np.testing.assert_array_equal(match.unmatched_or_ignored_column_indices(),
                                [2, 4, 6])
  np.testing.assert_array_equal(
      match.matched_column_indicator(),
      [True, True, False, True, False, True, False])
  np.testing.assert_array_equal(
      match.unmatched_column_indicator(),
      [False, False, True, False, True, False, False])
  np.testing.assert_array_equal(
      match.ignored_column_indicator(),
      [False, False, False, False, False, False, True])


def test_counts(match):
  assert int(match.num_matched_columns()) == 4
  assert int(match.num_unmatched_columns()) == 2
  assert int(match.num_ignored_columns()) == 1
  assert int(match.num_matched_rows()) == 4


def test_gather_based_on_match(match):
  # Row r holds [10 r, -r]; unmatched -> [-1, -1], ignored -> [-2, -2].
  rows = tf.constant([[10.0 * r, -float(r)] for r in range(6)])
  gathered = match.gather_based_on_match(
      rows, unmatched_value=tf.constant([-1.0, -1.0]),
      ignored_value=tf.constant([-2.0, -2.0]))
  np.testing.assert_allclose(
      gathered.numpy(),
      [[30, -3], [10, -1], [-1, -1], [0, 0], [-1, -1], [50, -5], [-2, -2]])


def test_num_matched_rows_counts_distinct_rows():
  match = matcher.Match(tf.constant([0, 0, 1, -1], tf.int32))
  assert int(match.num_matched_rows()) == 2


@pytest.mark.parametrize("value, message", [
    ([[0, 1]], "match_results must have rank 1"),
    (np.array([0, 1], np.int64), "match_results must be int32, got int64"),
])
def test_bad_match_results(value, message):
  with pytest.raises(ValueError, match=message):
    matcher.Match(tf.constant(value))


def test_matcher_defaults_valid_rows_to_all_rows():
  seen = {}

  class _Recorder(matcher.Matcher):

    def _match(self, similarity_matrix, valid_rows):
      seen["valid_rows"] = valid_rows
      return tf.zeros([tf.shape(similarity_matrix)[1]], tf.int32)

  result = _Recorder().match(tf.zeros([2, 3]))
  np.testing.assert_array_equal(seen["valid_rows"], [True, True])
  np.testing.assert_array_equal(result.match_results, [0, 0, 0])
