// One place that binds htm to Preact, so every module writes `html\`<div>...</div>\`` and the
// app stays buildless (no JSX compiler).
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
