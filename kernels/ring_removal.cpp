#include "kernels/ring_removal.hpp"

#include <functional>

#include "kernels/error.hpp"
#include "kernels/parallel.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {
namespace {

int whole(double value) { return static_cast<int>(value); }

// The filter for one sinogram of this size. Methods with Fourier transforms plan them here, once
// for all slices; the returned function may then run on several threads at once.
std::function<void(SinogramView)> sinogram_filter(const RingFilter& f, int projections, int columns) {
  switch (f.method) {
    case RingMethod::none: return [](SinogramView) {};
    case RingMethod::rivers: return [w = whole(f.p1)](SinogramView s) { rivers_filter(s, w); };
    case RingMethod::boinhaibel: return [w = whole(f.p1)](SinogramView s) { boin_haibel_filter(s, w); };
    case RingMethod::muenchetal: {
      auto filter = std::make_shared<WaveletFourierFilter>(projections, columns, whole(f.p1), f.p2);
      return [filter](SinogramView s) { filter->apply(s); };
    }
    case RingMethod::raven: {
      auto filter = std::make_shared<RavenFilter>(projections, columns, whole(f.p1), f.p2);
      return [filter](SinogramView s) { filter->apply(s); };
    }
    case RingMethod::oimoen:
      return [n1 = whole(f.p1), n2 = whole(f.p2)](SinogramView s) { oimoen_filter(s, n1, n2); };
    case RingMethod::sijberspostnov:
      return [w = whole(f.p1), t = f.p2](SinogramView s) { sijbers_postnov_filter(s, w, t); };
    case RingMethod::vo_sort: return [size = whole(f.p1)](SinogramView s) { vo_sorting_filter(s, size); };
    case RingMethod::vo_filter: {
      auto filter = std::make_shared<VoFilteringFilter>(projections, columns, f.p1, whole(f.p2));
      return [filter](SinogramView s) { filter->apply(s); };
    }
    case RingMethod::vo_large:
      return [snr = f.p1, size = whole(f.p2)](SinogramView s) { vo_large_stripe_filter(s, snr, size); };
    case RingMethod::vo_dead:
      return [snr = f.p1, size = whole(f.p2)](SinogramView s) { vo_dead_stripe_filter(s, snr, size, true); };
    case RingMethod::vo_all:
      // algotom's remove_all_stripe: dead columns first (they would spoil the others' medians),
      // then wide stripes, then what is left of the narrow ones.
      return [snr = f.p1, large = whole(f.p2), small = whole(f.p3)](SinogramView s) {
        vo_dead_stripe_filter(s, snr, large, false);
        vo_large_stripe_filter(s, snr, large);
        vo_sorting_filter(s, small);
      };
  }
  fail("ring filter: unknown method number {}", static_cast<int>(f.method));
}

}  // namespace

void check_sinogram_stack(std::size_t values, int slices, int projections, int columns) {
  if (slices < 0 || projections < 1 || columns < 1)
    fail("remove_rings: {} slices x {} projections x {} columns is not a stack of sinograms", slices, projections,
         columns);
  const std::size_t per_slice = static_cast<std::size_t>(projections) * static_cast<std::size_t>(columns);
  if (values != static_cast<std::size_t>(slices) * per_slice)
    fail("remove_rings: {} values do not make {} slices x {} projections x {} columns", values, slices, projections,
         columns);
}

void remove_rings(std::span<float> sinograms, int slices, int projections, int columns, const RingFilter& filter,
                  int threads) {
  check_sinogram_stack(sinograms.size(), slices, projections, columns);
  const std::size_t per_slice = static_cast<std::size_t>(projections) * static_cast<std::size_t>(columns);
  check_ring_filter(filter);
  if (filter.method == RingMethod::none || slices == 0) return;
  const auto apply = sinogram_filter(filter, projections, columns);
  parallel_for(static_cast<std::size_t>(slices), resolve_threads(threads), [&](std::size_t begin, std::size_t end) {
    for (std::size_t slice = begin; slice < end; ++slice)
      apply({sinograms.data() + slice * per_slice, projections, columns});
  });
}

}  // namespace tomo
