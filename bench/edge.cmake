# Edge benchmarks (included by bench/CMakeLists.txt). Each prints figures; none asserts on time.
add_executable(bench_edge_codec ${CMAKE_CURRENT_LIST_DIR}/edge_codec.cpp)
target_link_libraries(bench_edge_codec PRIVATE hoistway_edge hoistway::options)
add_executable(bench_edge_outbox ${CMAKE_CURRENT_LIST_DIR}/edge_outbox.cpp)
target_link_libraries(bench_edge_outbox PRIVATE hoistway_edge hoistway::options)
add_executable(bench_edge_agent ${CMAKE_CURRENT_LIST_DIR}/edge_agent.cpp)
target_link_libraries(bench_edge_agent PRIVATE hoistway_edge hoistway::options)
target_compile_definitions(bench_edge_agent PRIVATE HOISTWAY_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
# The deriver against the simulated controller's own record over a simulated week.
add_executable(bench_deriver_week ${CMAKE_CURRENT_LIST_DIR}/deriver_week.cpp)
target_link_libraries(bench_deriver_week PRIVATE hoistway_edge hoistway_sim hoistway::options)
target_include_directories(bench_deriver_week PRIVATE "${PROJECT_SOURCE_DIR}/tests/support")
target_compile_definitions(bench_deriver_week PRIVATE HOISTWAY_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
