// Use the flamegraph page the way a person does, in headless Chromium driven
// by npm's playwright-core, for viewers.sh: hover a frame, click to zoom,
// Escape, Ctrl-F and type a regular expression.  Prints three results, one
// line each: "ok <what>" or "not ok <what>", diagnostics as "# " lines.
// Usage: NODE_PATH=.../node_modules node flamegraph.cjs CHROMIUM PAGE
'use strict';
const { chromium } = require('playwright-core');

const [executablePath, page_path] = process.argv.slice(2);
const HOT = 'hot_loop';
const COLD = 'cold_loop';

function check(what, good, diag) {
  console.log((good ? 'ok ' : 'not ok ') + what);
  if (!good && diag) console.log('# ' + JSON.stringify(diag));
}

// The id, samples and where of the widest frame called name.
function widest(page, name) {
  return page.evaluate((name) => {
    let best = null;
    for (const g of document.querySelectorAll('g.f')) {
      if (g.getAttribute('data-n') !== name) continue;
      if (!best || +g.getAttribute('data-w') > +best.getAttribute('data-w'))
        best = g;
    }
    return best && { id: best.id, w: +best.getAttribute('data-w'),
                     where: best.getAttribute('data-l'),
                     total: +document.getElementById('f0').getAttribute('data-w') };
  }, name);
}

(async () => {
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update',
           '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto('file://' + page_path);

    // Hover: name, file:line, samples and percentage.
    const hot = await widest(page, HOT);
    await page.hover('#' + hot.id + ' rect');
    const details = await page.textContent('#details');
    const pct = (100 * hot.w / hot.total).toFixed(2) + '%';
    const want = HOT + ' (' + hot.where + ')  ' + hot.w + ' samples, ' + pct;
    check('flamegraph in a browser: hovering hot_loop shows "' + details + '"',
          details === want && /viewers\.py:\d+$/.test(hot.where),
          { details, want });

    // Click zooms into cold_loop; Escape zooms out.
    const cold = await widest(page, COLD);
    const sel = '#' + cold.id + ' rect';
    const before = await page.getAttribute(sel, 'width');
    await page.click(sel);
    const zoomed = await page.getAttribute(sel, 'width');
    const hidden = await page.getAttribute('#' + hot.id, 'class');
    const hash = await page.evaluate(() => location.hash);
    await page.keyboard.press('Escape');
    const after = await page.getAttribute(sel, 'width');
    check('flamegraph in a browser: clicking cold_loop zooms it to ' + zoomed +
          ' px (from ' + before + '), Escape zooms out',
          zoomed === '1200.00' && before !== zoomed && after === before &&
          / hide/.test(hidden) && hash.startsWith('#zoom='),
          { before, zoomed, after, hidden, hash });

    // Ctrl-F goes to the search box; typing highlights the matches.
    await page.keyboard.press('Control+f');
    const focused = await page.evaluate(() => document.activeElement.id);
    await page.keyboard.type('^' + HOT + '$');
    const matched = await page.textContent('#matched');
    const cls = await page.getAttribute('#' + hot.id, 'class');
    const marked = await page.evaluate(() =>
      Array.from(document.querySelectorAll('g.f.match'),
                 (g) => g.getAttribute('data-n')));
    const url = await page.evaluate(() => location.hash);
    check('flamegraph in a browser: Ctrl-F and typing ^hot_loop$ highlights ' +
          marked.length + ' frames, "' + matched + '"',
          focused === 'search' && / match/.test(cls) && marked.length > 0 &&
          marked.every((n) => n === HOT) && /^Matched: \d+\.\d\d% /.test(matched) &&
          url === '#search=' + encodeURIComponent('^' + HOT + '$'),
          { focused, cls, marked, matched, url });
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.log('# playwright: ' + String(e && e.message).split('\n')[0]);
  process.exit(1);
});
