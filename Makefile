# TMRVC: the two commands are `make demo` and `make test`; both set themselves up on a fresh machine.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
export HF_HUB_OFFLINE := 1
export TMRVC_BUILD_DIR := $(abspath $(BUILD_DIR))
export PYTHONPATH := $(abspath $(BUILD_DIR))/tmrvc-engine$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: setup build test test-python test-cpp demo constants clean

setup:
	bash scripts/setup.sh

constants:
	uv run python scripts/generate_constants.py

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DPython3_EXECUTABLE=$(abspath .venv/bin/python) $(CMAKE_FLAGS)

build: setup $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

test-cpp: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

test-python: build
	uv run pytest

test: test-cpp test-python

demo: build
	uv run python scripts/demo.py

clean:
	rm -rf $(BUILD_DIR) demo-output
