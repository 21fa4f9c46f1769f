#pragma once
// Per-element math is written once and compiled twice: by the host compiler for the CPU
// kernels (and their tests) and by nvcc for the CUDA kernels. TOMO_HD marks those functions.
#if defined(__CUDACC__)
#define TOMO_HD __host__ __device__
#else
#define TOMO_HD
#endif
