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

# Makes the synthetic shapes dataset of the default pipeline, checks the
# pipeline, draws its anchors and augmented examples of its training input,
# then trains it with model_main (evaluating every 1000 steps and at the
# end; the best checkpoint is kept in demo_output/model/best).
demo: $(STAMP)
	$(PY) scripts/create_shapes_dataset.py --output_dir=data/shapes --preview_png=demo_output/shapes_preview.png
	$(VENV)/bin/od-config validate pipelines/mask_rcnn_shapes.config
	$(PY) scripts/plot_anchors.py --pipeline_config_path=pipelines/mask_rcnn_shapes.config --image=demo_output/shapes_preview.png --output=demo_output/anchors.png
	$(PY) scripts/preview_inputs.py --pipeline_config_path=pipelines/mask_rcnn_shapes.config --output=demo_output/train_inputs.png
	rm -rf demo_output/model
	$(VENV)/bin/od-train --pipeline_config_path=pipelines/mask_rcnn_shapes.config --model_dir=demo_output/model --eval_every_n=1000 --seed=0
	@echo "TensorBoard: $(VENV)/bin/tensorboard --logdir=demo_output/model"

clean:
	rm -rf $(VENV) build *.egg-info object_detection/protos/*_pb2.py object_detection/protos/*_pb2.pyi

# Recompiles the schema in place after editing protos/*.proto (the editable
# install imports the generated modules from the source tree).
protos: $(STAMP)
	$(PY) -c "import grpc_tools" 2>/dev/null || $(PY) -m pip install --quiet 'grpcio-tools>=1.62'
	$(PY) -c "import setup; setup.compile_protos('.')"
