"""Tests for object_detection/predictors/heads/keras_mask_head.py."""

import pytest
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.predictors.heads import keras_mask_head

_HYPERPARAMS = default_layer_hyperparams.DefaultLayerHyperparams(
    use_batch_norm=True)


def _head(**kwargs):
  args = dict(is_training=True, num_classes=4, freeze_batchnorm=False,
              conv_hyperparams=_HYPERPARAMS)
  args.update(kwargs)
  return keras_mask_head.MaskRCNNMaskHead(**args)


def _kernel_shapes(head):
  return [tuple(v.shape) for v in head.trainable_variables
          if v.name == "kernel"]


@pytest.mark.parametrize("agnostic,num_masks", [(False, 4), (True, 1)])
def test_resize_then_convolve(agnostic, num_masks):
  head = _head(mask_height=15, mask_width=12,
               mask_prediction_num_conv_layers=3, mask_prediction_conv_depth=8,
               masks_are_class_agnostic=agnostic)
  out = head(tf.ones([5, 7, 7, 16]), training=True)
  assert tuple(out.shape) == (5, 1, num_masks, 15, 12)
  assert _kernel_shapes(head) == [(3, 3, 16, 8), (3, 3, 8, 8),
                                  (3, 3, 8, num_masks)]


def test_convolve_then_upsample_is_the_paper_head():
  head = _head(mask_height=28, mask_width=28,
               mask_prediction_num_conv_layers=5,
               mask_prediction_conv_depth=8, convolve_then_upsample=True)
  out = head(tf.ones([3, 14, 14, 16]), training=True)
  assert tuple(out.shape) == (3, 1, 4, 28, 28)
  # Four 3x3 convs at 14x14, a 2x2 stride-2 transposed conv, a 1x1 predictor.
  assert _kernel_shapes(head) == [
      (3, 3, 16, 8), (3, 3, 8, 8), (3, 3, 8, 8), (3, 3, 8, 8), (2, 2, 8, 8),
      (1, 1, 8, 4)]


def test_automatic_depth():
  # 2 ** round((2 * log2(1024) + 3 * log2(90)) / 5) = 2 ** 8
  assert keras_mask_head.mask_predictor_conv_depth(1024, 90) == 256
  # 2 ** round((2 * 6 + 3 * 1) / 5) = 2 ** 3
  assert keras_mask_head.mask_predictor_conv_depth(64, 2) == 8
  head = _head(num_classes=2, mask_prediction_conv_depth=0,
               mask_prediction_num_conv_layers=2)
  head(tf.ones([1, 4, 4, 64]))
  assert _kernel_shapes(head)[0] == (3, 3, 64, 8)


def test_errors():
  with pytest.raises(ValueError, match=r"the ROI feature size \(6x6\) must "
                     r"divide the mask size \(28x28\)"):
    _head(mask_height=28, mask_width=28, convolve_then_upsample=True)(
        tf.ones([1, 6, 6, 8]))
  with pytest.raises(ValueError,
                     match="mask_prediction_num_conv_layers must be >= 1"):
    _head(mask_prediction_num_conv_layers=0)
  with pytest.raises(ValueError, match="mask_height and mask_width must be "
                     ">= 1, got 0x14"):
    _head(mask_height=0)
