#pragma once
// Ring removal on the GPU: tomo::remove_rings' contract (kernels/ring_removal.hpp) with the
// sinograms in host memory, in and out, as the other GPU steps (preprocessing_cuda.hpp). The
// per-element math is the CPU filters' (stripe_filter_math.hpp), the GPU's per-thread steps are
// in stripe_filter_gpu_steps.hpp (which tests/test_ring_removal_gpu_steps.cpp runs on the CPU),
// and docs/ring_removal.md ("On the GPU") says what runs where. Built only with nvcc
// (kernels/ring_removal.cu, stripe_filters_stp.cu, stripe_filters_vo.cu); without it, throws.
#include <span>

#include "kernels/ring_removal.hpp"

namespace tomo::cuda {

// As tomo::remove_rings(sinograms, slices, projections, columns, filter, threads), with the same
// validation and errors, for every method and option of ring_removal.hpp. A filter that sets a
// parameter its method does not have there (built in code; parsing never does) throws
// tomo::Error naming the filter: the GPU never runs a different filter from the one asked for.
void remove_rings(std::span<float> sinograms, int slices, int projections, int columns, const RingFilter& filter);

}  // namespace tomo::cuda
