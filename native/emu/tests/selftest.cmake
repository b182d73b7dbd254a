# Fluvia CUDA emulator self-tests (ctest; scripts/test runs them before the Maven suite):
#   emu_kernels     real kernels right under every schedule
#   emu_mutant_*    planted mutants of real kernels (one barrier removed) caught by the schedule comparison
#   emu_planted     planted faults (divergent/mismatched barriers, exited lanes, deadlock, shared overflow, launch limits)
#   emu_asan_*      the AddressSanitizer build: out-of-bounds global and dynamic-shared reads inside a kernel
set(FLVEMU_TESTS ${CMAKE_SOURCE_DIR}/native/emu/tests)

# A copy of a kernel source with one planted edit (the test fails loudly if the edit no longer applies).
function(flvemu_mutant out src regex replacement)
  file(READ ${src} text)
  string(REGEX REPLACE "${regex}" "${replacement}" mutated "${text}")
  if(mutated STREQUAL text)
    message(FATAL_ERROR "planted mutation of ${src} did not apply (the source changed): update native/emu/tests/selftest.cmake")
  endif()
  file(WRITE ${out}.tmp "${mutated}")
  configure_file(${out}.tmp ${out} COPYONLY)
endfunction()

add_executable(emu_kernels ${FLVEMU_TESTS}/kernels_test.cpp)
target_link_libraries(emu_kernels PRIVATE flvemu_exec)
add_test(NAME emu_kernels COMMAND emu_kernels)

set(mdir ${CMAKE_BINARY_DIR}/emu/mutants)
flvemu_mutant(${mdir}/actnorm.cu ${CMAKE_SOURCE_DIR}/kernels/actnorm.cu
              "(s2\\[threadIdx.x\\] = d2;[ \n]*}[ \n]*)__syncthreads\\(\\);" "\\1/* planted: barrier removed */")
add_executable(emu_mutant_actnorm ${FLVEMU_TESTS}/kernels_test.cpp)
flvemu_add_kernels(emu_mutant_actnorm mutant_actnorm ${mdir}/actnorm.cu)
target_compile_definitions(emu_mutant_actnorm PRIVATE FLV_MUTANT_ACTNORM_TREE)
target_link_libraries(emu_mutant_actnorm PRIVATE Threads::Threads)
add_test(NAME emu_mutant_actnorm COMMAND emu_mutant_actnorm)

flvemu_mutant(${mdir}/coupling.cu ${CMAKE_SOURCE_DIR}/kernels/coupling.cu
              "(yr\\[j\\] = xr\\[j\\];[ \n]*)__syncwarp\\(\\);" "\\1/* planted: __syncwarp removed */")
add_executable(emu_mutant_coupling ${FLVEMU_TESTS}/kernels_test.cpp)
flvemu_add_kernels(emu_mutant_coupling mutant_coupling ${mdir}/coupling.cu)
target_compile_definitions(emu_mutant_coupling PRIVATE FLV_MUTANT_COUPLING_SYNCWARP)
target_link_libraries(emu_mutant_coupling PRIVATE Threads::Threads)
add_test(NAME emu_mutant_coupling COMMAND emu_mutant_coupling)

add_executable(emu_planted ${FLVEMU_TESTS}/planted_test.cpp)
flvemu_add_kernels(emu_planted planted ${FLVEMU_TESTS}/planted.cu)
target_compile_definitions(emu_planted PRIVATE FLVEMU_PLANTED_SOURCE="${FLVEMU_TESTS}/planted.cu")
target_link_libraries(emu_planted PRIVATE Threads::Threads)
add_test(NAME emu_planted COMMAND emu_planted)

option(FLUVIA_EMU_ASAN "Build the emulator's AddressSanitizer self-tests" ON)
if(FLUVIA_EMU_ASAN)
  add_executable(emu_asan ${FLVEMU_TESTS}/asan_case.cpp)
  flvemu_add_kernels(emu_asan asan ${FLVEMU_TESTS}/planted.cu)
  target_compile_options(emu_asan PRIVATE -fsanitize=address -fno-omit-frame-pointer -O1)
  target_link_options(emu_asan PRIVATE -fsanitize=address)
  target_link_libraries(emu_asan PRIVATE Threads::Threads)
  set(asan_env "ASAN_OPTIONS=detect_leaks=0:detect_stack_use_after_return=0")
  add_test(NAME emu_asan_correct COMMAND emu_asan correct)
  add_test(NAME emu_asan_global_overread COMMAND emu_asan global-overread)
  set_tests_properties(emu_asan_global_overread PROPERTIES PASS_REGULAR_EXPRESSION "heap-buffer-overflow.*plantedGlobalOverread.*planted.cu:[0-9]+")
  add_test(NAME emu_asan_shared_overread COMMAND emu_asan shared-overread)
  set_tests_properties(emu_asan_shared_overread PROPERTIES PASS_REGULAR_EXPRESSION "use-after-poison.*plantedSharedOverread.*planted.cu:[0-9]+")
  set_tests_properties(emu_asan_correct emu_asan_global_overread emu_asan_shared_overread PROPERTIES ENVIRONMENT "${asan_env}")
endif()
