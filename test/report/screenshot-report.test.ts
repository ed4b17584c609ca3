import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHROMIUM, screenshotPage } from '../../scripts/screenshot-report.js';
import { demoReportInput } from '../../src/report/demo.js';
import { renderRunReport } from '../../src/report/html.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// Debian's chromium package; without it (a developer machine) these tests are reported as skipped.
const withChromium = existsSync(DEFAULT_CHROMIUM) ? test.serial : test.serial.skip;

let folder = '';
test.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'attnlab-screenshot-test-'));
});
test.after.always(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

withChromium('the run report renders without console errors, its charts decode, and the screenshot is written', async (t) => {
  const html = join(folder, 'report.html');
  const png = join(folder, 'report.png');
  await writeFile(html, await renderRunReport(demoReportInput()));
  const result = await screenshotPage(html, png, { width: 1000 });
  t.deepEqual(result.errors, []);
  const image = await readFile(png);
  t.deepEqual(image.subarray(0, 8), PNG_SIGNATURE);
  t.deepEqual(pngSize(image), { width: result.width, height: result.height });
  t.true(result.height > 2000, 'the whole page, not one viewport');
});

withChromium('on a phone-wide viewport the report does not overflow sideways', async (t) => {
  const html = join(folder, 'phone.html');
  await writeFile(html, await renderRunReport(demoReportInput(3, 2)));
  const result = await screenshotPage(html, join(folder, 'phone.png'), { width: 390 });
  t.deepEqual(result.errors, []);
  t.is(result.width, 390);
});

withChromium('console errors, exceptions and broken images on the page are reported', async (t) => {
  const html = join(folder, 'broken.html');
  await writeFile(
    html,
    '<!doctype html><link rel="icon" href="data:,"><script>console.error("boom"); undefinedFunction();</script>' +
      '<img alt="chart" src="data:image/svg+xml;base64,bm90IGFuIHN2Zw==">',
  );
  const result = await screenshotPage(html, join(folder, 'broken.png'));
  t.true(result.errors.some((error) => error.includes('console.error: boom')), result.errors.join('\n'));
  t.true(result.errors.some((error) => error.includes('undefinedFunction')));
  t.true(result.errors.some((error) => error.includes('image did not render: chart')));
});
