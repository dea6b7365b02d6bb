"""Standard names for tensors passed between detection components.

Every dict key, BoxList field and tf.Example feature name the package uses
comes from this module rather than from string literals. Names and string
values are the TF Object Detection API's, so dicts, SavedModel signatures
and TFRecords written by either toolkit read the same way.

Classes:
  InputDataFields: keys of the decoded / preprocessed input tensor dicts.
  DetectionResultFields: keys of the detector's output dict.
  BoxListFields: names of the extra fields carried by a BoxList.
  PredictionFields: keys of intermediate prediction dicts.
  TfExampleFields: feature keys inside serialized tf.Example records.
"""


class InputDataFields:
  """Keys of the input tensor dicts produced by decoders and preprocessing.

  Shapes below are for one image; batched dicts add a leading batch dim.
  num_boxes is the number of groundtruth boxes.

  Attributes:
    image: uint8 or float32 [height, width, channels] image.
    image_additional_channels: extra image channels stored separately.
    original_image: the image before resizing.
    original_image_spatial_shape: int32 [2] (height, width) before resizing.
    key: unique string key of the example.
    source_id: string id of the source image.
    filename: image file name, without the common directory.
    groundtruth_image_classes: image-level class labels.
    groundtruth_image_confidences: confidences of the image-level labels.
    groundtruth_labeled_classes: classes for which the image was annotated.
    groundtruth_boxes: float32 [num_boxes, 4] normalised boxes.
    groundtruth_classes: int32 [num_boxes] class ids (1-based in records).
    groundtruth_track_ids: int32 [num_boxes] track ids for video data.
    groundtruth_temporal_offset: [num_boxes, 2] box-center motion between
      adjacent frames.
    groundtruth_track_match_flags: [num_boxes] whether the object is present
      in the previous frame.
    groundtruth_confidences: [num_boxes] confidences of the box labels.
    groundtruth_label_types: [num_boxes] label types (e.g. explicit
      negative).
    groundtruth_is_crowd: bool [num_boxes]; deprecated in favour of
      groundtruth_group_of.
    groundtruth_area: float32 [num_boxes] area of each segment.
    groundtruth_difficult: [num_boxes] whether an object is "difficult".
    groundtruth_group_of: [num_boxes] whether a box covers a group of
      objects.
    proposal_boxes: [num_proposals, 4] external object proposals.
    proposal_objectness: [num_proposals] objectness of those proposals.
    groundtruth_instance_masks: [num_boxes, height, width] instance masks.
    groundtruth_instance_mask_weights: [num_boxes] weight of each mask.
    groundtruth_instance_boundaries: [num_boxes, height, width] boundaries.
    groundtruth_instance_classes: class ids of the instance masks.
    groundtruth_keypoints: [num_boxes, num_keypoints, 2] keypoints.
    groundtruth_keypoint_depths: [num_boxes, num_keypoints] relative depths.
    groundtruth_keypoint_depth_weights: weights of those depths.
    groundtruth_keypoint_visibilities: [num_boxes, num_keypoints] visibility.
    groundtruth_keypoint_weights: [num_boxes, num_keypoints] loss weights.
    groundtruth_label_weights: per-label loss weights.
    groundtruth_verified_neg_classes: classes verified absent in the image.
    groundtruth_not_exhaustive_classes: classes not exhaustively annotated.
    groundtruth_weights: float32 [num_boxes] loss weight of each box.
    groundtruth_dp_num_points: DensePose points sampled per instance.
    groundtruth_dp_part_ids: DensePose part index of each point.
    groundtruth_dp_surface_coords: DensePose image and UV coordinates.
    num_groundtruth_boxes: int32 scalar number of valid groundtruth boxes.
    is_annotated: bool scalar, whether the image carries labels.
    true_image_shape: int32 [3] shape of the image inside the padded
      tensor.
    multiclass_scores: [num_boxes, num_classes] per-class label scores.
    context_features: flattened list of context features.
    context_feature_length: length of one context feature, for reshaping.
    valid_context_size: number of valid (unpadded) context features.
    context_features_image_id_list: source ids of the context features.
    image_timestamps: timestamps of video frames.
    image_format: encoding of the image, used to decode it.
    image_height: image height, used to decode.
    image_width: image width, used to decode.
  """
  image = 'image'
  image_additional_channels = 'image_additional_channels'
  original_image = 'original_image'
  original_image_spatial_shape = 'original_image_spatial_shape'
  key = 'key'
  source_id = 'source_id'
  filename = 'filename'
  groundtruth_image_classes = 'groundtruth_image_classes'
  groundtruth_image_confidences = 'groundtruth_image_confidences'
  groundtruth_labeled_classes = 'groundtruth_labeled_classes'
  groundtruth_boxes = 'groundtruth_boxes'
  groundtruth_classes = 'groundtruth_classes'
  groundtruth_track_ids = 'groundtruth_track_ids'
  groundtruth_temporal_offset = 'groundtruth_temporal_offset'
  groundtruth_track_match_flags = 'groundtruth_track_match_flags'
  groundtruth_confidences = 'groundtruth_confidences'
  groundtruth_label_types = 'groundtruth_label_types'
  groundtruth_is_crowd = 'groundtruth_is_crowd'
  groundtruth_area = 'groundtruth_area'
  groundtruth_difficult = 'groundtruth_difficult'
  groundtruth_group_of = 'groundtruth_group_of'
  proposal_boxes = 'proposal_boxes'
  proposal_objectness = 'proposal_objectness'
  groundtruth_instance_masks = 'groundtruth_instance_masks'
  groundtruth_instance_mask_weights = 'groundtruth_instance_mask_weights'
  groundtruth_instance_boundaries = 'groundtruth_instance_boundaries'
  groundtruth_instance_classes = 'groundtruth_instance_classes'
  groundtruth_keypoints = 'groundtruth_keypoints'
  groundtruth_keypoint_depths = 'groundtruth_keypoint_depths'
  groundtruth_keypoint_depth_weights = 'groundtruth_keypoint_depth_weights'
  groundtruth_keypoint_visibilities = 'groundtruth_keypoint_visibilities'
  groundtruth_keypoint_weights = 'groundtruth_keypoint_weights'
  groundtruth_label_weights = 'groundtruth_label_weights'
  groundtruth_verified_neg_classes = 'groundtruth_verified_neg_classes'
  groundtruth_not_exhaustive_classes = 'groundtruth_not_exhaustive_classes'
  groundtruth_weights = 'groundtruth_weights'
  groundtruth_dp_num_points = 'groundtruth_dp_num_points'
  groundtruth_dp_part_ids = 'groundtruth_dp_part_ids'
  groundtruth_dp_surface_coords = 'groundtruth_dp_surface_coords'
  num_groundtruth_boxes = 'num_groundtruth_boxes'
  is_annotated = 'is_annotated'
  true_image_shape = 'true_image_shape'
  multiclass_scores = 'multiclass_scores'
  context_features = 'context_features'
  context_feature_length = 'context_feature_length'
  valid_context_size = 'valid_context_size'
  context_features_image_id_list = 'context_features_image_id_list'
  image_timestamps = 'image_timestamps'
  image_format = 'image_format'
  image_height = 'image_height'
  image_width = 'image_width'


class DetectionResultFields:
  """Keys of the detector's output dict (post-processed detections).

  Shapes are batched: [batch, max_detections, ...].

  Attributes:
    source_id: string id of the source image.
    key: unique string key of the example.
    detection_boxes: float32 [batch, max_detections, 4] normalised boxes.
    detection_scores: float32 [batch, max_detections] scores.
    detection_multiclass_scores: float32 [batch, max_detections,
      num_classes + 1] score of every class, background included.
    detection_features: features extracted for each kept detection.
    detection_classes: float32 [batch, max_detections] class ids.
    detection_masks: float32 [batch, max_detections, mask_height,
      mask_width] instance masks.
    detection_surface_coords: DensePose surface coordinates per detection.
    detection_boundaries: object boundary per detection.
    detection_keypoints: [batch, max_detections, num_keypoints, 2].
    detection_keypoint_scores: [batch, max_detections, num_keypoints].
    detection_keypoint_depths: [batch, max_detections, num_keypoints].
    detection_embeddings: embedding vector per detection.
    detection_offsets: temporal offset per detection (the string value is
      'detection_temporal_offsets').
    num_detections: float32 [batch] number of valid detections.
    raw_detection_boxes: float32 [batch, num_anchors, 4] decoded boxes
      before non-max suppression.
    raw_detection_scores: float32 [batch, num_anchors, num_classes + 1]
      scores of those boxes.
    detection_anchor_indices: int32 [batch, max_detections] index of the
      anchor (or proposal) each detection came from.
  """
  source_id = 'source_id'
  key = 'key'
  detection_boxes = 'detection_boxes'
  detection_scores = 'detection_scores'
  detection_multiclass_scores = 'detection_multiclass_scores'
  detection_features = 'detection_features'
  detection_classes = 'detection_classes'
  detection_masks = 'detection_masks'
  detection_surface_coords = 'detection_surface_coords'
  detection_boundaries = 'detection_boundaries'
  detection_keypoints = 'detection_keypoints'
  detection_keypoint_scores = 'detection_keypoint_scores'
  detection_keypoint_depths = 'detection_keypoint_depths'
  detection_embeddings = 'detection_embeddings'
  detection_offsets = 'detection_temporal_offsets'
  num_detections = 'num_detections'
  raw_detection_boxes = 'raw_detection_boxes'
  raw_detection_scores = 'raw_detection_scores'
  detection_anchor_indices = 'detection_anchor_indices'


class BoxListFields:
  """Names of the extra per-box fields of a BoxList.

  Attributes:
    boxes: the boxes themselves, float32 [N, 4].
    classes: class of each box.
    scores: score of each box.
    weights: loss weight of each box.
    confidences: label confidence of each box.
    objectness: objectness score of each box.
    masks: [N, height, width] instance mask of each box.
    mask_weights: [N] weight of each mask.
    boundaries: boundary of each box's object.
    keypoints: [N, num_keypoints, 2] keypoints of each box.
    keypoint_visibilities: [N, num_keypoints] keypoint visibilities.
    keypoint_heatmaps: keypoint heatmaps of each box.
    keypoint_depths: [N, num_keypoints] keypoint depths.
    keypoint_depth_weights: [N, num_keypoints] weights of those depths.
    densepose_num_points: DensePose point count of each box.
    densepose_part_ids: DensePose part ids of each box.
    densepose_surface_coords: DensePose surface coordinates of each box.
    is_crowd: crowd flag of each box.
    group_of: group-of flag of each box.
    track_ids: track id of each box.
    temporal_offsets: temporal center offset of each box.
    track_match_flags: match flag of each box.
  """
  boxes = 'boxes'
  classes = 'classes'
  scores = 'scores'
  weights = 'weights'
  confidences = 'confidences'
  objectness = 'objectness'
  masks = 'masks'
  mask_weights = 'mask_weights'
  boundaries = 'boundaries'
  keypoints = 'keypoints'
  keypoint_visibilities = 'keypoint_visibilities'
  keypoint_heatmaps = 'keypoint_heatmaps'
  keypoint_depths = 'keypoint_depths'
  keypoint_depth_weights = 'keypoint_depth_weights'
  densepose_num_points = 'densepose_num_points'
  densepose_part_ids = 'densepose_part_ids'
  densepose_surface_coords = 'densepose_surface_coords'
  is_crowd = 'is_crowd'
  group_of = 'group_of'
  track_ids = 'track_ids'
  temporal_offsets = 'temporal_offsets'
  track_match_flags = 'track_match_flags'


class PredictionFields:
  """Keys of intermediate prediction dicts.

  Attributes:
    feature_maps: list of feature maps the heads predict from.
    anchors: the generated anchors.
    raw_detection_boxes: decoded boxes before non-max suppression.
    raw_detection_feature_map_indices: index of the feature map each raw
      box came from.
  """
  feature_maps = 'feature_maps'
  anchors = 'anchors'
  raw_detection_boxes = 'raw_detection_boxes'
  raw_detection_feature_map_indices = 'raw_detection_feature_map_indices'


class TfExampleFields:
  """Feature keys inside serialized tf.Example records.

  Box coordinates in records are normalised to [0, 1].

  Attributes:
    image_encoded: encoded image bytes (JPEG or PNG).
    image_format: encoding name, e.g. b'jpeg'.
    filename: image file name.
    channels: number of image channels.
    colorspace: colour space, e.g. 'RGB'.
    height: image height in pixels.
    width: image width in pixels.
    source_id: string id of the source image.
    image_class_text: image-level label names.
    image_class_label: image-level label ids.
    image_class_confidence: confidences of the image-level labels.
    object_class_text: per-object label names.
    object_class_label: per-object label ids.
    object_bbox_ymin: per-object normalised ymin.
    object_bbox_xmin: per-object normalised xmin.
    object_bbox_ymax: per-object normalised ymax.
    object_bbox_xmax: per-object normalised xmax.
    object_view: per-object viewpoint.
    object_truncated: per-object truncation flag.
    object_occluded: per-object occlusion flag.
    object_difficult: per-object "difficult" flag.
    object_group_of: per-object group-of flag.
    object_depiction: per-object depiction flag.
    object_is_crowd: per-object crowd flag (deprecated; use group_of).
    object_segment_area: per-object segment area.
    object_weight: per-object box loss weight.
    object_mask: per-object instance masks, one PNG-encoded image each
      (input_reader mask_type PNG_MASKS).
    instance_masks: instance segmentation masks.
    instance_boundaries: instance boundaries.
    instance_classes: class of each instance mask.
    detection_class_label: class id of each stored detection.
    detection_bbox_ymin: ymin of each stored detection.
    detection_bbox_xmin: xmin of each stored detection.
    detection_bbox_ymax: ymax of each stored detection.
    detection_bbox_xmax: xmax of each stored detection.
    detection_score: score of each stored detection.
  """
  image_encoded = 'image/encoded'
  image_format = 'image/format'
  filename = 'image/filename'
  channels = 'image/channels'
  colorspace = 'image/colorspace'
  height = 'image/height'
  width = 'image/width'
  source_id = 'image/source_id'
  image_class_text = 'image/class/text'
  image_class_label = 'image/class/label'
  image_class_confidence = 'image/class/confidence'
  object_class_text = 'image/object/class/text'
  object_class_label = 'image/object/class/label'
  object_bbox_ymin = 'image/object/bbox/ymin'
  object_bbox_xmin = 'image/object/bbox/xmin'
  object_bbox_ymax = 'image/object/bbox/ymax'
  object_bbox_xmax = 'image/object/bbox/xmax'
  object_view = 'image/object/view'
  object_truncated = 'image/object/truncated'
  object_occluded = 'image/object/occluded'
  object_difficult = 'image/object/difficult'
  object_group_of = 'image/object/group_of'
  object_depiction = 'image/object/depiction'
  object_is_crowd = 'image/object/is_crowd'
  object_segment_area = 'image/object/segment/area'
  object_weight = 'image/object/weight'
  object_mask = 'image/object/mask'
  instance_masks = 'image/segmentation/object'
  instance_boundaries = 'image/boundaries/object'
  instance_classes = 'image/segmentation/object/class'
  detection_class_label = 'image/detection/label'
  detection_bbox_ymin = 'image/detection/bbox/ymin'
  detection_bbox_xmin = 'image/detection/bbox/xmin'
  detection_bbox_ymax = 'image/detection/bbox/ymax'
  detection_bbox_xmax = 'image/detection/bbox/xmax'
  detection_score = 'image/detection/score'


# Fields that vary per frame in tf.SequenceExample inputs; every other field
# is a context (per-sequence) field.
SEQUENCE_FIELDS = (
    InputDataFields.image,
    InputDataFields.source_id,
    InputDataFields.groundtruth_boxes,
    InputDataFields.num_groundtruth_boxes,
    InputDataFields.groundtruth_classes,
    InputDataFields.groundtruth_weights,
    InputDataFields.is_annotated,
)
