"""Tests for object_detection/builders/matcher_builder.py."""

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

from object_detection.builders import matcher_builder
from object_detection.matchers import argmax_matcher
from object_detection.protos import matcher_pb2

# Best row per column: values [.8, .45, .2, .6 (row 1)].
_SIMILARITY = tf.constant([[0.8, 0.45, 0.2, 0.1], [0.1, 0.3, 0.1, 0.6]])


def _match(text):
  matcher = matcher_builder.build(text_format.Parse(text,
                                                    matcher_pb2.Matcher()))
  assert isinstance(matcher, argmax_matcher.ArgMaxMatcher)
  return matcher.match(_SIMILARITY).match_results.numpy()


def test_argmax_thresholds():
  # >= .5 matched, [.4, .5) ignored, < .4 negative.
  np.testing.assert_array_equal(
      _match("argmax_matcher { matched_threshold: 0.5 "
             "unmatched_threshold: 0.4 }"), [0, -2, -1, 1])


def test_argmax_defaults_are_0_5_and_0_5():
  np.testing.assert_array_equal(_match("argmax_matcher {}"), [0, -1, -1, 1])


def test_argmax_ignore_thresholds_matches_everything():
  np.testing.assert_array_equal(
      _match("argmax_matcher { ignore_thresholds: true }"), [0, 0, 0, 1])


def test_argmax_negatives_between_thresholds():
  np.testing.assert_array_equal(
      _match("argmax_matcher { matched_threshold: 0.5 unmatched_threshold: "
             "0.4 negatives_lower_than_unmatched: false }"), [0, -1, -2, 1])


@pytest.mark.parametrize("text, message", [
    ("", "matcher: no matcher set; expected one of: argmax_matcher"),
    ("bipartite_matcher {}", "matcher.bipartite_matcher: not supported; "
     "supported matchers: argmax_matcher"),
    ("argmax_matcher { matched_threshold: 0.4 unmatched_threshold: 0.5 }",
     r"matcher.argmax_matcher.unmatched_threshold: must be <= "
     r"matched_threshold \(0.4\d*\), got 0.5"),
    ("argmax_matcher { negatives_lower_than_unmatched: false }",
     "matcher.argmax_matcher: matched_threshold and unmatched_threshold must "
     "differ when negatives_lower_than_unmatched is false, both are 0.5"),
])
def test_errors(text, message):
  with pytest.raises(ValueError, match="^" + message):
    matcher_builder.build(text_format.Parse(text, matcher_pb2.Matcher()))


def test_type_error():
  with pytest.raises(TypeError, match="matcher: expected a Matcher message"):
    matcher_builder.build(matcher_pb2.Matcher().argmax_matcher)
