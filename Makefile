# TMRVC: the two commands are `make demo` and `make test`; both set themselves up on a fresh machine.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
QUICK ?= 0
# The JUCE plugin is part of the default build (its tests drive it in real VST3 hosts); TMRVC_BUILD_PLUGIN=0 skips it.
TMRVC_BUILD_PLUGIN ?= 1
export TMRVC_BUILD_PLUGIN
export HF_HUB_OFFLINE := 1
export TMRVC_BUILD_DIR := $(abspath $(BUILD_DIR))
export PYTHONPATH := $(abspath $(BUILD_DIR))/tmrvc-engine$(if $(PYTHONPATH),:$(PYTHONPATH))
PLUGIN_FLAG := -DTMRVC_BUILD_PLUGIN=$(if $(filter 1,$(TMRVC_BUILD_PLUGIN)),ON,OFF)

.PHONY: setup configure build test test-python test-cpp test-sanitizers fuzz demo plugin install-plugin package-plugin screenshot screenshots bench constants clean

setup:
	bash scripts/setup.sh

constants:
	uv run python scripts/generate_constants.py

configure: setup
	cmake -S . -B $(BUILD_DIR) -G Ninja -DPython3_EXECUTABLE=$(abspath .venv/bin/python) $(PLUGIN_FLAG) $(CMAKE_FLAGS) >/dev/null

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test-cpp: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

test-python: build
	uv run pytest

test: test-cpp test-python

# ASan+UBSan and TSan builds of the engine tests (separate build folders).
test-sanitizers: setup
	bash scripts/run_sanitizers.sh

# libFuzzer harnesses for the speaker-file reader and the model-folder validator (needs clang).
FUZZ_SECONDS ?= 600
fuzz:
	TMRVC_SETUP_FUZZ=1 bash scripts/setup.sh
	FUZZ_PARALLEL=1 bash scripts/run_fuzz.sh $(FUZZ_SECONDS)

plugin:
	$(MAKE) build TMRVC_BUILD_PLUGIN=1

# The bundle is self-contained (engine + ONNX Runtime inside, $ORIGIN run paths), so installing is a copy.
PREFIX ?= $(HOME)/.vst3
install-plugin: plugin
	bash scripts/package_plugin.sh install $(BUILD_DIR) "$(PREFIX)"

# dist/tmrvc-plugin-<version>-linux-x86_64.tar.gz: VST3 bundle, Standalone, a model folder and a README.
MODELS ?= demo-output/models
package-plugin: plugin
	bash scripts/package_plugin.sh package $(BUILD_DIR) "$(MODELS)"

screenshot: plugin
	bash scripts/screenshot_standalone.sh $(BUILD_DIR)

# Research Studio (tmrvc-gui): one PNG per page, docs/studio-<page>.png, after a test-size run of the workflow.
screenshots: build
	QT_QPA_PLATFORM=offscreen uv run python scripts/studio_screenshots.py

# TRAIN_SCALE=K multiplies every training stage's steps by K and writes demo-output-xK/ (what longer training gives).
demo: build
	uv run python scripts/demo.py $(if $(filter 1,$(QUICK)),--quick) \
		$(if $(TRAIN_SCALE),--train-scale $(TRAIN_SCALE) --out demo-output-x$(TRAIN_SCALE)) $(if $(CORPUS),--corpus $(CORPUS))

clean:
	rm -rf $(BUILD_DIR) demo-output demo-output-x* dist
