"""Builds a Matcher from a `Matcher` proto.

Supported: argmax_matcher. The bipartite matcher of the TF OD API is not
available in TF2 (nor here) and is reported as an error.
"""

from object_detection.core import matcher as matcher_lib
from object_detection.matchers import argmax_matcher
from object_detection.protos import matcher_pb2


def _argmax(config, path: str) -> matcher_lib.Matcher:
  matched_threshold = unmatched_threshold = None
  if not config.ignore_thresholds:
    matched_threshold = config.matched_threshold
    unmatched_threshold = config.unmatched_threshold
    if unmatched_threshold > matched_threshold:
      raise ValueError(
          "{}.unmatched_threshold: must be <= matched_threshold ({}), got "
          "{}".format(path, matched_threshold, unmatched_threshold))
    if (unmatched_threshold == matched_threshold
        and not config.negatives_lower_than_unmatched):
      raise ValueError(
          "{}: matched_threshold and unmatched_threshold must differ when "
          "negatives_lower_than_unmatched is false, both are {}".format(
              path, matched_threshold))
  return argmax_matcher.ArgMaxMatcher(
      matched_threshold=matched_threshold,
      unmatched_threshold=unmatched_threshold,
      negatives_lower_than_unmatched=config.negatives_lower_than_unmatched,
      force_match_for_each_row=config.force_match_for_each_row,
      use_matmul_gather=config.use_matmul_gather)


_BUILDERS = {"argmax_matcher": _argmax}


def build(matcher_config: matcher_pb2.Matcher, *,
          path: str = "matcher") -> matcher_lib.Matcher:
  """Builds the matcher selected by the `matcher_oneof` field.

  Args:
    matcher_config: a matcher_pb2.Matcher.
    path: config path of the message, used in error messages.

  Returns:
    a Matcher.

  Raises:
    TypeError: if matcher_config is not a matcher_pb2.Matcher.
    ValueError: if no matcher is set, it is not supported (bipartite), or
      the thresholds are inconsistent; the message names the field.
  """
  if not isinstance(matcher_config, matcher_pb2.Matcher):
    raise TypeError("{}: expected a Matcher message, got {}".format(
        path, type(matcher_config).__name__))
  kind = matcher_config.WhichOneof("matcher_oneof")
  if kind is None:
    raise ValueError("{}: no matcher set; expected one of: {}".format(
        path, ", ".join(_BUILDERS)))
  if kind not in _BUILDERS:
    raise ValueError("{}.{}: not supported; supported matchers: {}".format(
        path, kind, ", ".join(_BUILDERS)))
  return _BUILDERS[kind](getattr(matcher_config, kind),
                         "{}.{}".format(path, kind))
