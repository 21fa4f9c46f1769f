#pragma once
// Image quality of a reconstruction against a known phantom: PSNR, SSIM and means over a
// region — how tests and benchmarks state quality.
#include <span>
#include <vector>

namespace tomo {

// Pixels of an n × n slice inside the disc of radius ratio · n/2 about the slice centre, as the
// reconstruction's own mask places it (x = j − n/2, y = n/2 − r).
std::vector<bool> disc_region(int n, float ratio);

// Peak signal-to-noise ratio in dB over the region: peak = max − min of the truth there.
double psnr(std::span<const float> image, std::span<const float> truth, const std::vector<bool>& region);

// Mean structural similarity (Wang et al. 2004; 7 × 7 uniform windows, K1 = 0.01, K2 = 0.03,
// data range of the truth in the region) over the windows centred in the region.
double ssim(std::span<const float> image, std::span<const float> truth, int n, const std::vector<bool>& region);

// Total variation Σ |∇f| (forward differences) over the region: artefacts such as the arcs of
// a wrong rotation axis raise it, so the sharpest slice of a centre sweep has the least.
double total_variation(std::span<const float> image, int n, const std::vector<bool>& region);

// Mean of the image over the region.
double region_mean(std::span<const float> image, const std::vector<bool>& region);

}  // namespace tomo
