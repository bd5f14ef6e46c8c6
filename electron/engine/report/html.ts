// The self-contained evaluation report: metrics, ROC and PRO curves and score histograms as inline SVG, and every test
// image with its heatmap overlay as an inline data URI. One file, no network, opens anywhere.
import type { EvalResult, ModelManifest } from '../api';
import type { Curve } from '../../../shared/roc';
import { formatMetric as fmt } from '../../../shared/roc';

export interface ReportImage {
  name: string;
  defect: string;
  label: 0 | 1;
  score: number;
  uri: string;
}

export interface ReportInput {
  title: string;
  dataset: string;
  manifest: ModelManifest;
  result: EvalResult;
  roc: Curve;
  pro: { fpr: number[]; pro: number[] };
  images: ReportImage[];
  machine: string;
  scale: { lo: number; hi: number };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const W = 360;
const H = 260;
const PAD = 40;

function axes(xLabel: string, yLabel: string, xMax: number, yMax: number, xTicks: number[], yTicks: number[]): string {
  const sx = (x: number) => PAD + (x / xMax) * (W - PAD - 10);
  const sy = (y: number) => H - PAD - (y / yMax) * (H - PAD - 10);
  const t = [
    `<line x1="${PAD}" y1="${H - PAD}" x2="${W - 10}" y2="${H - PAD}" stroke="#888"/>`,
    `<line x1="${PAD}" y1="${H - PAD}" x2="${PAD}" y2="10" stroke="#888"/>`,
    ...xTicks.map((x) => `<text x="${sx(x)}" y="${H - PAD + 14}" font-size="10" text-anchor="middle">${+x.toPrecision(3)}</text>`),
    ...yTicks.map((y) => `<text x="${PAD - 4}" y="${sy(y) + 3}" font-size="10" text-anchor="end">${+y.toPrecision(3)}</text>`),
    `<text x="${(W + PAD) / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="12" y="${H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>`,
  ];
  return t.join('');
}

function curveSvg(title: string, x: number[], y: number[], xMax: number, xLabel: string, yLabel: string, diagonal: boolean): string {
  const sx = (v: number) => PAD + (Math.min(v, xMax) / xMax) * (W - PAD - 10);
  const sy = (v: number) => H - PAD - v * (H - PAD - 10);
  const pts = x.map((v, i) => `${sx(v).toFixed(1)},${sy(y[i]).toFixed(1)}`).join(' ');
  const ticks = [0, xMax / 2, xMax];
  return `<figure><figcaption>${esc(title)}</figcaption><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
${axes(xLabel, yLabel, xMax, 1, ticks, [0, 0.5, 1])}
${diagonal ? `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#ccc" stroke-dasharray="4 3"/>` : ''}
<polyline fill="none" stroke="#c0392b" stroke-width="2" points="${pts}"/></svg></figure>`;
}

function histogramSvg(good: number[], bad: number[], lines: { value: number; label: string; color: string }[]): string {
  const all = [...good, ...bad, ...lines.map((l) => l.value)].filter(Number.isFinite);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const bins = 30;
  const width = (hi - lo) / bins || 1;
  const count = (v: number[]) => {
    const c = new Array(bins).fill(0);
    for (const s of v) c[Math.min(bins - 1, Math.floor((s - lo) / width))]++;
    return c;
  };
  const g = count(good);
  const b = count(bad);
  const yMax = Math.max(1, ...g, ...b);
  const sx = (v: number) => PAD + ((v - lo) / (hi - lo || 1)) * (W - PAD - 10);
  const sy = (v: number) => H - PAD - (v / yMax) * (H - PAD - 10);
  const bw = (W - PAD - 10) / bins;
  const bars = (c: number[], color: string) =>
    c.map((n, i) => (n ? `<rect x="${(PAD + i * bw).toFixed(1)}" y="${sy(n).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(H - PAD - sy(n)).toFixed(1)}" fill="${color}"/>` : '')).join('');
  const marks = lines
    .filter((l) => Number.isFinite(l.value))
    .map((l, i) => `<line x1="${sx(l.value)}" y1="10" x2="${sx(l.value)}" y2="${H - PAD}" stroke="${l.color}" stroke-width="2"/><text x="${sx(l.value) + 3}" y="${20 + i * 12}" font-size="10" fill="${l.color}">${esc(l.label)}</text>`)
    .join('');
  const tickVals = [lo, (lo + hi) / 2, hi];
  const axis = axes('image score', 'images', 1, yMax, [], [0, Math.round(yMax / 2), yMax]).replace(/<text x="[^"]+" y="[^"]+" font-size="10" text-anchor="middle">[^<]*<\/text>/g, '');
  const xt = tickVals.map((v) => `<text x="${sx(v)}" y="${H - PAD + 14}" font-size="10" text-anchor="middle">${+v.toPrecision(3)}</text>`).join('');
  return `<figure><figcaption>Image scores: good (green) and defective (red)</figcaption><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
${axis}${xt}${bars(g, 'rgba(39,174,96,.6)')}${bars(b, 'rgba(192,57,43,.6)')}${marks}</svg></figure>`;
}

export function renderReport(r: ReportInput): string {
  const res = r.result;
  const m = r.manifest;
  const thr = m.calibration.threshold;
  const good = res.images.filter((i) => i.label === 0).map((i) => i.score);
  const bad = res.images.filter((i) => i.label === 1).map((i) => i.score);
  const perDefect = Object.entries(res.per_defect ?? {})
    .map(([d, v]) => `<tr><td>${esc(d)}</td><td>${v.images}</td><td>${fmt(v.image_auroc)}</td></tr>`)
    .join('');
  const cards = r.images
    .map((im) => {
      const ng = im.score > thr;
      const right = ng === (im.label === 1);
      return `<div class="card ${right ? '' : 'wrong'}" data-defect="${esc(im.defect)}" data-wrong="${right ? 0 : 1}">
<img loading="lazy" src="${im.uri}" alt="${esc(im.name)}"/>
<div class="cap"><b>${esc(im.defect)}</b> · ${esc(im.name)}<br/>score ${fmt(im.score, 3)} · <span class="${ng ? 'ng' : 'ok'}">${ng ? 'NG' : 'OK'}</span>${right ? '' : ' · <b>misclassified</b>'}</div></div>`;
    })
    .join('\n');
  const defects = [...new Set(r.images.map((i) => i.defect))];
  const p = m.params as Record<string, unknown>;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"/><title>${esc(r.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:4px 10px;text-align:left}th{background:#f4f4f4}.row{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0}figcaption{font-weight:600;margin-bottom:4px}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}
.card{border:1px solid #ddd;border-radius:4px;padding:4px}.card img{width:100%;display:block}.cap{font-size:12px;padding:4px}
.wrong{border-color:#c0392b;background:#fdf0ee}.ng{color:#c0392b;font-weight:700}.ok{color:#27ae60;font-weight:700}
.filters button{margin:0 4px 8px 0}.muted{color:#777}
</style></head><body>
<h1>${esc(r.title)}</h1>
<p class="muted">Dataset ${esc(r.dataset)} · model ${esc(m.name)} (${esc(m.backbone.id)}, taps ${esc(String(p.taps))}, bank ${m.bank.vectors.toLocaleString('en-US')} × ${m.bank.dimension}, index ${esc(m.bank.indexFactory)}) · ${esc(r.machine)} · ${new Date().toISOString()}</p>
<table><tr><th>image AUROC</th><th>pixel AUROC</th><th>AUPRO@0.3</th><th>F1-max</th><th>F1 threshold</th><th>calibrated threshold</th><th>ms / image</th><th>images</th><th>skipped</th></tr>
<tr><td>${fmt(res.image_auroc)}</td><td>${fmt(res.pixel_auroc)}</td><td>${fmt(res.aupro)}</td><td>${fmt(res.f1_max)}</td><td>${fmt(res.f1_threshold)}</td><td>${fmt(thr)}</td><td>${fmt(res.ms_per_image, 1)}</td><td>${res.images.length}</td><td>${res.skipped.length}</td></tr></table>
${perDefect ? `<table><tr><th>defect</th><th>images</th><th>image AUROC vs good</th></tr>${perDefect}</table>` : ''}
${res.pixel_skipped ? `<p>Pixel metrics skipped: ${esc(res.pixel_skipped)}.</p>` : ''}
${res.confusion ? `<p>At the calibrated threshold: ${res.confusion.tp} defective parts caught, ${res.confusion.fn} escaped, ${res.confusion.fp} false rejects, ${res.confusion.tn} good parts passed.</p>` : ''}
${res.cut_out ? `<p>Preprocessing (${esc(String(p.resizeMode))}${p.tiling ? ', tiled' : ''}): ${cutOutSentence(res.cut_out)}.</p>` : ''}
${res.whole_image ? `<p>On the whole image (the map extended past the crop): pixel AUROC ${fmt(res.whole_image.pixel_auroc)}, AUPRO@0.3 ${fmt(res.whole_image.aupro)}.</p>` : ''}
${res.skipped.length ? `<p>Skipped (unreadable): ${res.skipped.map((s) => `${esc(s.path)} (${esc(s.reason)})`).join('; ')}</p>` : ''}
<div class="row">
${curveSvg(`Image ROC (AUROC ${fmt(res.image_auroc)})`, r.roc.x, r.roc.y, 1, 'false positive rate', 'true positive rate', true)}
${res.pixel_skipped ? '' : curveSvg(`PRO to FPR 0.3 (AUPRO ${fmt(res.aupro)})`, r.pro.fpr, r.pro.pro, 0.3, 'pixel false positive rate', 'per-region overlap', false)}
${histogramSvg(good, bad, [
  { value: thr, label: 'calibrated threshold', color: '#2c3e50' },
  { value: res.f1_threshold, label: 'F1-max threshold', color: '#8e44ad' },
])}
</div>
<h2>Test images</h2>
<p class="muted">Left: ${p.tiling || p.resizeMode === 'letterbox' ? 'the whole image (the frame pixel metrics are scored on)' : 'the network input (after resize and crop)'}. Right: the anomaly map over it (blue ${fmt(r.scale.lo)} → red ${fmt(r.scale.hi)}); white outline: ground truth. Red border: misclassified at the calibrated threshold.</p>
<div class="filters"><button data-f="*">all</button><button data-f="wrong">misclassified</button>${defects.map((d) => `<button data-f="${esc(d)}">${esc(d)}</button>`).join('')}</div>
<div class="grid">
${cards}
</div>
<script>
document.querySelectorAll('.filters button').forEach(function (b) {
  b.onclick = function () {
    var f = b.getAttribute('data-f');
    document.querySelectorAll('.card').forEach(function (c) {
      var show = f === '*' || (f === 'wrong' ? c.getAttribute('data-wrong') === '1' : c.getAttribute('data-defect') === f);
      c.style.display = show ? '' : 'none';
    });
  };
});
</script>
</body></html>
`;
}

/** How many ground-truth defect pixels the preprocessing cut out of view: the defects no model could have found. */
export function cutOutSentence(c: NonNullable<EvalResult['cut_out']>): string {
  if (c.defect_pixels === 0) return `no ground-truth defect pixel cut out of view (of ${c.of_defect_pixels.toLocaleString('en-US')})`;
  const pct = c.of_defect_pixels ? ` (${((100 * c.defect_pixels) / c.of_defect_pixels).toFixed(1)} %)` : '';
  return `${c.defect_pixels.toLocaleString('en-US')} of ${c.of_defect_pixels.toLocaleString('en-US')} ground-truth defect pixels${pct} cut out of view, in ${c.images} image(s)`;
}
