"""Tests for object_detection/builders/model_builder.py."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import upstream_files, upstream_params
from object_detection.builders import model_builder
from object_detection.core import standard_fields as fields
from object_detection.meta_architectures import faster_rcnn_meta_arch
from object_detection.utils import config_util

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_SHAPES_CONFIG = os.path.join(_REPO, "pipelines", "mask_rcnn_shapes.config")
_RESNET_FPN_CONFIG = os.path.join(_REPO, "pipelines",
                                  "bench_mask_rcnn_resnet50_fpn_512.config")
_D = fields.DetectionResultFields


def _shapes_model_config():
  return config_util.get_configs_from_pipeline_file(_SHAPES_CONFIG)["model"]


def _frcnn(config):
  return config.faster_rcnn


def test_builds_shapes_mask_rcnn():
  model = model_builder.build(_shapes_model_config(), is_training=True)
  assert isinstance(model, faster_rcnn_meta_arch.FasterRCNNMetaArch)
  assert model.num_classes == 3
  assert model.has_masks
  assert model.max_num_proposals == 32  # second_stage_batch_size


def test_supported_types_listed():
  assert "faster_rcnn_resnet50_fpn_keras" in (
      model_builder.FASTER_RCNN_FEATURE_EXTRACTOR_TYPES)
  assert "faster_rcnn_resnet101" in (
      model_builder.FASTER_RCNN_FEATURE_EXTRACTOR_TYPES)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.ClearField("faster_rcnn") or c.ssd.SetInParent(),
     "model.ssd: not supported yet; supported: faster_rcnn"),
    (lambda c: c.ClearField("faster_rcnn"),
     "model: no model set; supported: faster_rcnn"),
    (lambda c: setattr(_frcnn(c).feature_extractor, "type", "bogus"),
     "model.faster_rcnn.feature_extractor.type: unknown feature extractor "
     "'bogus'; supported: faster_rcnn_inception_resnet_v2, "),
    (lambda c: setattr(_frcnn(c), "number_of_stages", 4),
     "model.faster_rcnn.number_of_stages: must be 1, 2 or 3, got 4"),
    (lambda c: _frcnn(c).context_config.SetInParent(),
     "model.faster_rcnn.context_config: Context R-CNN is not supported"),
    (lambda c: setattr(_frcnn(c), "output_final_box_features", True),
     "model.faster_rcnn.output_final_box_features: not supported; must be "
     "false"),
    (lambda c: _frcnn(c).second_stage_box_predictor
     .rfcn_box_predictor.SetInParent(),
     "model.faster_rcnn.second_stage_box_predictor.rfcn_box_predictor: not "
     "supported; supported: mask_rcnn_box_predictor"),
    (lambda c: setattr(_frcnn(c).second_stage_box_predictor
                       .mask_rcnn_box_predictor, "predict_keypoints", True),
     "model.faster_rcnn.second_stage_box_predictor.mask_rcnn_box_predictor."
     "predict_keypoints: not supported; must be false"),
    (lambda c: setattr(_frcnn(c), "second_stage_batch_size", 65),
     "model.faster_rcnn.second_stage_batch_size: must be <= "
     "first_stage_max_proposals (64), got 65"),
    (lambda c: setattr(_frcnn(c), "first_stage_nms_iou_threshold", 1.5),
     "model.faster_rcnn.first_stage_nms_iou_threshold: must be in [0, 1], "
     "got 1.5"),
    (lambda c: setattr(_frcnn(c).first_stage_anchor_generator
                       .multiscale_anchor_generator, "normalize_coordinates",
                       True),
     "model.faster_rcnn.first_stage_anchor_generator."
     "multiscale_anchor_generator.normalize_coordinates: must be false for "
     "faster_rcnn (its anchors are in pixels)"),
    (lambda c: setattr(_frcnn(c).first_stage_anchor_generator
                       .multiscale_anchor_generator, "max_level", 6),
     "model.faster_rcnn.first_stage_anchor_generator."
     "multiscale_anchor_generator: makes 5 anchor grid(s) but feature "
     "extractor 'faster_rcnn_small_fpn_keras' has 4 proposal feature map"),
    (lambda c: setattr(_frcnn(c), "initial_crop_size", 0),
     "model.faster_rcnn.initial_crop_size: must be > 0 with "
     "number_of_stages 3, got 0"),
    (lambda c: setattr(_frcnn(c), "first_stage_pre_nms_top_k", -1),
     "model.faster_rcnn.first_stage_pre_nms_top_k: must be >= 0, got -1"),
    (lambda c: setattr(_frcnn(c).feature_extractor,
                       "override_base_feature_extractor_hyperparams", True),
     "model.faster_rcnn.feature_extractor."
     "override_base_feature_extractor_hyperparams: needs conv_hyperparams"),
    (lambda c: setattr(_frcnn(c), "number_of_stages", 1),
     "model.faster_rcnn.number_of_stages: must be 2 or 3 when "
     "second_stage_box_predictor.mask_rcnn_box_predictor."
     "predict_instance_masks is true, got 1"),
])
def test_errors_name_the_field(edit, message):
  config = _shapes_model_config()
  edit(config)
  with pytest.raises(ValueError) as error:
    model_builder.validate(config, is_training=True)
  assert str(error.value).startswith(message)
  with pytest.raises(ValueError) as error:
    model_builder.build(config, is_training=True)
  assert str(error.value).startswith(message)


def test_wrong_message_type():
  with pytest.raises(TypeError, match="expected a model_pb2.DetectionModel"):
    model_builder.build(_frcnn(_shapes_model_config()), is_training=True)


# --- The TF OD API's sample configs -----------------------------------------

# Configs the package cannot build, with the start of the expected error.
_EXPECTED_ERRORS = {
    "context_rcnn": "model.faster_rcnn.context_config: Context R-CNN is not "
                    "supported",
    "rfcn": "model.faster_rcnn.second_stage_box_predictor.rfcn_box_predictor:"
            " not supported",
    "inception_v2": "model.faster_rcnn.feature_extractor.type: unknown "
                    "feature extractor 'faster_rcnn_inception_v2'",
    "nas": "model.faster_rcnn.feature_extractor.type: unknown feature "
           "extractor 'faster_rcnn_nas'",
}


def _faster_rcnn_configs():
  return [path for path in upstream_files("*/*.config")
          if "faster_rcnn {" in open(path).read()]


def _expected_error(path):
  name = os.path.basename(path)
  for key, message in _EXPECTED_ERRORS.items():
    if key in name:
      return message
  return None


@pytest.mark.parametrize("path", [
    pytest.param(p, id=os.path.basename(p)) for p in _faster_rcnn_configs()]
    or upstream_params("no-such-file"))
@pytest.mark.parametrize("is_training", [True, False])
def test_upstream_faster_rcnn_configs_validate(path, is_training):
  config = config_util.get_configs_from_pipeline_file(path)["model"]
  expected = _expected_error(path)
  if expected is None:
    model_builder.validate(config, is_training)
  else:
    with pytest.raises(ValueError) as error:
      model_builder.validate(config, is_training)
    assert str(error.value).startswith(expected)


def _buildable_faster_rcnn_configs():
  """Every upstream Faster R-CNN config whose parts the package supports."""
  return [pytest.param(p, id=os.path.basename(p))
          for p in _faster_rcnn_configs() if not _expected_error(p)]


def _reduced(config, size):
  """A smaller, faster variant of a config for a forward pass."""
  frcnn = config.faster_rcnn
  frcnn.image_resizer.fixed_shape_resizer.height = size
  frcnn.image_resizer.fixed_shape_resizer.width = size
  frcnn.first_stage_max_proposals = 8
  frcnn.second_stage_batch_size = 4
  post = frcnn.second_stage_post_processing.batch_non_max_suppression
  post.max_detections_per_class = 5
  post.max_total_detections = 5
  return config


@pytest.mark.parametrize(
    "path", _buildable_faster_rcnn_configs() or upstream_params("no-such"))
def test_upstream_config_builds_and_runs(path):
  config = config_util.get_configs_from_pipeline_file(path)["model"]
  size = 96 if "inception_resnet" in path else 64
  rng = np.random.default_rng(0)
  images = tf.constant(rng.uniform(0, 255, (1, size, size, 3)), tf.float32)
  masks = config.faster_rcnn.second_stage_box_predictor \
      .mask_rcnn_box_predictor.predict_instance_masks
  for is_training in (True, False):
    model = model_builder.build(_reduced(config, size), is_training)
    model.provide_groundtruth(
        [tf.constant([[0.1, 0.1, 0.6, 0.7]])],
        [tf.one_hot([0], model.num_classes)],
        groundtruth_masks_list=[tf.ones([1, size, size])] if masks else None)
    preprocessed, shapes = model.preprocess(images)
    prediction = model.predict(preprocessed, shapes)
    if is_training:
      losses = model.loss(prediction, shapes)
      assert all(np.isfinite(v.numpy()) for v in losses.values())
      continue
    detections = model.postprocess(prediction, shapes)
    num_det = 5  # max_total_detections of _reduced
    assert tuple(detections[_D.detection_boxes].shape) == (1, num_det, 4)
    assert tuple(detections[_D.detection_scores].shape) == (1, num_det)
    assert tuple(detections[_D.num_detections].shape) == (1,)
    if masks:
      assert detections[_D.detection_masks].shape[:2] == (1, num_det)


@pytest.mark.parametrize("path", upstream_params(
    "tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config"))
def test_override_base_feature_extractor_hyperparams(path):
  """The upstream ResNet-50 FPN's feature_extractor settings, which set the
  flag with conv_hyperparams, on the package's ResNet-50 FPN Mask R-CNN."""
  upstream = config_util.get_configs_from_pipeline_file(path)[
      "model"].ssd.feature_extractor
  assert upstream.override_base_feature_extractor_hyperparams
  hyperparams = upstream.conv_hyperparams
  config = config_util.get_configs_from_pipeline_file(
      _RESNET_FPN_CONFIG)["model"]
  extractor_config = _frcnn(config).feature_extractor
  extractor_config.conv_hyperparams.CopyFrom(hyperparams)
  extractor_config.override_base_feature_extractor_hyperparams = True
  model = model_builder.build(_reduced(config, 64), is_training=False)
  backbone = model._feature_extractor.classification_backbone
  convs = [l for l in backbone.layers if isinstance(l, keras.layers.Conv2D)]
  assert len(convs) == 53
  for conv in convs:
    assert conv.kernel_regularizer.l2 == pytest.approx(
        0.5 * hyperparams.regularizer.l2_regularizer.weight)  # 0.5 * 0.0004
    assert conv.kernel_initializer.stddev == pytest.approx(
        hyperparams.initializer.truncated_normal_initializer.stddev)
  # Same-shaped kernels get their own initial values.
  assert not np.allclose(backbone.get_layer("conv2_block2_1_conv").kernel,
                         backbone.get_layer("conv2_block3_1_conv").kernel)
  norms = [l for l in backbone.layers
           if isinstance(l, keras.layers.BatchNormalization)]
  assert len(norms) == 53
  for norm in norms:
    assert (norm.momentum, norm.epsilon) == (
        pytest.approx(hyperparams.batch_norm.decay),  # 0.997
        pytest.approx(hyperparams.batch_norm.epsilon))  # 0.001
  assert {l.get_config()["activation"] for l in backbone.layers
          if isinstance(l, keras.layers.Activation)} == {"relu6"}
  images = tf.random.uniform([1, 64, 64, 3], 0, 255, seed=3)
  preprocessed, shapes = model.preprocess(images)
  detections = model.postprocess(model.predict(preprocessed, shapes), shapes)
  assert tuple(detections[_D.detection_boxes].shape) == (1, 5, 4)
