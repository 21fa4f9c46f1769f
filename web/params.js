// The reconstruction parameters as the panels show them, grouped as STP3 groups them (input,
// preprocessing, phase retrieval, reconstruction, output). Keys are ReconParams' field names
// (proto/recon_params.proto), so what a panel edits is sent as is. Two fields are STP strings
// users already type ("top:bottom:left:right" crops and "linear8:min;max" output conversions):
// they are shown as one text box and split into their ReconParams fields here.

// Defaults as storage/recon_params.cpp fills them in; the panels show them as placeholders so
// that a user sees what an empty box means.
export const DEFAULTS = {
  slice_from: 0, slice_to: -1, projection_step: 1, projection_from: 0, projection_to: -1, binning: 1,
  crop_top: 0, crop_bottom: 0, crop_left: 0, crop_right: 0,
  flat_field: true, flat_average: 'mean', minus_log: true, flat_mode: 'auto', half_half_line: -1,
  air_left: 0, air_right: 0, zinger_threshold: 0, rings: 'none',
  phase_method: 'none', energy_kev: 0, distance_mm: 0, delta_over_beta: 0, phase_pad_factor: 2,
  unsharp_sigma: 0, unsharp_amount: 0,
  method: 'gridrec', filter: 'ram-lak', filter_cutoff: 1, cor_offset: 0, angle_span_deg: 180,
  angle_first_deg: 0, ignore_file_angles: false, rotation_deg: 0, circular_mask: true, mask_ratio: 1,
  half_acquisition: false,
  format: 'tiff', prefix: 'slice', output_type: 'float32', out_min: 0, out_max: 0, auto_range_percent: 0,
};

// Examples users know from STP (notes/stp.md), offered as suggestions in the ring box.
export const RING_EXAMPLES = [
  'none', 'rivers:31;0', 'boinhaibel:11;', 'muenchetal:4;1.0', 'raven:3;0.50', 'oimoen:51;51',
  'sijberspostnov:51;0.001', 'vo-all:3;61;21', 'vo-sort:21;2', 'vo-fit:2;10',
];

// --- STP strings <-> ReconParams fields ------------------------------------------------------
const CROP_KEYS = ['crop_top', 'crop_bottom', 'crop_left', 'crop_right'];

export function cropString(p) {
  return CROP_KEYS.map((k) => p[k] ?? 0).join(':');
}

// "10:10:0:0" -> {crop_top: 10, ...}; throws a message naming the expected form.
export function parseCrop(text) {
  const parts = text.trim() === '' ? ['0', '0', '0', '0'] : text.split(':');
  if (parts.length !== 4 || parts.some((s) => !/^\s*\d+\s*$/.test(s))) {
    throw new Error(`crop '${text}' must be top:bottom:left:right, four whole numbers of pixels`);
  }
  return Object.fromEntries(CROP_KEYS.map((k, i) => [k, Number(parts[i])]));
}

export function conversionString(p) {
  const type = p.output_type ?? 'float32';
  if (type === 'float32') return 'float32';
  return `${type === 'uint8' ? 'linear8' : 'linear16'}:${p.out_min ?? 0};${p.out_max ?? 0}`;
}

// "linear8:-0.001;0.004" -> {output_type: 'uint8', out_min: -0.001, out_max: 0.004}
export function parseConversion(text) {
  const t = text.trim();
  if (t === '' || t === 'float32' || t === 'none') return { output_type: 'float32' };
  const m = /^(linear8|linear16):([^;]+);(.+)$/.exec(t);
  const min = m && Number(m[2]);
  const max = m && Number(m[3]);
  if (!m || !Number.isFinite(min) || !Number.isFinite(max)) {
    throw new Error(`output '${text}' must be float32, linear8:MIN;MAX or linear16:MIN;MAX`);
  }
  return { output_type: m[1] === 'linear8' ? 'uint8' : 'uint16', out_min: min, out_max: max, auto_range_percent: 0 };
}

// --- the panels --------------------------------------------------------------------------------
// type: int | number | text | select | bool | crop | conversion. `stp` is the name STP users know.
export const GROUPS = [
  {
    id: 'input', title: 'Input', fields: [
      { key: 'slice_from', label: 'First slice', type: 'int', stp: 'slice from', batch: true },
      { key: 'slice_to', label: 'Slice to (excl., -1 = last)', type: 'int', stp: 'slice to', batch: true },
      { key: 'projection_step', label: 'Every n-th projection', type: 'int', min: 1 },
      { key: 'projection_from', label: 'First projection', type: 'int', min: 0 },
      { key: 'projection_to', label: 'Projection to (-1 = last)', type: 'int' },
      { key: 'crop', label: 'Crop (top:bottom:left:right)', type: 'crop' },
      { key: 'binning', label: 'Downscaling (binning)', type: 'select', options: [1, 2, 4] },
    ],
  },
  {
    id: 'preprocessing', title: 'Preprocessing', fields: [
      { key: 'flat_field', label: 'Flat/dark correction', type: 'bool' },
      { key: 'flat_mode', label: 'Flats used', type: 'select',
        options: ['auto', 'mean', 'before', 'after', 'interpolate', 'half-half', 'dynamic'] },
      { key: 'half_half_line', label: 'Half-half line (-1 = middle)', type: 'int' },
      { key: 'flat_average', label: 'Flat averaging', type: 'select', options: ['mean', 'median'] },
      { key: 'air_left', label: 'Air columns left (norm_sx)', type: 'int', min: 0 },
      { key: 'air_right', label: 'Air columns right (norm_dx)', type: 'int', min: 0 },
      { key: 'zinger_threshold', label: 'Zinger threshold (0 = off)', type: 'number', step: 0.01 },
      { key: 'rings', label: 'Ring removal (method:p1;p2)', type: 'text', list: 'ring-examples' },
      { key: 'minus_log', label: '-log transform', type: 'bool' },
    ],
  },
  {
    id: 'phase', title: 'Phase retrieval', fields: [
      { key: 'phase_method', label: 'Method', type: 'select', options: ['none', 'paganin', 'generalised-paganin'] },
      { key: 'delta_over_beta', label: 'δ/β', type: 'number', step: 1 },
      { key: 'energy_kev', label: 'Energy (keV, 0 = file)', type: 'number', step: 0.1 },
      { key: 'distance_mm', label: 'Distance (mm, 0 = file)', type: 'number', step: 1 },
      { key: 'phase_pad_factor', label: 'Padding factor', type: 'number', step: 0.5 },
      { key: 'unsharp_sigma', label: 'Unsharp σ (px)', type: 'number', step: 0.1 },
      { key: 'unsharp_amount', label: 'Unsharp amount', type: 'number', step: 0.1 },
    ],
  },
  {
    id: 'reconstruction', title: 'Reconstruction', fields: [
      { key: 'method', label: 'Method', type: 'select', options: ['gridrec', 'fbp'] },
      { key: 'filter', label: 'Filter', type: 'select',
        options: ['ram-lak', 'shepp-logan', 'cosine', 'hamming', 'hann', 'parzen'] },
      { key: 'filter_cutoff', label: 'Filter cut-off (× Nyquist)', type: 'number', step: 0.05 },
      { key: 'cor_offset', label: 'Centre offset (px)', type: 'number', step: 0.5, stp: 'CoR offset' },
      { key: 'angle_span_deg', label: 'Angle span (°)', type: 'select', options: [180, 360] },
      { key: 'angle_first_deg', label: 'First angle (°)', type: 'number', step: 1 },
      { key: 'ignore_file_angles', label: 'Ignore the file\'s angles', type: 'bool' },
      { key: 'rotation_deg', label: 'Rotate slice (°)', type: 'number', step: 1 },
      { key: 'circular_mask', label: 'Circular mask', type: 'bool' },
      { key: 'half_acquisition', label: 'Extended field of view (half acquisition)', type: 'bool' },
    ],
  },
  {
    id: 'output', title: 'Output', fields: [
      { key: 'prefix', label: 'Prefix', type: 'text' },
      { key: 'format', label: 'Format', type: 'select', options: ['tiff', 'hdf5'] },
      { key: 'conversion', label: 'Type (float32, linear8:min;max, linear16:min;max)', type: 'conversion' },
      { key: 'auto_range_percent', label: 'Auto min/max percentile (0 = off)', type: 'number', step: 0.1 },
    ],
  },
];

// The value a field shows, given the parameters in force.
export function fieldText(field, p) {
  if (field.type === 'crop') return cropString(p);
  if (field.type === 'conversion') return conversionString(p);
  const v = p[field.key];
  return v === undefined || v === null ? '' : String(v);
}

// The ReconParams fields a field's text sets; throws a message when the text is malformed.
export function fieldValue(field, text) {
  if (field.type === 'crop') return parseCrop(text);
  if (field.type === 'conversion') return parseConversion(text);
  if (field.type === 'bool') return { [field.key]: Boolean(text) };
  if (field.type === 'int' || field.type === 'number' || (field.type === 'select' && typeof field.options[0] === 'number')) {
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) throw new Error(`${field.label}: '${text}' is not a number`);
    if (field.type === 'int' && !Number.isInteger(n)) throw new Error(`${field.label}: '${text}' is not a whole number`);
    return { [field.key]: n };
  }
  return { [field.key]: text };
}

// Only what differs from the base (defaults and preset): what a job or a preview request sends,
// so that a job's record says what the user actually chose.
export function changedParams(params, base) {
  const out = {};
  for (const [k, v] of Object.entries(params)) if (base[k] !== v) out[k] = v;
  return out;
}
