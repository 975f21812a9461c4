# Cloud benchmarks (included by bench/CMakeLists.txt). Each prints figures; none asserts on time.
# bench_cloud_ingest is the publisher, the do-nothing subscriber and the checks-only subscriber
# (the ingest's verifier, nothing stored) of bench/cloud_ingest.py.
add_executable(bench_cloud_ingest ${CMAKE_CURRENT_LIST_DIR}/cloud_ingest_load.cpp)
target_link_libraries(bench_cloud_ingest PRIVATE hoistway_cloud hoistway_common hoistway::options)
# The junk publisher's signed-but-meaningless frames come from the tests' forge library, built
# only with the tests; without it `bench_cloud_ingest junk` says so and exits.
if(TARGET hoistway_forge)
  target_link_libraries(bench_cloud_ingest PRIVATE hoistway_forge)
  target_compile_definitions(bench_cloud_ingest PRIVATE HOISTWAY_BENCH_FORGE=1)
endif()
