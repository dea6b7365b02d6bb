"""Builds a DetectionModel from a `DetectionModel` config.

`build(model_config, is_training)` supports `faster_rcnn` (Faster R-CNN,
and Mask R-CNN when the second-stage `mask_rcnn_box_predictor` has
`predict_instance_masks: true`). Every field of the `faster_rcnn` message
is either honoured or rejected with a ValueError naming its full path;
none is silently ignored. Fields that only select an implementation
whose results this package's single implementation already matches are
accepted: use_matmul_crop_and_resize, use_matmul_gather_in_matcher (passed
to the matchers), use_partitioned_nms_in_first_stage,
use_combined_nms_in_first_stage, use_static_shapes(_for_eval) (shapes are
always static here) and inplace_batchnorm_update (TF1 only).

Project extension of the schema: `first_stage_pre_nms_top_k` (> 0: anchors
per image entering proposal NMS; 0: all anchors, the TF OD API behaviour).

Conventions beyond the TF OD API, documented in the meta-architecture:
the mask head of FPN models reads the ROI crops (initial_crop_size, before
max pooling) instead of the fully connected box features.
"""

from typing import Any, Callable, Dict, FrozenSet, List

from object_detection.builders import anchor_generator_builder
from object_detection.builders import hyperparams_builder
from object_detection.builders import image_resizer_builder
from object_detection.builders import losses_builder
from object_detection.builders import post_processing_builder
from object_detection.core import model as model_lib
from object_detection.core import target_assigner
from object_detection.meta_architectures import box_classifier_loss
from object_detection.meta_architectures import detection_postprocessor
from object_detection.meta_architectures import faster_rcnn_meta_arch as meta
from object_detection.meta_architectures import mask_loss
from object_detection.meta_architectures import proposal_generator
from object_detection.meta_architectures import proposal_sampler
from object_detection.meta_architectures import roi_ops
from object_detection.meta_architectures import rpn_loss
from object_detection.models import faster_rcnn_feature_extractors as extractors
from object_detection.predictors import mask_rcnn_keras_box_predictor as mask_predictor_lib
from object_detection.predictors import rpn_box_predictor
from object_detection.protos import faster_rcnn_pb2
from object_detection.protos import model_pb2

FASTER_RCNN_FEATURE_EXTRACTOR_TYPES: List[str] = sorted(
    extractors.FASTER_RCNN_KERAS_FEATURE_EXTRACTORS)
SUPPORTED_MODELS: List[str] = ["faster_rcnn"]
SUPPORTED_SECOND_STAGE_BOX_PREDICTORS: List[str] = ["mask_rcnn_box_predictor"]

_PATH = "model.faster_rcnn"
# Boolean fields that change the model and are not implemented: they must be
# false.
_UNSUPPORTED_TRUE_FLAGS: FrozenSet[str] = frozenset({
    "return_raw_detections_during_predict",
    "output_final_box_features",
    "output_final_box_rpn_features",
})


def build(model_config: model_pb2.DetectionModel, is_training: bool,
          add_summaries: bool = True) -> model_lib.DetectionModel:
  """Builds the model selected by the config's `model` oneof.

  Args:
    model_config: a model_pb2.DetectionModel.
    is_training: whether the model is built for training.
    add_summaries: accepted for the TF OD API signature; the model writes
      no summaries of its own.

  Returns:
    a DetectionModel (FasterRCNNMetaArch).

  Raises:
    TypeError: if model_config is not a DetectionModel message.
    ValueError: for an unsupported model or a field that breaks a rule; the
      message starts with the field path.
  """
  del add_summaries
  _check_model_config(model_config)
  which = model_config.WhichOneof("model")
  return _MODEL_BUILDERS[which](getattr(model_config, which), is_training)


def _check_model_config(model_config: model_pb2.DetectionModel) -> None:
  """Raises unless the config selects a supported model."""
  if not isinstance(model_config, model_pb2.DetectionModel):
    raise TypeError("model: expected a model_pb2.DetectionModel message, got "
                    "{}".format(type(model_config).__name__))
  which = model_config.WhichOneof("model")
  if which is None:
    raise ValueError("model: no model set; supported: {}".format(
        ", ".join(SUPPORTED_MODELS)))
  if which not in SUPPORTED_MODELS:
    raise ValueError("model.{}: not supported yet; supported: {}".format(
        which, ", ".join(SUPPORTED_MODELS)))


def _fail(field: str, rule: str) -> ValueError:
  return ValueError("{}.{}: {}".format(_PATH, field, rule))


def _validate_flags(config: faster_rcnn_pb2.FasterRcnn) -> None:
  """Rejects fields this package cannot honour."""
  if config.HasField("context_config"):
    raise _fail("context_config", "Context R-CNN is not supported")
  for flag in sorted(_UNSUPPORTED_TRUE_FLAGS):
    if getattr(config, flag):
      raise _fail(flag, "not supported; must be false")
  if config.number_of_stages not in (1, 2, 3):
    raise _fail("number_of_stages", "must be 1, 2 or 3, got {}".format(
        config.number_of_stages))
  if config.num_classes <= 0:
    raise _fail("num_classes", "must be > 0, got {}".format(
        config.num_classes))
  for field in ("first_stage_max_proposals", "first_stage_minibatch_size",
                "first_stage_box_predictor_kernel_size",
                "first_stage_box_predictor_depth", "first_stage_atrous_rate",
                "second_stage_batch_size"):
    if getattr(config, field) <= 0:
      raise _fail(field, "must be > 0, got {}".format(getattr(config, field)))
  for field in ("first_stage_nms_iou_threshold",
                "first_stage_positive_balance_fraction",
                "second_stage_balance_fraction"):
    value = getattr(config, field)
    if not 0.0 <= value <= 1.0:
      raise _fail(field, "must be in [0, 1], got {}".format(value))
  for field in ("first_stage_localization_loss_weight",
                "first_stage_objectness_loss_weight",
                "second_stage_localization_loss_weight",
                "second_stage_classification_loss_weight",
                "second_stage_mask_prediction_loss_weight"):
    if getattr(config, field) < 0:
      raise _fail(field, "must be >= 0, got {}".format(getattr(config, field)))
  if not config.HasField("first_stage_box_predictor_conv_hyperparams"):
    raise _fail("first_stage_box_predictor_conv_hyperparams",
                "must be set (the RPN conv settings)")


def _validate_second_stage(config: faster_rcnn_pb2.FasterRcnn,
                           is_training: bool) -> None:
  """Checks the fields the box classifier needs."""
  which = config.second_stage_box_predictor.WhichOneof("box_predictor_oneof")
  if which not in SUPPORTED_SECOND_STAGE_BOX_PREDICTORS:
    raise _fail("second_stage_box_predictor" + ("." + which if which else ""),
                "not supported; supported: {}".format(
                    ", ".join(SUPPORTED_SECOND_STAGE_BOX_PREDICTORS)))
  for field in ("initial_crop_size", "maxpool_kernel_size", "maxpool_stride"):
    if getattr(config, field) <= 0:
      raise _fail(field, "must be > 0 with number_of_stages {}, got {}".format(
          config.number_of_stages, getattr(config, field)))
  if config.maxpool_kernel_size > config.initial_crop_size:
    raise _fail("maxpool_kernel_size", "must be <= initial_crop_size ({}), "
                "got {}".format(config.initial_crop_size,
                                config.maxpool_kernel_size))
  if (is_training and not config.HasField("hard_example_miner")
      and config.second_stage_batch_size > config.first_stage_max_proposals):
    raise _fail("second_stage_batch_size",
                "must be <= first_stage_max_proposals ({}), got {}".format(
                    config.first_stage_max_proposals,
                    config.second_stage_batch_size))
  predictor = config.second_stage_box_predictor.mask_rcnn_box_predictor
  path = "second_stage_box_predictor.mask_rcnn_box_predictor"
  if predictor.predict_keypoints:
    raise _fail(path + ".predict_keypoints", "not supported; must be false")
  if not predictor.HasField("fc_hyperparams"):
    raise _fail(path + ".fc_hyperparams", "must be set")
  if predictor.predict_instance_masks and not predictor.HasField(
      "conv_hyperparams"):
    raise _fail(path + ".conv_hyperparams",
                "must be set when predict_instance_masks is true")
  if predictor.box_code_size != 4:
    raise _fail(path + ".box_code_size", "must be 4 (faster_rcnn box coder), "
                "got {}".format(predictor.box_code_size))
  if not 0.0 < predictor.dropout_keep_probability <= 1.0:
    raise _fail(path + ".dropout_keep_probability", "must be in (0, 1], got "
                "{}".format(predictor.dropout_keep_probability))


def _build_feature_extractor(config: faster_rcnn_pb2.FasterRcnn,
                             is_training: bool) -> Any:
  """The Keras feature extractor named by feature_extractor.type."""
  fe_config = config.feature_extractor
  path = "feature_extractor"
  if fe_config.type not in extractors.FASTER_RCNN_KERAS_FEATURE_EXTRACTORS:
    raise _fail(path + ".type", "unknown feature extractor {!r}; supported: "
                "{}".format(fe_config.type,
                            ", ".join(FASTER_RCNN_FEATURE_EXTRACTOR_TYPES)))
  is_fpn = fe_config.type in extractors.FPN_FEATURE_EXTRACTOR_TYPES
  if fe_config.HasField("fpn") and not is_fpn:
    raise _fail(path + ".fpn", "{!r} is not an FPN extractor; FPN types: "
                "{}".format(fe_config.type,
                            ", ".join(sorted(
                                extractors.FPN_FEATURE_EXTRACTOR_TYPES))))
  if fe_config.HasField("pad_to_multiple"):
    raise _fail(path + ".pad_to_multiple", "not supported by faster_rcnn "
                "extractors; pad with image_resizer instead")
  kwargs: Dict[str, Any] = {}
  if fe_config.HasField("conv_hyperparams"):
    if not is_fpn:
      raise _fail(path + ".conv_hyperparams", "only FPN extractors take "
                  "conv_hyperparams")
    kwargs["conv_hyperparams"] = hyperparams_builder.KerasLayerHyperparams(
        fe_config.conv_hyperparams,
        path="{}.{}.conv_hyperparams".format(_PATH, path))
    if fe_config.override_base_feature_extractor_hyperparams:
      kwargs["override_base_feature_extractor_hyperparams"] = True
  elif fe_config.override_base_feature_extractor_hyperparams:
    raise _fail(path + ".override_base_feature_extractor_hyperparams",
                "needs conv_hyperparams")
  if is_fpn and fe_config.HasField("fpn"):
    kwargs.update(fpn_min_level=fe_config.fpn.min_level,
                  fpn_max_level=fe_config.fpn.max_level,
                  additional_layer_depth=fe_config.fpn.additional_layer_depth)
  try:
    return extractors.FASTER_RCNN_KERAS_FEATURE_EXTRACTORS[fe_config.type](
        is_training=is_training,
        first_stage_features_stride=fe_config.first_stage_features_stride,
        batch_norm_trainable=fe_config.batch_norm_trainable, **kwargs)
  except ValueError as error:
    raise _fail(path, str(error)) from error


def _check_anchor_layout(config: faster_rcnn_pb2.FasterRcnn,
                         feature_extractor: Any, generator: Any) -> None:
  """The anchor generator must produce one grid per proposal feature map."""
  num_maps = len(feature_extractor.proposal_feature_strides)
  num_grids = len(generator.num_anchors_per_location())
  if num_maps != num_grids:
    which = config.first_stage_anchor_generator.WhichOneof(
        "anchor_generator_oneof")
    raise _fail("first_stage_anchor_generator." + str(which),
                "makes {} anchor grid(s) but feature extractor {!r} has {} "
                "proposal feature map(s) (use multiscale_anchor_generator "
                "with the fpn levels for FPN extractors, "
                "grid_anchor_generator otherwise)".format(
                    num_grids, config.feature_extractor.type, num_maps))
  multiscale = config.first_stage_anchor_generator.multiscale_anchor_generator
  if (config.first_stage_anchor_generator.HasField(
      "multiscale_anchor_generator") and multiscale.normalize_coordinates):
    raise _fail("first_stage_anchor_generator.multiscale_anchor_generator."
                "normalize_coordinates", "must be false for faster_rcnn "
                "(its anchors are in pixels)")
  if feature_extractor.fpn_min_level is not None:
    levels = (multiscale.min_level, multiscale.max_level)
    expected = (feature_extractor.fpn_min_level,
                feature_extractor.fpn_max_level)
    if levels != expected:
      raise _fail("first_stage_anchor_generator.multiscale_anchor_generator",
                  "levels {}..{} must equal the extractor's fpn levels "
                  "{}..{}".format(levels[0], levels[1], *expected))


def _proposal_params(config: faster_rcnn_pb2.FasterRcnn
                     ) -> proposal_generator.ProposalParams:
  top_k = config.first_stage_pre_nms_top_k
  if top_k < 0:
    raise _fail("first_stage_pre_nms_top_k",
                "must be >= 0, got {}".format(top_k))
  return proposal_generator.ProposalParams(
      max_proposals=config.first_stage_max_proposals,
      iou_threshold=config.first_stage_nms_iou_threshold,
      score_threshold=config.first_stage_nms_score_threshold,
      pre_nms_top_k=top_k or None)


def _build_heads(config: faster_rcnn_pb2.FasterRcnn, is_training: bool,
                 generator: Any, is_fpn: bool) -> meta.FasterRcnnHeads:
  rpn = rpn_box_predictor.RpnBoxPredictor(
      is_training=is_training,
      num_anchors_per_location=generator.num_anchors_per_location(),
      conv_hyperparams=hyperparams_builder.KerasLayerHyperparams(
          config.first_stage_box_predictor_conv_hyperparams,
          path=_PATH + ".first_stage_box_predictor_conv_hyperparams"),
      kernel_size=config.first_stage_box_predictor_kernel_size,
      depth=config.first_stage_box_predictor_depth,
      atrous_rate=config.first_stage_atrous_rate,
      freeze_batchnorm=not is_training,
      name="FirstStageBoxPredictor")
  if config.number_of_stages == 1:
    return meta.FasterRcnnHeads(rpn_box_predictor=rpn)
  predictor = config.second_stage_box_predictor.mask_rcnn_box_predictor
  path = _PATH + ".second_stage_box_predictor.mask_rcnn_box_predictor"
  conv_hyperparams = None
  if predictor.HasField("conv_hyperparams"):
    conv_hyperparams = hyperparams_builder.KerasLayerHyperparams(
        predictor.conv_hyperparams, path=path + ".conv_hyperparams")
  box_predictor = mask_predictor_lib.build_mask_rcnn_keras_box_predictor(
      is_training=is_training, num_classes=config.num_classes,
      fc_hyperparams=hyperparams_builder.KerasLayerHyperparams(
          predictor.fc_hyperparams, path=path + ".fc_hyperparams"),
      freeze_batchnorm=not is_training, use_dropout=predictor.use_dropout,
      dropout_keep_prob=predictor.dropout_keep_probability,
      box_code_size=predictor.box_code_size,
      share_box_across_classes=predictor.share_box_across_classes,
      predict_instance_masks=predictor.predict_instance_masks,
      conv_hyperparams=conv_hyperparams, mask_height=predictor.mask_height,
      mask_width=predictor.mask_width,
      mask_prediction_num_conv_layers=(
          predictor.mask_prediction_num_conv_layers),
      mask_prediction_conv_depth=predictor.mask_prediction_conv_depth,
      masks_are_class_agnostic=predictor.masks_are_class_agnostic,
      convolve_then_upsample_masks=predictor.convolve_then_upsample_masks)
  return meta.FasterRcnnHeads(rpn_box_predictor=rpn,
                              box_predictor=box_predictor,
                              masks_from_roi_crops=is_fpn)


def _build_losses(config: faster_rcnn_pb2.FasterRcnn, is_training: bool
                  ) -> meta.FasterRcnnLosses:
  use_static = config.use_static_shapes and (
      config.use_static_shapes_for_eval or is_training)
  static_sampling = config.use_static_balanced_label_sampler and use_static
  rpn = rpn_loss.RpnLoss(
      target_assigner.create_target_assigner(
          "FasterRCNN", "proposal",
          use_matmul_gather=config.use_matmul_gather_in_matcher),
      rpn_loss.RpnLossParams(
          minibatch_size=config.first_stage_minibatch_size,
          positive_fraction=config.first_stage_positive_balance_fraction,
          localization_weight=config.first_stage_localization_loss_weight,
          objectness_weight=config.first_stage_objectness_loss_weight,
          static_sampling=static_sampling))
  if config.number_of_stages == 1:
    return meta.FasterRcnnLosses(rpn_loss=rpn)
  miner = None
  if config.HasField("hard_example_miner"):
    miner = losses_builder.build_hard_example_miner(
        config.hard_example_miner,
        config.second_stage_classification_loss_weight,
        config.second_stage_localization_loss_weight,
        path=_PATH + ".hard_example_miner")
  sampler = proposal_sampler.ProposalSampler(
      target_assigner.create_target_assigner(
          "FasterRCNN", "detection",
          use_matmul_gather=config.use_matmul_gather_in_matcher),
      config.num_classes, config.second_stage_batch_size,
      config.second_stage_balance_fraction, static_sampling=static_sampling)
  classifier_loss = box_classifier_loss.BoxClassifierLoss(
      losses_builder.build_faster_rcnn_classification_loss(
          config.second_stage_classification_loss,
          path=_PATH + ".second_stage_classification_loss"),
      box_classifier_loss.BoxClassifierLossParams(
          localization_weight=config.second_stage_localization_loss_weight,
          classification_weight=(
              config.second_stage_classification_loss_weight)),
      hard_example_miner=miner)
  predictor = config.second_stage_box_predictor.mask_rcnn_box_predictor
  masks = None
  if predictor.predict_instance_masks:
    masks = mask_loss.MaskLoss(config.second_stage_mask_prediction_loss_weight)
  return meta.FasterRcnnLosses(
      rpn_loss=rpn, proposal_sampler=sampler,
      box_classifier_loss=classifier_loss, mask_loss=masks,
      sample_proposals=miner is None)


def validate(model_config: model_pb2.DetectionModel,
             is_training: bool) -> None:
  """Runs every check of `build` without building the Keras networks.

  Args:
    model_config: a model_pb2.DetectionModel.
    is_training: whether the model would be built for training.

  Raises:
    TypeError, ValueError: exactly as `build` would.
  """
  _check_model_config(model_config)
  which = model_config.WhichOneof("model")
  _PART_BUILDERS[which](getattr(model_config, which), is_training)


def _faster_rcnn_parts(config: faster_rcnn_pb2.FasterRcnn,
                       is_training: bool) -> Dict[str, Any]:
  """Validates the config and builds the FasterRCNNMetaArch arguments.

  Nothing here builds a Keras network (extractors and heads build lazily),
  so this is cheap enough for config validation.
  """
  _validate_flags(config)
  if config.number_of_stages > 1:
    _validate_second_stage(config, is_training)
  elif (config.second_stage_box_predictor.mask_rcnn_box_predictor
        .predict_instance_masks):
    raise _fail("number_of_stages", "must be 2 or 3 when "
                "second_stage_box_predictor.mask_rcnn_box_predictor."
                "predict_instance_masks is true, got 1")
  image_resizer_fn = image_resizer_builder.build(
      config.image_resizer, path=_PATH + ".image_resizer")
  feature_extractor = _build_feature_extractor(config, is_training)
  generator = anchor_generator_builder.build(
      config.first_stage_anchor_generator,
      _PATH + ".first_stage_anchor_generator")
  _check_anchor_layout(config, feature_extractor, generator)
  is_fpn = feature_extractor.fpn_min_level is not None
  proposal_coder = target_assigner.create_target_assigner(
      "FasterRCNN", "proposal").box_coder
  postprocessor = roi_extractor = None
  if config.number_of_stages > 1:
    nms_fn, score_fn = post_processing_builder.build(
        config.second_stage_post_processing,
        path=_PATH + ".second_stage_post_processing")
    postprocessor = detection_postprocessor.DetectionPostprocessor(
        target_assigner.create_target_assigner("FasterRCNN",
                                               "detection").box_coder,
        nms_fn, score_fn)
    roi_extractor = roi_ops.RoiFeatureExtractor(
        config.initial_crop_size, feature_extractor.fpn_min_level,
        feature_extractor.fpn_max_level)
  stages = meta.FasterRcnnStages(
      number_of_stages=config.number_of_stages,
      proposal_generator=proposal_generator.ProposalGenerator(
          proposal_coder, _proposal_params(config)),
      roi_extractor=roi_extractor,
      maxpool_kernel_size=config.maxpool_kernel_size or 1,
      maxpool_stride=config.maxpool_stride or 1,
      postprocessor=postprocessor,
      clip_anchors_to_image=config.clip_anchors_to_image,
      resize_masks=config.resize_masks)
  return dict(
      is_training=is_training, num_classes=config.num_classes,
      image_resizer_fn=image_resizer_fn, feature_extractor=feature_extractor,
      anchor_generator=generator,
      heads=_build_heads(config, is_training, generator, is_fpn),
      stages=stages, losses=_build_losses(config, is_training))


def _build_faster_rcnn(config: faster_rcnn_pb2.FasterRcnn,
                       is_training: bool) -> meta.FasterRCNNMetaArch:
  """Builds Faster / Mask R-CNN; see the module docstring."""
  return meta.FasterRCNNMetaArch(**_faster_rcnn_parts(config, is_training))


_MODEL_BUILDERS: Dict[str, Callable[..., model_lib.DetectionModel]] = {
    "faster_rcnn": _build_faster_rcnn,
}
_PART_BUILDERS: Dict[str, Callable[..., Any]] = {
    "faster_rcnn": _faster_rcnn_parts,
}
