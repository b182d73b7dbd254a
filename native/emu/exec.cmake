# Fluvia CUDA emulator: the kernel executor and the kernels of kernels/*.cu compiled as C++ (g++ only: no nvcc, no GPU).
#   flvemu_exec          static library (PIC): executor + registry of every kernel in kernels/*.cu
#   flvemu_add_kernels(<target> <sources>...)  adds an executor + registry built from other .cu sources to a target
#                                               (the native self-tests use it for planted faults)
include(${CMAKE_CURRENT_LIST_DIR}/registry.cmake)
set(FLVEMU_DIR ${CMAKE_CURRENT_LIST_DIR})
set(FLVEMU_CXX_FLAGS -O2 -g -fPIC -fvisibility=hidden -Wall -Wextra -Werror -Wno-unknown-pragmas -Wno-unused-parameter
    "-fmacro-prefix-map=${CMAKE_SOURCE_DIR}/=")

function(flvemu_add_kernels target tag)
  set(reg ${CMAKE_BINARY_DIR}/emu/gen/${tag}_registry.cpp)
  flvemu_generate_registry(${reg} ${CMAKE_SOURCE_DIR} ${ARGN})
  set_property(SOURCE ${reg} APPEND PROPERTY OBJECT_DEPENDS ${ARGN} ${FLVEMU_DIR}/cuda_emu.h ${FLVEMU_DIR}/registry.h)
  set_property(SOURCE ${reg} APPEND PROPERTY COMPILE_OPTIONS -include ${FLVEMU_DIR}/cuda_emu.h -Wno-sign-compare)
  target_sources(${target} PRIVATE ${reg} ${FLVEMU_DIR}/executor.cpp)
  target_include_directories(${target} PRIVATE ${FLVEMU_DIR} ${CMAKE_SOURCE_DIR}/kernels)
  target_compile_options(${target} PRIVATE ${FLVEMU_CXX_FLAGS})
  target_compile_features(${target} PRIVATE cxx_std_17)
endfunction()

file(GLOB FLVEMU_KERNEL_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kernels/*.cu)
list(SORT FLVEMU_KERNEL_SOURCES)
add_library(flvemu_exec STATIC)
flvemu_add_kernels(flvemu_exec kernels ${FLVEMU_KERNEL_SOURCES})
set_target_properties(flvemu_exec PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(flvemu_exec PUBLIC ${FLVEMU_DIR})
find_package(Threads REQUIRED)
target_link_libraries(flvemu_exec PUBLIC Threads::Threads)

# The emulator's module image: what cuModuleLoadData gets when the jar holds no nvcc fatbin (a build without nvcc).
# The emulated test run puts build/emu/module on the class path AFTER the jar, so a real fatbin wins when there is one.
file(STRINGS ${CMAKE_BINARY_DIR}/emu/gen/kernels_registry.cpp flvemu_lines REGEX "FLV_EMU_KERNEL\\(")
set(flvemu_image "FLUVIA-EMU-MODULE\n")
foreach(l IN LISTS flvemu_lines)
  string(REGEX REPLACE ".*FLV_EMU_KERNEL\\(([A-Za-z0-9_]+),.*" "\\1" kname "${l}")
  string(APPEND flvemu_image "${kname}\n")
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/emu/module/dev/fluvia/cuda/fluvia_kernels.fatbin.tmp "${flvemu_image}")
configure_file(${CMAKE_BINARY_DIR}/emu/module/dev/fluvia/cuda/fluvia_kernels.fatbin.tmp
               ${CMAKE_BINARY_DIR}/emu/module/dev/fluvia/cuda/fluvia_kernels.fatbin COPYONLY)
