"""Tests for object_detection/models/faster_rcnn_feature_extractors.py."""

from object_detection.models import faster_rcnn_feature_extractors as extractors
from object_detection.models import faster_rcnn_keras_feature_extractor

_Base = faster_rcnn_keras_feature_extractor.FasterRCNNKerasFeatureExtractor


def test_all_issue_names_are_supported():
  assert set(extractors.FASTER_RCNN_KERAS_FEATURE_EXTRACTORS) == {
      "faster_rcnn_resnet50_keras", "faster_rcnn_resnet101_keras",
      "faster_rcnn_resnet152_keras", "faster_rcnn_inception_resnet_v2_keras",
      "faster_rcnn_resnet50_fpn_keras", "faster_rcnn_resnet101_fpn_keras",
      "faster_rcnn_resnet152_fpn_keras", "faster_rcnn_small_fpn_keras",
      "faster_rcnn_resnet50", "faster_rcnn_resnet101",
      "faster_rcnn_resnet152", "faster_rcnn_inception_resnet_v2"}
  for cls in extractors.FASTER_RCNN_KERAS_FEATURE_EXTRACTORS.values():
    assert issubclass(cls, _Base)


def test_older_names_build_the_keras_networks():
  table = extractors.FASTER_RCNN_KERAS_FEATURE_EXTRACTORS
  for depth in ("50", "101", "152"):
    assert table["faster_rcnn_resnet" + depth] is table[
        "faster_rcnn_resnet{}_keras".format(depth)]
  assert table["faster_rcnn_inception_resnet_v2"] is table[
      "faster_rcnn_inception_resnet_v2_keras"]


def test_fpn_types_take_fpn_arguments_and_report_levels():
  assert extractors.FPN_FEATURE_EXTRACTOR_TYPES <= set(
      extractors.FASTER_RCNN_KERAS_FEATURE_EXTRACTORS)
  for name in sorted(extractors.FPN_FEATURE_EXTRACTOR_TYPES):
    extractor = extractors.FASTER_RCNN_KERAS_FEATURE_EXTRACTORS[name](
        is_training=True, first_stage_features_stride=16,
        batch_norm_trainable=False, weight_decay=0.0, conv_hyperparams=None,
        fpn_min_level=3, fpn_max_level=7, additional_layer_depth=16)
    assert (extractor.fpn_min_level, extractor.fpn_max_level) == (3, 7)
