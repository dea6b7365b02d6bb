"""Faster R-CNN feature extractor on Keras Inception-ResNet-v2.

The network is `keras.applications.InceptionResNetV2` with `weights=None`,
rebuilt (keras_model_surgery) as the TF OD API builds it:

  * proposal features: `block17_20_ac`, float32 [batch, ceil(H / s),
    ceil(W / s), 1088]. Every 'valid' convolution and pooling up to and
    including Mixed_6a becomes 'same' (the TF OD API's
    `align_feature_maps=True`), so sizes are exact ceilings;
  * first_stage_features_stride 16: the standard network;
    first_stage_features_stride 8: Mixed_6a keeps stride 1 and the
    convolutions of the 20 Block17 units use dilation 2 (the slim
    `output_stride=8` network of the TF OD API "atrous" configs);
  * box classifier: Mixed_7a .. `conv_7b_ac` (unchanged, 'valid' padding) on
    ROI crops, [num_rois, h, w, 1088] -> [num_rois, (h - 1) // 2,
    (w - 1) // 2, 1536], e.g. 17x17 crops -> 8x8.

Preprocessing maps [0, 255] to [-1, 1].
"""

from typing import Tuple

import keras
import tensorflow as tf

from object_detection.models import faster_rcnn_single_level_keras_feature_extractor as single_level
from object_detection.models import keras_model_surgery

_PROPOSAL_OUTPUT = "block17_20_ac"
_CLASSIFIER_OUTPUT = "conv_7b_ac"


def build_inception_resnet_v2_backbone(train_batch_norm: bool,
                                       weight_decay: float,
                                       output_stride: int) -> keras.Model:
  """Builds the unloaded, aligned Keras Inception-ResNet-v2.

  Args:
    train_batch_norm: whether batch norm uses batch statistics in training.
    weight_decay: >= 0 L2 weight decay of the kernels.
    output_stride: 16 or 8, the stride of `block17_20_ac`.

  Returns:
    keras.Model float32 [batch, H, W, 3] -> `conv_7b_ac` features.

  Raises:
    ValueError: if output_stride is not 8 or 16.
  """
  if output_stride not in (8, 16):
    raise ValueError("output_stride must be 8 or 16, got {}".format(
        output_stride))
  model = keras.applications.InceptionResNetV2(
      include_top=False, weights=None, input_shape=(None, None, 3))
  names = [layer.name for layer in model.layers]
  mixed_6a_index = names.index("mixed_6a")
  mixed_6a_start = names.index("block35_10_ac") + 1
  block17_end = names.index(_PROPOSAL_OUTPUT)
  overrides = {}
  for index, layer in enumerate(model.layers[:mixed_6a_index]):
    config = layer.get_config()
    update = {}
    if config.get("padding") == "valid":
      update["padding"] = "same"
    if output_stride == 8 and index >= mixed_6a_start and (
        tuple(config.get("strides", (1, 1))) == (2, 2)):
      update["strides"] = (1, 1)
    if update:
      overrides[layer.name] = update
  if output_stride == 8:
    for layer in model.layers[mixed_6a_index + 1:block17_end]:
      if isinstance(layer, keras.layers.Conv2D) and max(layer.kernel_size) > 1:
        overrides[layer.name] = {"dilation_rate": (2, 2)}
  return keras_model_surgery.rebuild(model, train_batch_norm, weight_decay,
                                     overrides)


class FasterRCNNInceptionResnetV2KerasFeatureExtractor(
    single_level.FasterRCNNSingleLevelKerasFeatureExtractor):
  """Faster R-CNN on Inception-ResNet-v2, split after Block17.

  Proposal model: images [batch, H, W, 3] -> [batch, ceil(H / s),
  ceil(W / s), 1088], s = first_stage_features_stride. Box classifier: ROI
  crops [N, h, w, 1088] -> [N, (h - 1) // 2, (w - 1) // 2, 1536].
  Constructor arguments: see FasterRCNNSingleLevelKerasFeatureExtractor.
  """

  def preprocess(self, resized_inputs: tf.Tensor) -> tf.Tensor:
    """Maps float32 [batch, H, W, C] in [0, 255] to [-1, 1]."""
    return (2.0 / 255.0) * resized_inputs - 1.0

  def _build_backbone(self) -> keras.Model:
    return build_inception_resnet_v2_backbone(
        self._train_batch_norm, self._weight_decay,
        self._first_stage_features_stride)

  def _split_layer_names(self) -> Tuple[str, str]:
    return _PROPOSAL_OUTPUT, _CLASSIFIER_OUTPUT
