"""The model half of the schema matches the TF OD API.

Checks the defaults builders rely on, the names of the variant oneofs, and
that every upstream sample config selects a model variant we define.
"""

from google.protobuf import text_format
import pytest

from tests.conftest import upstream_params
from object_detection.protos import anchor_generator_pb2
from object_detection.protos import argmax_matcher_pb2
from object_detection.protos import box_coder_pb2
from object_detection.protos import box_predictor_pb2
from object_detection.protos import center_net_pb2
from object_detection.protos import faster_rcnn_box_coder_pb2
from object_detection.protos import faster_rcnn_pb2
from object_detection.protos import grid_anchor_generator_pb2
from object_detection.protos import hyperparams_pb2
from object_detection.protos import image_resizer_pb2
from object_detection.protos import losses_pb2
from object_detection.protos import model_pb2
from object_detection.protos import multiscale_anchor_generator_pb2
from object_detection.protos import pipeline_pb2
from object_detection.protos import post_processing_pb2
from object_detection.protos import ssd_anchor_generator_pb2
from object_detection.protos import ssd_pb2

# Whole upstream files (and so their model blocks) are parsed strictly in
# test_upstream_configs.py; here only the variant each one selects.
_CONFIGS = (upstream_params("samples/*.config") +
            upstream_params("tf2/*.config"))


@pytest.mark.parametrize("path", _CONFIGS)
def test_upstream_configs_select_a_known_model_variant(path):
  with open(path, encoding="utf-8") as f:
    pipeline = text_format.Parse(f.read(),
                                 pipeline_pb2.TrainEvalPipelineConfig())
  assert pipeline.model.WhichOneof("model") in (
      "faster_rcnn", "ssd", "center_net")


def test_unknown_model_field_is_rejected():
  with pytest.raises(text_format.ParseError, match="no_such_field"):
    text_format.Parse("faster_rcnn { no_such_field: 1 }",
                      model_pb2.DetectionModel())


def _oneof_members(message_class, oneof_name: str) -> dict:
  """{field name: field number} of one oneof of a message class."""
  oneof = message_class.DESCRIPTOR.oneofs_by_name[oneof_name]
  return {field.name: field.number for field in oneof.fields}


def test_variant_oneofs_have_upstream_names_and_numbers():
  assert _oneof_members(anchor_generator_pb2.AnchorGenerator,
                        "anchor_generator_oneof") == {
                            "grid_anchor_generator": 1,
                            "ssd_anchor_generator": 2,
                            "multiscale_anchor_generator": 3,
                            "flexible_grid_anchor_generator": 4}
  assert _oneof_members(model_pb2.DetectionModel, "model") == {
      "faster_rcnn": 1, "ssd": 2, "experimental_model": 3, "center_net": 4}
  assert _oneof_members(box_coder_pb2.BoxCoder, "box_coder_oneof") == {
      "faster_rcnn_box_coder": 1, "mean_stddev_box_coder": 2,
      "square_box_coder": 3, "keypoint_box_coder": 4}
  assert _oneof_members(box_predictor_pb2.BoxPredictor,
                        "box_predictor_oneof") == {
                            "convolutional_box_predictor": 1,
                            "mask_rcnn_box_predictor": 2,
                            "rfcn_box_predictor": 3,
                            "weight_shared_convolutional_box_predictor": 4}
  assert _oneof_members(image_resizer_pb2.ImageResizer,
                        "image_resizer_oneof") == {
                            "keep_aspect_ratio_resizer": 1,
                            "fixed_shape_resizer": 2,
                            "identity_resizer": 3,
                            "conditional_shape_resizer": 4,
                            "pad_to_multiple_resizer": 5}
  assert _oneof_members(hyperparams_pb2.Hyperparams, "normalizer_oneof") == {
      "batch_norm": 5, "group_norm": 7, "sync_batch_norm": 9}


def test_anchor_generator_defaults():
  grid = grid_anchor_generator_pb2.GridAnchorGenerator()
  assert (grid.height, grid.width) == (256, 256)
  assert (grid.height_stride, grid.width_stride) == (16, 16)
  assert (grid.height_offset, grid.width_offset) == (0, 0)
  assert list(grid.scales) == [] and list(grid.aspect_ratios) == []
  ssd = ssd_anchor_generator_pb2.SsdAnchorGenerator()
  assert ssd.num_layers == 6
  assert ssd.min_scale == pytest.approx(0.2)
  assert ssd.max_scale == pytest.approx(0.95)
  assert ssd.interpolated_scale_aspect_ratio == 1.0
  assert ssd.reduce_boxes_in_lowest_layer
  assert (ssd.base_anchor_height, ssd.base_anchor_width) == (1.0, 1.0)
  multiscale = multiscale_anchor_generator_pb2.MultiscaleAnchorGenerator()
  assert (multiscale.min_level, multiscale.max_level) == (3, 7)
  assert multiscale.anchor_scale == 4.0
  assert multiscale.scales_per_octave == 2
  assert multiscale.normalize_coordinates


def test_faster_rcnn_defaults():
  config = faster_rcnn_pb2.FasterRcnn()
  assert config.number_of_stages == 2
  assert config.first_stage_max_proposals == 300
  assert config.first_stage_nms_iou_threshold == pytest.approx(0.7)
  assert config.first_stage_minibatch_size == 256
  assert config.first_stage_positive_balance_fraction == 0.5
  assert config.first_stage_box_predictor_depth == 512
  assert config.second_stage_batch_size == 64
  assert config.second_stage_balance_fraction == 0.25
  assert config.resize_masks
  assert config.use_partitioned_nms_in_first_stage
  extractor = faster_rcnn_pb2.FasterRcnnFeatureExtractor()
  assert extractor.first_stage_features_stride == 16
  assert extractor.pad_to_multiple == 32
  context = faster_rcnn_pb2.Context()
  assert context.max_num_context_features == 2000
  assert context.attention_position == faster_rcnn_pb2.POST_BOX_CLASSIFIER


def test_mask_head_and_matcher_defaults():
  mask_rcnn = box_predictor_pb2.MaskRCNNBoxPredictor()
  assert (mask_rcnn.mask_height, mask_rcnn.mask_width) == (15, 15)
  assert mask_rcnn.mask_prediction_conv_depth == 256
  assert mask_rcnn.mask_prediction_num_conv_layers == 2
  assert mask_rcnn.dropout_keep_probability == 0.5
  assert not mask_rcnn.masks_are_class_agnostic
  matcher = argmax_matcher_pb2.ArgMaxMatcher()
  assert matcher.matched_threshold == 0.5
  assert matcher.unmatched_threshold == 0.5
  assert matcher.negatives_lower_than_unmatched
  coder = faster_rcnn_box_coder_pb2.FasterRcnnBoxCoder()
  assert (coder.y_scale, coder.x_scale) == (10.0, 10.0)
  assert (coder.height_scale, coder.width_scale) == (5.0, 5.0)


def test_post_processing_resizer_and_hyperparams_defaults():
  nms = post_processing_pb2.BatchNonMaxSuppression()
  assert nms.iou_threshold == pytest.approx(0.6)
  assert (nms.max_detections_per_class, nms.max_total_detections) == (100,
                                                                      100)
  assert nms.change_coordinate_frame
  assert (post_processing_pb2.PostProcessing().score_converter ==
          post_processing_pb2.PostProcessing.IDENTITY)
  keep = image_resizer_pb2.KeepAspectRatioResizer()
  assert (keep.min_dimension, keep.max_dimension) == (600, 1024)
  assert keep.resize_method == image_resizer_pb2.BILINEAR
  fixed = image_resizer_pb2.FixedShapeResizer()
  assert (fixed.height, fixed.width) == (300, 300)
  hyperparams = hyperparams_pb2.Hyperparams()
  assert hyperparams.op == hyperparams_pb2.Hyperparams.CONV
  assert hyperparams.activation == hyperparams_pb2.Hyperparams.RELU
  batch_norm = hyperparams_pb2.BatchNorm()
  assert batch_norm.decay == pytest.approx(0.999)
  assert batch_norm.epsilon == pytest.approx(0.001)
  assert batch_norm.center and not batch_norm.scale and batch_norm.train


def test_loss_ssd_and_center_net_defaults():
  miner = losses_pb2.HardExampleMiner()
  assert miner.num_hard_examples == 64
  assert miner.iou_threshold == pytest.approx(0.7)
  assert miner.loss_type == losses_pb2.HardExampleMiner.BOTH
  assert losses_pb2.SigmoidFocalClassificationLoss().gamma == 2.0
  assert not losses_pb2.SigmoidFocalClassificationLoss().HasField("alpha")
  assert losses_pb2.Loss().desired_negative_sampling_ratio == 3.0
  ssd = ssd_pb2.Ssd()
  assert ssd.normalize_loss_by_num_matches
  assert ssd.add_background_class
  assert ssd_pb2.SsdFeatureExtractor().num_layers == 6
  assert ssd_pb2.Ssd.MaskHead().mask_loss_weight == 5.0
  center = center_net_pb2.CenterNet.ObjectCenterParams()
  assert center.heatmap_bias_init == pytest.approx(-2.19)
  assert center.max_box_predictions == 100
  deepmac = center_net_pb2.CenterNet.DeepMACMaskEstimation()
  assert deepmac.DESCRIPTOR.fields_by_name["mask_num_subsamples"].number == 67
  assert deepmac.mask_num_subsamples == -1
  assert deepmac.network_type == "hourglass52"


def test_faster_rcnn_mask_and_context_config_parses():
  text = """
    faster_rcnn {
      num_classes: 3
      number_of_stages: 3
      first_stage_anchor_generator {
        grid_anchor_generator { scales: [0.5, 1.0] aspect_ratios: [1.0] }
      }
      second_stage_box_predictor {
        mask_rcnn_box_predictor {
          predict_instance_masks: true
          mask_height: 14
          mask_width: 14
          masks_are_class_agnostic: true
        }
      }
      context_config {
        num_attention_heads: 2
        attention_position: POST_RPN
      }
    }
  """
  model = model_pb2.DetectionModel()
  text_format.Parse(text, model)
  config = model.faster_rcnn
  anchors = config.first_stage_anchor_generator
  assert anchors.WhichOneof("anchor_generator_oneof") == "grid_anchor_generator"
  assert list(anchors.grid_anchor_generator.scales) == [0.5, 1.0]
  assert anchors.grid_anchor_generator.height == 256
  predictor = config.second_stage_box_predictor.mask_rcnn_box_predictor
  assert predictor.predict_instance_masks and predictor.mask_height == 14
  assert config.context_config.attention_position == faster_rcnn_pb2.POST_RPN
  assert config.context_config.num_attention_layers == 1
