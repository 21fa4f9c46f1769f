// uPlot wrapped as a Preact component: the chart is made once and given new data after, and
// follows its box's width.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from '../html.js';

export function Plot({ options, data, testid, label }) {
  const boxRef = useRef(null);
  const plotRef = useRef(null);
  useEffect(() => {
    const box = boxRef.current;
    const plot = new uPlot({ ...options, width: Math.max(100, box.clientWidth), height: options.height ?? 140 }, data, box);
    plotRef.current = plot;
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(100, box.clientWidth), height: options.height ?? 140 }));
    observer.observe(box);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [options]);
  useEffect(() => {
    plotRef.current?.setData(data);
  }, [data]);
  return html`<div class="plot" ref=${boxRef} data-testid=${testid} role="img" aria-label=${label}></div>`;
}

// A histogram with the display window drawn over it; dragging across it picks a new window.
export function histogramOptions(getWindow, onSelect) {
  return {
    height: 120,
    legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: false } },
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [{ size: 30 }, { size: 60 }],
    series: [{}, { stroke: '#5b8def', fill: 'rgba(91,141,239,0.35)', paths: uPlot.paths.bars({ size: [1, Infinity] }) }],
    hooks: {
      draw: [(u) => {
        const w = getWindow();
        if (!w) return;
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = '#ffb000';
        ctx.lineWidth = 2;
        for (const value of w) {
          const x = u.valToPos(value, 'x', true);
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
        }
        ctx.restore();
      }],
      setSelect: [(u) => {
        if (u.select.width < 2) return;
        const lo = u.posToVal(u.select.left, 'x');
        const hi = u.posToVal(u.select.left + u.select.width, 'x');
        u.setSelect({ left: 0, width: 0 }, false);
        onSelect([lo, hi]);
      }],
    },
  };
}

export const profileOptions = {
  height: 120,
  legend: { show: false },
  scales: { x: { time: false } },
  axes: [{ size: 30, label: 'pixel along the line' }, { size: 60 }],
  series: [{}, { stroke: '#ffb000', width: 1.5 }],
};

// Bin centres and counts of the preview's histogram, as uPlot wants them.
export function histogramData(histogram) {
  if (!histogram?.counts?.length) return [[0, 1], [0, 0]];
  const n = histogram.counts.length;
  const width = (histogram.to - histogram.from) / n;
  const xs = histogram.counts.map((_, i) => histogram.from + (i + 0.5) * width);
  // Log scale on y: empty bins are left out (null) rather than drawn at minus infinity.
  return [xs, histogram.counts.map((c) => (c > 0 ? c : null))];
}
