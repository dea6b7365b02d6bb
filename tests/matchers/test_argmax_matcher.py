"""Tests for object_detection/matchers/argmax_matcher.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.matchers import argmax_matcher

# Rows are groundtruth, columns anchors. Best row / value per column:
# col 0: row 1 (2), col 1: row 0 (1), col 2: row 1 (2), col 3: row 0 (3),
# col 4: row 1 (4).
_SIMILARITY = [[1.0, 1.0, 1.0, 3.0, 1.0],
               [2.0, -1.0, 2.0, 0.0, 4.0]]


def _match(similarity, valid_rows=None, **kwargs):
  matcher = argmax_matcher.ArgMaxMatcher(**kwargs)
  return matcher.match(tf.constant(similarity, tf.float32),
                       valid_rows=valid_rows).match_results.numpy()


def test_no_thresholds_matches_every_column_to_its_best_row():
  np.testing.assert_array_equal(
      _match(_SIMILARITY, matched_threshold=None), [1, 0, 1, 0, 1])


def test_thresholds_negatives_below_unmatched():
  # matched >= 3, [2, 3) ignored (-2), < 2 negative (-1).
  np.testing.assert_array_equal(
      _match(_SIMILARITY, matched_threshold=3.0, unmatched_threshold=2.0),
      [-2, -1, -2, 0, 1])


def test_thresholds_negatives_between_thresholds():
  # matched >= 3, [2, 3) negative (-1), < 2 ignored (-2).
  np.testing.assert_array_equal(
      _match(_SIMILARITY, matched_threshold=3.0, unmatched_threshold=2.0,
             negatives_lower_than_unmatched=False),
      [-1, -2, -1, 0, 1])


def test_unmatched_threshold_defaults_to_matched_threshold():
  # Everything below 3 is negative.
  np.testing.assert_array_equal(
      _match(_SIMILARITY, matched_threshold=3.0), [-1, -1, -1, 0, 1])


# Row 0's best column is 2 (0.6); row 1's best is column 0 (0.3), below the
# thresholds 0.5 / 0.4, so only forcing matches it.
_FORCE_SIMILARITY = [[0.1, 0.2, 0.6], [0.3, 0.1, 0.2]]


def test_force_match_for_each_row():
  np.testing.assert_array_equal(
      _match(_FORCE_SIMILARITY, matched_threshold=0.5,
             unmatched_threshold=0.4), [-1, -1, 0])
  np.testing.assert_array_equal(
      _match(_FORCE_SIMILARITY, matched_threshold=0.5,
             unmatched_threshold=0.4, force_match_for_each_row=True),
      [1, -1, 0])


def test_force_match_skips_invalid_rows():
  np.testing.assert_array_equal(
      _match(_FORCE_SIMILARITY, valid_rows=tf.constant([True, False]),
             matched_threshold=0.5, unmatched_threshold=0.4,
             force_match_for_each_row=True), [-1, -1, 0])


def test_force_match_conflict_goes_to_lowest_row():
  # Both rows' best column is 0.
  np.testing.assert_array_equal(
      _match([[0.3, 0.1], [0.2, 0.0]], matched_threshold=0.5,
             force_match_for_each_row=True), [0, -1])


def test_empty_similarity_static_and_graph():
  np.testing.assert_array_equal(
      _match(np.zeros([0, 3]), matched_threshold=0.5), [-1, -1, -1])
  matcher = argmax_matcher.ArgMaxMatcher(0.5, force_match_for_each_row=True)

  @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
  def match(similarity):
    return matcher.match(similarity).match_results

  np.testing.assert_array_equal(match(tf.zeros([0, 3])), [-1, -1, -1])
  np.testing.assert_array_equal(
      match(tf.constant(_FORCE_SIMILARITY)), [1, -1, 0])


def test_use_matmul_gather_is_passed_to_match():
  matcher = argmax_matcher.ArgMaxMatcher(0.5, use_matmul_gather=True)
  match = matcher.match(tf.constant([[0.9, 0.1]]))
  gathered = match.gather_based_on_match(tf.constant([7.0]), -1.0, -2.0)
  np.testing.assert_allclose(gathered.numpy(), [7.0, -1.0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(matched_threshold=None, unmatched_threshold=0.3),
     r"unmatched_threshold \(0.3\) needs matched_threshold"),
    (dict(matched_threshold=0.3, unmatched_threshold=0.5),
     r"unmatched_threshold must be <= matched_threshold, got unmatched 0.5 > "
     r"matched 0.3"),
    (dict(matched_threshold=0.5, unmatched_threshold=0.5,
          negatives_lower_than_unmatched=False),
     r"thresholds must differ, got matched 0.5 == unmatched 0.5"),
])
def test_bad_thresholds(kwargs, message):
  with pytest.raises(ValueError, match=message):
    argmax_matcher.ArgMaxMatcher(**kwargs)
