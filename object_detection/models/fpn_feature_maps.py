"""Feature Pyramid Network (Lin et al. 2017) layers on backbone features.

Level l of the pyramid has stride 2**l. From backbone features C_l of levels
min_level .. base_max_level (base_max_level <= 5 for ResNets):

  * lateral:   L_l = Conv1x1(C_l), linear, with bias;
  * top-down:  T_top = L_top; T_l = L_l + Upsample2x(T_{l+1}) (nearest,
    cropped to L_l's size when the backbone rounded an odd size up);
  * output:    P_l = Conv3x3(T_l) [+ batch norm] + activation, per the
    `conv_hyperparams`, on every level (the TF OD API skips this on the top
    level; the FPN paper and Detectron2 do not);
  * extra:     P_{l+1} = Conv3x3 stride 2(P_l) [+ batch norm] + activation
    for levels above base_max_level, up to max_level (the TF OD API's coarse
    feature layers).

All outputs have `depth` channels. Layers are created and applied in a
functional Keras graph by `build_fpn`, so the FPN becomes part of one
keras.Model with the backbone.
"""

from typing import Any, List, Mapping

import keras
import tensorflow as tf


class UpsampleAdd(keras.layers.Layer):
  """Adds a 2x nearest-neighbour upsampled coarse map to a finer one.

  The upsampled map is cropped to the fine map's height and width (backbones
  with 'same' padding round odd sizes up, so 2 * coarse >= fine).
  """

  def call(self, inputs: List[tf.Tensor]) -> tf.Tensor:
    """Returns fine + crop(upsample2x(coarse)).

    Args:
      inputs: [coarse float32 [batch, h, w, C], fine float32 [batch, H, W, C]]
        with H in {2h - 1, 2h} and W in {2w - 1, 2w}.

    Returns:
      float32 [batch, H, W, C].
    """
    coarse, fine = inputs
    shape = tf.shape(coarse)
    batch, height, width = shape[0], shape[1], shape[2]
    channels = coarse.shape[-1]
    # [batch, h, 1, w, 1, C] -> [batch, h, 2, w, 2, C] -> [batch, 2h, 2w, C]
    upsampled = tf.broadcast_to(
        coarse[:, :, tf.newaxis, :, tf.newaxis, :],
        [batch, height, 2, width, 2, channels])
    upsampled = tf.reshape(upsampled, [batch, 2 * height, 2 * width, channels])
    fine_shape = tf.shape(fine)
    upsampled = upsampled[:, :fine_shape[1], :fine_shape[2], :]
    return fine + upsampled

  def compute_output_shape(self, input_shapes: Any) -> Any:
    return input_shapes[1]


def _conv_block(inputs: Any, depth: int, strides: int, name: str,
                conv_hyperparams: Any, batch_norm_training: bool) -> Any:
  """3x3 conv + batch norm (if configured) + activation, functionally."""
  net = keras.layers.Conv2D(depth, 3, strides=strides, padding="same",
                            name=name + "_conv",
                            **conv_hyperparams.params())(inputs)
  net = conv_hyperparams.build_batch_norm(
      training=batch_norm_training, name=name + "_batchnorm")(net)
  return conv_hyperparams.build_activation_layer(name=name + "_activation")(
      net)


def build_fpn(backbone_features: Mapping[int, Any],
              min_level: int,
              max_level: int,
              depth: int,
              conv_hyperparams: Any,
              batch_norm_training: bool,
              name: str = "fpn") -> List[Any]:
  """Applies FPN layers to symbolic backbone features.

  Args:
    backbone_features: level -> Keras tensor [batch, h_l, w_l, C_l] for every
      level from min_level to min(max_level, max(backbone_features)).
    min_level: finest output level, a key of backbone_features.
    max_level: coarsest output level, >= min_level.
    depth: channels of every output, > 0.
    conv_hyperparams: object with the KerasLayerHyperparams interface.
    batch_norm_training: False pins the FPN's batch norm to inference mode.
    name: prefix of the layer names.

  Returns:
    list of Keras tensors [batch, h_l, w_l, depth] for levels min_level ..
    max_level, finest first.

  Raises:
    ValueError: if levels are inconsistent or missing, or depth < 1.
  """
  if depth < 1:
    raise ValueError("FPN depth must be >= 1, got {}".format(depth))
  if min_level > max_level:
    raise ValueError("FPN min_level ({}) must be <= max_level ({})".format(
        min_level, max_level))
  base_max_level = min(max_level, max(backbone_features))
  missing = [level for level in range(min_level, base_max_level + 1)
             if level not in backbone_features]
  if missing:
    raise ValueError("FPN: no backbone features for levels {}; have {}".format(
        missing, sorted(backbone_features)))
  laterals = {}
  for level in range(min_level, base_max_level + 1):
    laterals[level] = keras.layers.Conv2D(
        depth, 1, name="{}_lateral_{}".format(name, level),
        **conv_hyperparams.params(use_bias=True))(backbone_features[level])
  top_down = {base_max_level: laterals[base_max_level]}
  for level in range(base_max_level - 1, min_level - 1, -1):
    top_down[level] = UpsampleAdd(name="{}_top_down_{}".format(name, level))(
        [top_down[level + 1], laterals[level]])
  outputs = [_conv_block(top_down[level], depth, 1,
                         "{}_output_{}".format(name, level), conv_hyperparams,
                         batch_norm_training)
             for level in range(min_level, base_max_level + 1)]
  for level in range(base_max_level + 1, max_level + 1):
    outputs.append(_conv_block(outputs[-1], depth, 2,
                               "{}_extra_{}".format(name, level),
                               conv_hyperparams, batch_norm_training))
  return outputs
