"""Tests for object_detection/builders/region_similarity_calculator_builder.py.
"""

import pytest
from google.protobuf import text_format

from object_detection.builders import region_similarity_calculator_builder
from object_detection.core import region_similarity_calculator as sim_calc
from object_detection.protos import region_similarity_calculator_pb2


def _build(text):
  return region_similarity_calculator_builder.build(text_format.Parse(
      text, region_similarity_calculator_pb2.RegionSimilarityCalculator()))


@pytest.mark.parametrize("text, expected", [
    ("iou_similarity {}", sim_calc.IouSimilarity),
    ("ioa_similarity {}", sim_calc.IoaSimilarity),
    ("neg_sq_dist_similarity {}", sim_calc.NegSqDistSimilarity),
])
def test_builds_each_calculator(text, expected):
  assert type(_build(text)) is expected  # pylint: disable=unidiomatic-typecheck


@pytest.mark.parametrize("text, message", [
    ("", "region_similarity_calculator: no similarity calculator set"),
    ("thresholded_iou_similarity {}",
     "region_similarity_calculator.thresholded_iou_similarity: not supported; "
     "supported similarity calculators: iou_similarity, ioa_similarity, "
     "neg_sq_dist_similarity"),
])
def test_errors(text, message):
  with pytest.raises(ValueError, match="^" + message):
    _build(text)


def test_type_error():
  with pytest.raises(TypeError, match="expected a RegionSimilarityCalculator"):
    region_similarity_calculator_builder.build(
        region_similarity_calculator_pb2.IouSimilarity())
