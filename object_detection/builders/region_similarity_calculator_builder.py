"""Builds a RegionSimilarityCalculator from its proto.

Supported: iou_similarity, ioa_similarity, neg_sq_dist_similarity.
"""

from object_detection.core import region_similarity_calculator as sim_calc
from object_detection.protos import region_similarity_calculator_pb2

_CALCULATORS = {
    "iou_similarity": sim_calc.IouSimilarity,
    "ioa_similarity": sim_calc.IoaSimilarity,
    "neg_sq_dist_similarity": sim_calc.NegSqDistSimilarity,
}


def build(region_similarity_calculator_config:
          region_similarity_calculator_pb2.RegionSimilarityCalculator, *,
          path: str = "region_similarity_calculator"
          ) -> sim_calc.RegionSimilarityCalculator:
  """Builds the calculator selected by the `region_similarity` field.

  Args:
    region_similarity_calculator_config: a
      region_similarity_calculator_pb2.RegionSimilarityCalculator.
    path: config path of the message, used in error messages.

  Returns:
    a RegionSimilarityCalculator.

  Raises:
    TypeError: for a message of another type.
    ValueError: if none is set or the one set is not supported.
  """
  config = region_similarity_calculator_config
  if not isinstance(
      config, region_similarity_calculator_pb2.RegionSimilarityCalculator):
    raise TypeError(
        "{}: expected a RegionSimilarityCalculator message, got {}".format(
            path, type(config).__name__))
  kind = config.WhichOneof("region_similarity")
  if kind is None:
    raise ValueError(
        "{}: no similarity calculator set; expected one of: {}".format(
            path, ", ".join(_CALCULATORS)))
  if kind not in _CALCULATORS:
    raise ValueError(
        "{}.{}: not supported; supported similarity calculators: {}".format(
            path, kind, ", ".join(_CALCULATORS)))
  return _CALCULATORS[kind]()
