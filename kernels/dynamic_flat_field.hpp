#pragma once
// Dynamic flat fielding (Van Nieuwenhove, De Beenhouwer, De Carlo, Mancini, Marone & Sijbers,
// Opt. Express 23 (2015) 27975): the beam and the scintillator change between flats, and a
// projection saw a flat of its own that no single flat is. The flats' variations about their
// mean are summarised by a few principal components, the eigen flats u_k; each projection's
// flat is estimated as f̄ + Σ w_k u_k (dark subtracted), with the weights w that make its
// corrected image smoothest — the least total variation along its rows, where a wrong flat
// leaves the beam's structure.
#include <span>
#include <vector>

namespace tomo {

// How the flats vary about their mean: principal components as combinations of the flats.
struct EigenFlatBasis {
  int flats = 0;
  int components = 0;
  // flats × components: eigen flat k = Σ_j coefficients[j · components + k] (f_j − f̄), scaled so
  // that the flats' own weights on it have unit spread (the weights' search range is in those units).
  std::vector<double> coefficients;
  std::vector<double> variance_share;  // per component: its share of the flats' variance
};

// The Gram matrix ⟨f_i − f̄, f_j − f̄⟩ of the dark-subtracted flats, summed over blocks of rows
// (the whole detector, so that every slab gets the same components).
class FlatGramMatrix {
 public:
  explicit FlatGramMatrix(int flats);
  // Flats (row, flat, column) and dark (row, column), counts, of a block of rows.
  void add(std::span<const float> flats, std::span<const float> dark, int rows, int columns);
  // The `components` strongest components (fewer when the flats span fewer dimensions); throws
  // tomo::Error for fewer than 2 flats or none added.
  EigenFlatBasis basis(int components) const;

 private:
  int flats_;
  double pixels_ = 0;
  std::vector<double> gram_, sums_;  // flats × flats, and per flat Σ f_j (for the mean)
};

// Mean flat and eigen flats of a block of rows, from its flats (row, flat, column) and dark.
struct EigenFlats {
  int rows = 0, columns = 0, components = 0;
  std::vector<float> mean;   // (row, column), dark subtracted
  std::vector<float> basis;  // (component, row, column)
};
EigenFlats eigen_flats(const EigenFlatBasis& basis, std::span<const float> flats, std::span<const float> dark, int rows,
                       int columns);

// Per projection, the weights (projection, component) whose flat f̄ + Σ w_k u_k makes the
// transmission (raw − dark) / flat of these rows smoothest along the rows (columns averaged in
// fours first: the beam's structure is broad, and it makes the search 4 times quicker). Raw
// counts (row, projection, column) of the rows of `flats`; a few rows spread over the detector
// are enough.
std::vector<float> dynamic_flat_weights(std::span<const float> raw, std::span<const float> dark, const EigenFlats& flats,
                                        int projections, int threads);

}  // namespace tomo
