# Provides the imported target onnxruntime::onnxruntime, searched in this order
# (docs: shared design engine-and-plugin.md, "Build"):
#   1. ONNXRUNTIME_ROOT (cache or environment) with the official release layout include/ + lib/;
#   2. a system package: find_package(onnxruntime CONFIG);
#   3. .deps/onnxruntime, filled by scripts/setup_onnxruntime.sh from the uv environment's onnxruntime wheel
#      (library) and Debian's libonnxruntime-dev (C headers).
if(NOT ONNXRUNTIME_ROOT AND DEFINED ENV{ONNXRUNTIME_ROOT})
  set(ONNXRUNTIME_ROOT "$ENV{ONNXRUNTIME_ROOT}")
endif()

function(_tmrvc_ort_from_root root)
  find_path(_ORT_INC onnxruntime_c_api.h PATHS "${root}/include" "${root}/include/onnxruntime" NO_DEFAULT_PATH)
  find_library(_ORT_LIB NAMES onnxruntime libonnxruntime.so.1 PATHS "${root}/lib" NO_DEFAULT_PATH)
  if(NOT _ORT_INC OR NOT _ORT_LIB)
    message(FATAL_ERROR "ONNX Runtime not found under ${root} (need include/onnxruntime_c_api.h and "
                        "lib/libonnxruntime.so). Run scripts/setup.sh or set ONNXRUNTIME_ROOT.")
  endif()
  get_filename_component(_ORT_LIBDIR "${_ORT_LIB}" DIRECTORY)
  add_library(onnxruntime::onnxruntime SHARED IMPORTED GLOBAL)
  set_target_properties(onnxruntime::onnxruntime PROPERTIES
    IMPORTED_LOCATION "${_ORT_LIB}"
    INTERFACE_INCLUDE_DIRECTORIES "${_ORT_INC}")
  set(TMRVC_ORT_LIBDIR "${_ORT_LIBDIR}" CACHE INTERNAL "")
  message(STATUS "ONNX Runtime: ${_ORT_LIB} (headers ${_ORT_INC})")
endfunction()

if(ONNXRUNTIME_ROOT)
  _tmrvc_ort_from_root("${ONNXRUNTIME_ROOT}")
else()
  find_package(onnxruntime CONFIG QUIET)
  if(TARGET onnxruntime::onnxruntime)
    message(STATUS "ONNX Runtime: system package")
  else()
    _tmrvc_ort_from_root("${PROJECT_SOURCE_DIR}/.deps/onnxruntime")
  endif()
endif()
