# Simulator benchmarks (included by bench/CMakeLists.txt when present).
add_executable(bench_sim_speed ${CMAKE_CURRENT_LIST_DIR}/sim_speed.cpp)
target_link_libraries(bench_sim_speed PRIVATE hoistway_sim hoistway::options)
