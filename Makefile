# The two commands of the README. Both create .venv on first use and
# (re)install the project into it whenever its packaging or schema changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install clean protos

$(STAMP): setup.py pyproject.toml $(wildcard protos/*.proto)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest tests -q

# The demo's settings; tests/test_demo.py runs the same target on a tiny
# config, dataset and schedule by setting them.
DEMO_CONFIG ?= pipelines/mask_rcnn_shapes.config
DEMO_DATA ?= data/shapes
DEMO_DIR ?= demo_output
DEMO_DATASET_FLAGS ?=
DEMO_TRAIN_FLAGS ?= --eval_every_n=500
DEMO_IMAGES ?= 16

# Makes the synthetic shapes dataset of the default pipeline, checks the
# pipeline, draws its anchors and augmented examples of its training input,
# trains it with model_main (evaluating every 500 steps and at the end; the
# best checkpoint is kept in demo_output/model/best), exports the best
# checkpoint as a SavedModel, draws its detections on 16 validation images
# and plots the training loss and the evaluation mAP.
demo: $(STAMP)
	$(PY) scripts/create_shapes_dataset.py --output_dir=$(DEMO_DATA) --preview_png=$(DEMO_DIR)/shapes_preview.png $(DEMO_DATASET_FLAGS)
	$(VENV)/bin/od-config validate $(DEMO_CONFIG)
	$(PY) scripts/plot_anchors.py --pipeline_config_path=$(DEMO_CONFIG) --image=$(DEMO_DIR)/shapes_preview.png --output=$(DEMO_DIR)/anchors.png
	$(PY) scripts/preview_inputs.py --pipeline_config_path=$(DEMO_CONFIG) --output=$(DEMO_DIR)/train_inputs.png
	rm -rf $(DEMO_DIR)/model $(DEMO_DIR)/detections
	$(VENV)/bin/od-train --pipeline_config_path=$(DEMO_CONFIG) --model_dir=$(DEMO_DIR)/model --seed=0 $(DEMO_TRAIN_FLAGS)
	$(VENV)/bin/od-export --pipeline_config_path=$(DEMO_DIR)/model/pipeline.config --trained_checkpoint_dir=$(DEMO_DIR)/model/best --output_directory=$(DEMO_DIR)/exported
	$(VENV)/bin/od-infer --saved_model_dir=$(DEMO_DIR)/exported --input=$(DEMO_DATA)/val-00000-of-00001.tfrecord --max_images=$(DEMO_IMAGES) --output_dir=$(DEMO_DIR)/detections --grid=$(DEMO_DIR)/detections.png
	$(PY) scripts/plot_training.py --model_dir=$(DEMO_DIR)/model --output=$(DEMO_DIR)/training.png
	@echo "Outputs:"
	@echo "  $(DEMO_DIR)/model          checkpoints, TensorBoard summaries, eval/metrics_<step>.json, best/"
	@echo "  $(DEMO_DIR)/exported       the SavedModel of the best checkpoint (saved_model/, checkpoint/, pipeline.config)"
	@echo "  $(DEMO_DIR)/detections.png detections on $(DEMO_IMAGES) validation images (one PNG each in $(DEMO_DIR)/detections/)"
	@echo "  $(DEMO_DIR)/training.png   training loss and evaluation mAP by step"
	@echo "  $(DEMO_DIR)/anchors.png, train_inputs.png, shapes_preview.png"
	@echo "TensorBoard: $(VENV)/bin/tensorboard --logdir=$(DEMO_DIR)/model"

clean:
	rm -rf $(VENV) build *.egg-info object_detection/protos/*_pb2.py object_detection/protos/*_pb2.pyi

# Recompiles the schema in place after editing protos/*.proto (the editable
# install imports the generated modules from the source tree).
protos: $(STAMP)
	$(PY) -c "import grpc_tools" 2>/dev/null || $(PY) -m pip install --quiet 'grpcio-tools>=1.62'
	$(PY) -c "import setup; setup.compile_protos('.')"
