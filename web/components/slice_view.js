// A slice on a plain canvas: zoom (wheel, +/-), pan (drag, arrow keys), fit (0), and a line
// profile drawn with Shift+drag (or the P key for the horizontal line through the centre).
// The image is held at its own resolution in an off-screen canvas and drawn through one
// transform, so zooming never re-decodes it and pixels stay sharp when zoomed in.
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { html } from '../html.js';

export function SliceView({ png, seq = 0, label = 'Reconstructed slice', onDrawn, profile, onProfile, testid = 'slice-view' }) {
  const canvasRef = useRef(null);
  const view = useRef({ source: null, scale: 1, x: 0, y: 0, fitted: false, drag: null, seq: 0 });
  const profileRef = useRef(profile);
  profileRef.current = profile;

  // Draws the source through the current transform, then the profile line over it.
  const draw = () => {
    const canvas = canvasRef.current;
    const v = view.current;
    if (!canvas) return;
    const ctx = canvas.getContext('2d');
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#111';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!v.source) return;
    ctx.setTransform(v.scale, 0, 0, v.scale, v.x, v.y);
    ctx.imageSmoothingEnabled = v.scale < 1;
    ctx.drawImage(v.source, 0, 0);
    const line = v.drag?.mode === 'profile' ? v.drag.line : profileRef.current;
    if (line) {
      ctx.strokeStyle = '#ffb000';
      ctx.lineWidth = 1.5 / v.scale;
      ctx.beginPath();
      ctx.moveTo(line[0], line[1]);
      ctx.lineTo(line[2], line[3]);
      ctx.stroke();
    }
  };

  const fit = () => {
    const canvas = canvasRef.current;
    const v = view.current;
    if (!canvas || !v.source) return;
    v.scale = Math.min(canvas.width / v.source.width, canvas.height / v.source.height);
    v.x = (canvas.width - v.source.width * v.scale) / 2;
    v.y = (canvas.height - v.source.height * v.scale) / 2;
    v.fitted = true;
    draw();
  };

  const zoomAt = (factor, cx, cy) => {
    const v = view.current;
    const scale = Math.min(64, Math.max(0.05, v.scale * factor));
    v.x = cx - ((cx - v.x) * scale) / v.scale;
    v.y = cy - ((cy - v.y) * scale) / v.scale;
    v.scale = scale;
    v.fitted = false;
    draw();
  };

  // The canvas matches its box in device pixels, so the slice is as sharp as the screen allows.
  useEffect(() => {
    const canvas = canvasRef.current;
    const resize = () => {
      const box = canvas.getBoundingClientRect();
      const w = Math.max(1, Math.round(box.width * devicePixelRatio));
      const h = Math.max(1, Math.round(box.height * devicePixelRatio));
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
        if (view.current.fitted || !view.current.source) fit();
        else draw();
      }
    };
    const observer = new ResizeObserver(resize);
    observer.observe(canvas);
    resize();
    return () => observer.disconnect();
  }, []);

  // A new image: decode it, keep the zoom unless the size changed (then fit), draw. A layout
  // effect, so that decoding starts in the same task as the render rather than after a paint.
  useLayoutEffect(() => {
    if (!png) return;
    let cancelled = false;
    const image = new Image();
    image.src = png;
    image.decode().then(() => {
      if (cancelled) return;
      const v = view.current;
      const sizeChanged = !v.source || v.source.width !== image.naturalWidth || v.source.height !== image.naturalHeight;
      v.source = image;
      if (sizeChanged || v.fitted) fit();
      else draw();
      v.seq = seq;
      canvasRef.current.dataset.drawn = String(seq);
      onDrawn?.(seq, performance.now());
    }, () => {});
    return () => { cancelled = true; };
  }, [png, seq]);

  useEffect(draw, [profile]);

  const toImage = (event) => {
    const canvas = canvasRef.current;
    const box = canvas.getBoundingClientRect();
    const cx = ((event.clientX - box.left) * canvas.width) / box.width;
    const cy = ((event.clientY - box.top) * canvas.height) / box.height;
    const v = view.current;
    return { cx, cy, ix: (cx - v.x) / v.scale, iy: (cy - v.y) / v.scale };
  };

  const onPointerDown = (event) => {
    if (!view.current.source) return;
    canvasRef.current.setPointerCapture(event.pointerId);
    const p = toImage(event);
    view.current.drag = event.shiftKey
      ? { mode: 'profile', line: [p.ix, p.iy, p.ix, p.iy] }
      : { mode: 'pan', cx: p.cx, cy: p.cy };
  };
  const onPointerMove = (event) => {
    const d = view.current.drag;
    if (!d) return;
    const p = toImage(event);
    if (d.mode === 'pan') {
      view.current.x += p.cx - d.cx;
      view.current.y += p.cy - d.cy;
      d.cx = p.cx;
      d.cy = p.cy;
      view.current.fitted = false;
    } else {
      d.line[2] = p.ix;
      d.line[3] = p.iy;
    }
    draw();
  };
  const onPointerUp = () => {
    const d = view.current.drag;
    view.current.drag = null;
    if (d?.mode === 'profile' && Math.hypot(d.line[2] - d.line[0], d.line[3] - d.line[1]) > 2) onProfile?.(d.line.map(Math.round));
    draw();
  };
  const onWheel = (event) => {
    event.preventDefault();
    const p = toImage(event);
    zoomAt(event.deltaY < 0 ? 1.2 : 1 / 1.2, p.cx, p.cy);
  };
  const onKeyDown = (event) => {
    const canvas = canvasRef.current;
    const step = 40;
    const keys = {
      '+': () => zoomAt(1.25, canvas.width / 2, canvas.height / 2),
      '=': () => zoomAt(1.25, canvas.width / 2, canvas.height / 2),
      '-': () => zoomAt(0.8, canvas.width / 2, canvas.height / 2),
      0: fit,
      ArrowLeft: () => { view.current.x += step; draw(); },
      ArrowRight: () => { view.current.x -= step; draw(); },
      ArrowUp: () => { view.current.y += step; draw(); },
      ArrowDown: () => { view.current.y -= step; draw(); },
      p: () => {
        const s = view.current.source;
        if (s) onProfile?.([0, Math.floor(s.height / 2), s.width - 1, Math.floor(s.height / 2)]);
      },
    };
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };

  return html`
    <div class="slice-view">
      <canvas ref=${canvasRef} tabindex="0" role="img" aria-label=${`${label}: wheel or +/- zoom, drag or arrows pan, 0 fits, Shift+drag draws a profile, P profiles the middle row`}
        data-testid=${testid} onPointerDown=${onPointerDown} onPointerMove=${onPointerMove}
        onPointerUp=${onPointerUp} onWheel=${onWheel} onKeyDown=${onKeyDown}></canvas>
      <div class="slice-view-tools">
        <button type="button" onClick=${() => zoomAt(1.25, canvasRef.current.width / 2, canvasRef.current.height / 2)} aria-label="Zoom in">+</button>
        <button type="button" onClick=${() => zoomAt(0.8, canvasRef.current.width / 2, canvasRef.current.height / 2)} aria-label="Zoom out">−</button>
        <button type="button" onClick=${fit}>Fit</button>
      </div>
    </div>`;
}

// The values along a line (image pixel coordinates), nearest-neighbour, one sample a pixel.
export function sampleProfile(float, line) {
  const [x0, y0, x1, y1] = line;
  const n = Math.max(2, Math.ceil(Math.hypot(x1 - x0, y1 - y0)) + 1);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    const x = Math.round(x0 + t * (x1 - x0));
    const y = Math.round(y0 + t * (y1 - y0));
    xs[i] = i;
    ys[i] = x >= 0 && y >= 0 && x < float.width && y < float.height ? float.data[y * float.width + x] : NaN;
  }
  return [xs, ys];
}
