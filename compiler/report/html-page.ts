// What the HTML report page carries besides its markup: the style sheet and the small script that
// draws the charts with the inlined Chart.js (configs from html-charts.ts, read from a JSON script
// element) and filters the layer table to the layers a recipe statement touched.

export const STYLE = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #dde2ea; --bg: #ffffff; --panel: #f6f8fb; --ok: #1a7f37; --bad: #c0392b; --accent: #e07b39; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; margin: 16px 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .big { font-size: 20px; font-weight: 600; margin-top: 2px; }
.card .small { color: var(--muted); font-size: 12px; }
table.kv { width: auto; min-width: 420px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num, th.num { text-align: right; white-space: nowrap; }
.met { color: var(--ok); font-weight: 600; }
.missed { color: var(--bad); font-weight: 600; }
.warn { background: #fff8e6; border: 1px solid #f0d9a0; border-radius: 6px; padding: 6px 10px; margin: 6px 0; white-space: pre-wrap; font-size: 13px; }
.chart { position: relative; margin: 8px 0 20px; }
.chart canvas { display: block; }
.note { color: var(--muted); font-size: 12px; margin: 0 0 4px; }
figure.recipe { margin: 10px 0; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
figure.recipe figcaption { background: var(--panel); padding: 4px 10px; font-size: 12px; color: var(--muted); border-bottom: 1px solid var(--line); }
figure.recipe pre { margin: 0; padding: 6px 0; font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-x: auto; }
.line { display: block; white-space: pre; padding: 0 10px; }
.line .no { display: inline-block; width: 3ch; margin-right: 12px; color: #a0a7b4; text-align: right; user-select: none; }
.stmt { position: relative; }
.stmt.acts { border-left: 3px solid var(--accent); }
.stmt.acts:hover, .stmt.on { background: #fff3ea; }
.stmt:target { background: #ffe8d6; }
button.touch { position: absolute; right: 8px; top: 1px; font: 12px system-ui, sans-serif; border: 1px solid var(--accent); color: var(--accent); background: #fff; border-radius: 10px; padding: 0 8px; cursor: pointer; }
button.touch:hover, .stmt.on button.touch { background: var(--accent); color: #fff; }
.c { color: #7a8394; font-style: italic; } .s { color: #0a7b55; } .n { color: #1f5fbf; } .k { color: #8a3ab9; font-weight: 600; }
#layers td.name { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
#layers td.actions a { display: block; color: inherit; font-size: 12px; }
#layers tr.hit { background: #fff3ea; }
#layers.filtered tbody tr:not(.hit) { display: none; }
#layer-filter { display: none; margin: 6px 0; padding: 6px 10px; background: #fff3ea; border-radius: 6px; }
#layer-filter.on { display: block; }
#layer-filter button { margin-left: 8px; }
details > summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
`;

/** Runs in the page after Chart.js: draws every chart and wires the statement → layers filter. */
export const SCRIPT = `
(function () {
  var charts = JSON.parse(document.getElementById('squish-charts').textContent);
  var fmt = {
    bytes: function (v) { v = Number(v); return v >= 1e6 ? (v / 1e6).toFixed(1) + ' MB' : v >= 1e3 ? (v / 1e3).toFixed(v >= 1e4 ? 0 : 1) + ' KB' : v + ' B'; },
    exp: function (v) { var e = Math.log10(Number(v)); return Math.abs(e - Math.round(e)) < 1e-6 ? Number(v).toExponential(0) : ''; },
    percent: function (v) { return (Number(v) * 100).toFixed(0) + '%'; }
  };
  if (typeof Chart === 'undefined') {
    document.body.setAttribute('data-charts', 'missing');
  } else {
    Chart.defaults.animation = false;
    Chart.defaults.responsive = true;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    charts.forEach(function (c) {
      var cfg = c.config;
      cfg.options = cfg.options || {};
      var formats = c.format || {};
      Object.keys(formats).forEach(function (axis) {
        var f = formats[axis];
        var fn = Array.isArray(f) ? function (v) { return f[v] !== undefined ? f[v] : ''; } : fmt[f];
        var scale = cfg.options.scales[axis];
        scale.ticks = Object.assign(scale.ticks || {}, { callback: fn });
        if (cfg.options.indexAxis === 'y' && axis === 'x') {
          cfg.options.plugins = cfg.options.plugins || {};
          var tip = f === 'exp' ? function (v) { return Number(v).toExponential(3); } : fn;
          cfg.options.plugins.tooltip = { callbacks: { label: function (ctx) { return ctx.dataset.label + ': ' + tip(ctx.parsed.x); } } };
        }
      });
      new Chart(document.getElementById(c.id), cfg);
    });
    document.body.setAttribute('data-charts', String(charts.length));
  }

  var table = document.getElementById('layers');
  var banner = document.getElementById('layer-filter');
  function clear() {
    if (!table) return;
    table.classList.remove('filtered');
    banner.classList.remove('on');
    Array.prototype.forEach.call(document.querySelectorAll('#layers tr.hit, .stmt.on'), function (el) { el.classList.remove('hit', 'on'); });
  }
  function show(id) {
    var stmt = document.getElementById(id);
    if (!stmt || !table) return;
    clear();
    var hits = (stmt.getAttribute('data-layers') || '').split(' ').filter(Boolean);
    hits.forEach(function (i) { var row = document.getElementById('layer-' + i); if (row) row.classList.add('hit'); });
    stmt.classList.add('on');
    table.classList.add('filtered');
    var details = table.closest('details');
    if (details) details.open = true;
    banner.querySelector('span').textContent = hits.length + ' layer' + (hits.length === 1 ? '' : 's') + ' touched by ' + stmt.getAttribute('data-source');
    banner.classList.add('on');
    banner.scrollIntoView({ block: 'start' });
  }
  document.addEventListener('click', function (e) {
    var t = e.target;
    var b = t.closest && t.closest('button.touch');
    if (b) { show(b.getAttribute('data-stmt')); return; }
    if (t.closest && t.closest('#layer-filter button')) clear();
  });
})();
`;
