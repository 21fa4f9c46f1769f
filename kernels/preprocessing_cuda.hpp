#pragma once
// GPU versions of preprocessing steps, the same contracts and per-element math
// (preprocessing_math.hpp, correction_math.hpp) as the CPU kernels, which the CPU tests check.
// Built only with nvcc (kernels/preprocessing.cu); without it each throws tomo::Error. The batch
// pipeline runs these steps on the CPU (slab_reconstructor.cpp); these are for a GPU pipeline.
// Ring removal's GPU version is tomo::cuda::remove_rings (kernels/ring_removal_cuda.hpp).
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/correction.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/phase_retrieval.hpp"

namespace tomo::cuda {

// As tomo::correct_projections: flat/dark correction with one or two sets of flats or dynamic
// flats, invalid and saturated pixels interpolated from their line, air normalisation, zinger
// removal and −log, with the same counts.
CorrectionCounts correct_projections(std::span<float> sinograms, int projections, const FlatField& flat_field,
                                     const CorrectionOptions& options);

// As tomo::remove_zingers on each of `rows` sinograms laid out (row, projection, column);
// returns how many values were replaced.
std::int64_t remove_zingers(std::span<float> sinograms, int rows, int projections, int columns, float threshold);

// As tomo::bin_pixels.
std::vector<float> bin_pixels(std::span<const float> frames, int rows, int frame_count, int columns, int factor);

// As tomo::stitch_half_acquisition.
std::vector<float> stitch_half_acquisition(std::span<const float> sinograms, int rows, int projections, int columns,
                                           double axis, const StitchOptions& options);

// As retriever.apply_to_sinograms(sinograms, projections, threads): the retriever's sizes and
// filter, with cuFFT; returns how many pixels were clamped before the log.
std::int64_t retrieve_phase(const PhaseRetriever& retriever, std::span<float> sinograms, int projections);

}  // namespace tomo::cuda
