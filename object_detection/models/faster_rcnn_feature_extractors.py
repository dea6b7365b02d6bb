"""The Faster R-CNN feature extractors, by TF OD API type name.

`FASTER_RCNN_KERAS_FEATURE_EXTRACTORS` maps the `feature_extractor.type`
string of a `faster_rcnn` model config to the extractor class. The older
(TF1) names build the same Keras networks as their `_keras` counterparts, so
older configs work; their `first_stage_features_stride` 8 builds the dilated
("atrous") networks.

Constructor arguments (keywords):
  * every class: is_training, first_stage_features_stride,
    batch_norm_trainable, weight_decay;
  * the classes in FPN_FEATURE_EXTRACTOR_TYPES also: conv_hyperparams,
    fpn_min_level, fpn_max_level, additional_layer_depth and
    override_base_feature_extractor_hyperparams (honoured by every FPN
    extractor: the backbone then takes conv_hyperparams' initializer,
    regularizer, batch norm and activation).
"""

from typing import Dict, FrozenSet, Type

from object_detection.models import faster_rcnn_inception_resnet_v2_keras_feature_extractor as irv2
from object_detection.models import faster_rcnn_keras_feature_extractor
from object_detection.models import faster_rcnn_resnet_keras_feature_extractor as resnet
from object_detection.models import faster_rcnn_resnet_v1_fpn_keras_feature_extractor as resnet_fpn
from object_detection.models import faster_rcnn_small_fpn_keras_feature_extractor as small_fpn

_Extractor = Type[
    faster_rcnn_keras_feature_extractor.FasterRCNNKerasFeatureExtractor]

FASTER_RCNN_KERAS_FEATURE_EXTRACTORS: Dict[str, _Extractor] = {
    "faster_rcnn_resnet50_keras":
        resnet.FasterRCNNResnet50KerasFeatureExtractor,
    "faster_rcnn_resnet101_keras":
        resnet.FasterRCNNResnet101KerasFeatureExtractor,
    "faster_rcnn_resnet152_keras":
        resnet.FasterRCNNResnet152KerasFeatureExtractor,
    "faster_rcnn_inception_resnet_v2_keras":
        irv2.FasterRCNNInceptionResnetV2KerasFeatureExtractor,
    "faster_rcnn_resnet50_fpn_keras":
        resnet_fpn.FasterRCNNResnet50FpnKerasFeatureExtractor,
    "faster_rcnn_resnet101_fpn_keras":
        resnet_fpn.FasterRCNNResnet101FpnKerasFeatureExtractor,
    "faster_rcnn_resnet152_fpn_keras":
        resnet_fpn.FasterRCNNResnet152FpnKerasFeatureExtractor,
    "faster_rcnn_small_fpn_keras":
        small_fpn.FasterRCNNSmallFpnKerasFeatureExtractor,
    # Older (TF1 slim) names of the same networks.
    "faster_rcnn_resnet50":
        resnet.FasterRCNNResnet50KerasFeatureExtractor,
    "faster_rcnn_resnet101":
        resnet.FasterRCNNResnet101KerasFeatureExtractor,
    "faster_rcnn_resnet152":
        resnet.FasterRCNNResnet152KerasFeatureExtractor,
    "faster_rcnn_inception_resnet_v2":
        irv2.FasterRCNNInceptionResnetV2KerasFeatureExtractor,
}

# Types whose proposal features are an FPN (a list of maps) and whose
# constructors take the FPN arguments.
FPN_FEATURE_EXTRACTOR_TYPES: FrozenSet[str] = frozenset({
    "faster_rcnn_resnet50_fpn_keras",
    "faster_rcnn_resnet101_fpn_keras",
    "faster_rcnn_resnet152_fpn_keras",
    "faster_rcnn_small_fpn_keras",
})
