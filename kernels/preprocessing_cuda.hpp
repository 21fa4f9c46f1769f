#pragma once
// GPU versions of preprocessing steps, the same contracts and per-element math
// (preprocessing_math.hpp, correction_math.hpp) as the CPU kernels, which the CPU tests check.
// Built only with nvcc (kernels/preprocessing.cu); without it each throws tomo::Error. The batch
// pipeline runs these steps on the CPU (slab_reconstructor.cpp); these are for a GPU pipeline.
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/phase_retrieval.hpp"

namespace tomo::cuda {

// As tomo::remove_zingers on each of `rows` sinograms laid out (row, projection, column);
// returns how many values were replaced.
std::int64_t remove_zingers(std::span<float> sinograms, int rows, int projections, int columns, float threshold);

// As tomo::stitch_half_acquisition.
std::vector<float> stitch_half_acquisition(std::span<const float> sinograms, int rows, int projections, int columns,
                                           double axis);

// As retriever.apply_to_sinograms(sinograms, projections, threads): the retriever's sizes and
// filter, with cuFFT; returns how many pixels were clamped before the log.
std::int64_t retrieve_phase(const PhaseRetriever& retriever, std::span<float> sinograms, int projections);

}  // namespace tomo::cuda
