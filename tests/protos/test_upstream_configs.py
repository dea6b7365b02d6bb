"""The schema reads every TF OD API sample config and label map.

Each upstream pipeline.config must parse with the strict text-format parser
(unknown fields are errors) into TrainEvalPipelineConfig and survive a
print/parse round trip; each label map likewise into StringIntLabelMap. The
default checks pin values the TF OD API schema declares, since builders rely
on them.
"""

from google.protobuf import text_format
import pytest

from tests.conftest import upstream_params
from object_detection.protos import eval_pb2
from object_detection.protos import graph_rewriter_pb2
from object_detection.protos import input_reader_pb2
from object_detection.protos import optimizer_pb2
from object_detection.protos import pipeline_pb2
from object_detection.protos import preprocessor_pb2
from object_detection.protos import string_int_label_map_pb2
from object_detection.protos import train_pb2

_CONFIGS = (upstream_params("samples/*.config") +
            upstream_params("tf2/*.config"))


def _read(path: str) -> str:
  with open(path, encoding="utf-8") as f:
    return f.read()


def _assert_round_trips(message) -> None:
  """Printing then strictly parsing gives back an equal message."""
  again = type(message)()
  text_format.Parse(text_format.MessageToString(message), again)
  assert again == message


@pytest.mark.parametrize("path", _CONFIGS)
def test_pipeline_config_parses_strictly_and_round_trips(path):
  config = pipeline_pb2.TrainEvalPipelineConfig()
  text_format.Parse(_read(path), config)
  assert config.HasField("model")
  assert config.model.WhichOneof("model") is not None
  assert config.HasField("train_config")
  _assert_round_trips(config)


@pytest.mark.parametrize("path", upstream_params("label_maps/*.pbtxt"))
def test_label_map_parses_strictly_and_round_trips(path):
  label_map = string_int_label_map_pb2.StringIntLabelMap()
  text_format.Parse(_read(path), label_map)
  assert label_map.item
  ids = [item.id for item in label_map.item]
  assert len(set(ids)) == len(ids)
  _assert_round_trips(label_map)


def test_keypoint_label_map_keeps_keypoints(upstream_configs_dir):
  label_map = string_int_label_map_pb2.StringIntLabelMap()
  text_format.Parse(
      _read(upstream_configs_dir +
            "/label_maps/face_person_with_keypoints_label_map.pbtxt"),
      label_map)
  face = label_map.item[0]
  assert (face.id, face.name) == (1, "face")
  assert [k.label for k in face.keypoints][:3] == [
      "left_eye_center", "right_eye_center", "nose_tip"]


def test_deprecated_fields_set_by_samples_still_parse(upstream_configs_dir):
  # faster_rcnn_resnet101_pets sets from_detection_checkpoint and
  # eval_config.num_examples; the Serengeti config sets
  # train_config.max_number_of_boxes.
  pets = pipeline_pb2.TrainEvalPipelineConfig()
  text_format.Parse(
      _read(upstream_configs_dir +
            "/samples/faster_rcnn_resnet101_pets.config"), pets)
  assert pets.train_config.from_detection_checkpoint
  assert pets.eval_config.num_examples == 1101
  serengeti = pipeline_pb2.TrainEvalPipelineConfig()
  text_format.Parse(
      _read(upstream_configs_dir +
            "/samples/context_rcnn_resnet101_snapshot_serengeti.config"),
      serengeti)
  assert serengeti.train_config.max_number_of_boxes == 100
  assert serengeti.train_config.use_bfloat16


def test_deprecated_fields_parse_and_are_marked_deprecated():
  config = pipeline_pb2.TrainEvalPipelineConfig()
  text_format.Parse(
      """
      train_config { from_detection_checkpoint: true max_number_of_boxes: 50 }
      eval_config { num_examples: 8000 max_evals: 10 }
      train_input_reader { queue_capacity: 10 min_after_dequeue: 5 }
      """, config)
  assert config.train_config.max_number_of_boxes == 50
  assert (config.eval_config.num_examples, config.eval_config.max_evals) == (
      8000, 10)
  assert config.train_input_reader.queue_capacity == 10
  deprecated = {
      train_pb2.TrainConfig: ["from_detection_checkpoint",
                              "max_number_of_boxes", "batch_queue_capacity",
                              "num_batch_queue_threads",
                              "prefetch_queue_capacity"],
      eval_pb2.EvalConfig: ["num_examples", "max_evals"],
      input_reader_pb2.InputReader: ["queue_capacity", "min_after_dequeue",
                                     "prefetch_size",
                                     "num_parallel_map_calls"],
  }
  for message, names in deprecated.items():
    for name in names:
      assert message.DESCRIPTOR.fields_by_name[name].GetOptions().deprecated


def test_train_config_defaults():
  config = train_pb2.TrainConfig()
  assert config.batch_size == 32
  assert config.keep_checkpoint_every_n_hours == 10000.0
  assert config.fine_tune_checkpoint_version == train_pb2.V1
  assert config.max_number_of_boxes == 100
  assert config.startup_delay_steps == 15.0
  assert config.add_regularization_loss
  assert config.unpad_groundtruth_tensors
  assert config.run_fine_tune_checkpoint_dummy_computation
  assert config.num_steps == 0


def test_input_reader_defaults():
  reader = input_reader_pb2.InputReader()
  assert reader.shuffle
  assert reader.num_readers == 64
  assert reader.shuffle_buffer_size == 2048
  assert reader.filenames_shuffle_buffer_size == 100
  assert reader.num_epochs == 0
  assert reader.sample_1_of_n_examples == 1
  assert reader.num_prefetch_batches == 2
  assert reader.max_number_of_boxes == 100
  assert reader.mask_type == input_reader_pb2.NUMERICAL_MASKS
  assert reader.input_type == input_reader_pb2.TF_EXAMPLE
  assert reader.frame_index == -1
  assert reader.drop_remainder
  assert reader.WhichOneof("input_reader") is None


def test_eval_config_defaults():
  config = eval_pb2.EvalConfig()
  assert config.batch_size == 1
  assert config.num_visualizations == 10
  assert config.num_examples == 5000
  assert config.eval_interval_secs == 300
  assert config.max_evals == 0
  assert config.min_score_threshold == pytest.approx(0.5)
  assert config.max_num_boxes_to_visualize == 20
  assert config.groundtruth_box_visualization_color == "black"
  assert config.retain_original_images
  assert config.recall_upper_bound == 1.0
  assert config.image_classes_field_map_empty_to_ones
  assert list(config.metrics_set) == []


def test_optimizer_and_learning_rate_defaults():
  optimizer = optimizer_pb2.Optimizer()
  assert optimizer.use_moving_average
  assert optimizer.moving_average_decay == pytest.approx(0.9999)
  assert optimizer_pb2.AdamOptimizer().epsilon == pytest.approx(1e-8)
  assert optimizer_pb2.RMSPropOptimizer().epsilon == 1.0
  cosine = optimizer_pb2.CosineDecayLearningRate()
  assert (cosine.total_steps, cosine.warmup_steps) == (4000000, 10000)
  assert cosine.warmup_learning_rate == pytest.approx(0.0002)
  exponential = optimizer_pb2.ExponentialDecayLearningRate()
  assert exponential.staircase
  assert exponential.decay_factor == pytest.approx(0.95)


def test_preprocessing_step_lists_every_upstream_augmentation():
  oneof = preprocessor_pb2.PreprocessingStep.DESCRIPTOR.oneofs_by_name[
      "preprocessing_step"]
  numbers = sorted(field.number for field in oneof.fields)
  assert numbers == list(range(1, 40))
  by_number = {field.number: field.name for field in oneof.fields}
  assert by_number[21] == "ssd_random_crop"
  assert by_number[31] == "autoaugment_image"
  assert by_number[39] == "adjust_gamma"


def test_preprocessor_defaults():
  flip = preprocessor_pb2.RandomHorizontalFlip()
  assert flip.probability == 0.5
  crop = preprocessor_pb2.RandomCropImage()
  assert (crop.min_object_covered, crop.overlap_thresh) == (
      1.0, pytest.approx(0.3))
  assert crop.clip_boxes
  assert (preprocessor_pb2.ResizeImage().method ==
          preprocessor_pb2.ResizeImage.BILINEAR)
  jitter = preprocessor_pb2.RandomJitterBoxes()
  assert jitter.jitter_mode == preprocessor_pb2.RandomJitterBoxes.DEFAULT
  assert preprocessor_pb2.AutoAugmentImage().policy_name == "v0"
  square = preprocessor_pb2.RandomScaleCropAndPadToSquare()
  assert square.output_size == 512


def test_graph_rewriter_and_label_map_enum():
  quantization = graph_rewriter_pb2.Quantization()
  assert (quantization.delay, quantization.weight_bits) == (500000, 8)
  # Upstream declares LVISFrequency at file level, not inside the item.
  assert string_int_label_map_pb2.LVISFrequency.Value("RARE") == 3
  item = string_int_label_map_pb2.StringIntLabelMapItem()
  text_format.Parse("id: 3 name: 'x' frequency: COMMON", item)
  assert item.frequency == string_int_label_map_pb2.COMMON


def test_strict_parser_rejects_unknown_fields():
  with pytest.raises(text_format.ParseError, match="no_such_field"):
    text_format.Parse("train_config { no_such_field: 1 }",
                      pipeline_pb2.TrainEvalPipelineConfig())
