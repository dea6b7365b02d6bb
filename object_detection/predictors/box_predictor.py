"""Keys of the prediction dicts returned by the box predictors.

The values are the TF OD API's (`object_detection.core.box_predictor`), so
code written against its predictors reads the same keys.
"""

# float32 box encodings, [batch, num_anchors, 4] (RPN) or
# [num_rois, 1, num_boxes, 4] (second stage).
BOX_ENCODINGS = "box_encodings"
# float32 logits including a background slot at index 0.
CLASS_PREDICTIONS_WITH_BACKGROUND = "class_predictions_with_background"
# float32 mask logits [num_rois, 1, num_masks, mask_height, mask_width].
MASK_PREDICTIONS = "mask_predictions"
# list of float32 [batch, h_i, w_i, depth]: the RPN's shared conv outputs.
RPN_BOX_PREDICTOR_FEATURES = "rpn_box_predictor_features"
