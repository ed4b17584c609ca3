/**
 * Renders a report (or the synthetic demo report) in headless Chromium, fails if the page logs a
 * console error, and writes a full-page PNG screenshot.
 *
 *   node --import=tsx scripts/screenshot-report.ts [report.html] [--out report.png] [--width 1200]
 *        [--chromium /usr/bin/chromium]
 *
 * Chromium is driven over the DevTools protocol on `--remote-debugging-pipe` (file descriptors 3
 * and 4) rather than a websocket: Node 20 has no WebSocket client without a flag, and a pipe needs
 * no port.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { AttnlabError } from '../src/errors.js';
import { demoReportInput } from '../src/report/demo.js';
import { renderRunReport } from '../src/report/html.js';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
  '--remote-debugging-pipe',
];

export interface ScreenshotOptions {
  /** Viewport width in CSS pixels; below 600 the page is shown as on a phone. */
  readonly width?: number;
  readonly chromium?: string;
  /** Milliseconds before giving up on the browser. */
  readonly timeout?: number;
}

export interface ScreenshotResult {
  /** Console errors, uncaught exceptions and failed loads, as the browser reported them. */
  readonly errors: readonly string[];
  readonly width: number;
  readonly height: number;
  /** The page's text as rendered (`document.body.innerText`), for checking what a reader sees. */
  readonly text: string;
}

type CdpMessage = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

/** A DevTools-protocol connection over Chromium's pipe: NUL-terminated JSON messages. */
class DevToolsPipe {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  private readonly listeners: ((message: CdpMessage) => void)[] = [];

  constructor(private readonly input: Writable, output: Readable) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => this.receive(chunk));
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.input.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  onEvent(listener: (message: CdpMessage) => void): void {
    this.listeners.push(listener);
  }

  private receive(chunk: string): void {
    const parts = (this.buffer + chunk).split('\0');
    this.buffer = parts.pop() ?? '';
    for (const part of parts) this.dispatch(JSON.parse(part) as CdpMessage);
  }

  private dispatch(message: CdpMessage): void {
    const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
    if (!waiting) {
      for (const listener of this.listeners) listener(message);
      return;
    }
    this.pending.delete(message.id!);
    if (message.error) waiting.reject(new Error(message.error.message));
    else waiting.resolve(message.result ?? {});
  }
}

/** What a DevTools event says went wrong on the page, if anything. */
function pageError(message: CdpMessage): string | undefined {
  const params = message.params ?? {};
  if (message.method === 'Runtime.consoleAPICalled' && ['error', 'assert'].includes(String(params.type))) {
    const args = (params.args as { value?: unknown; description?: string }[] | undefined) ?? [];
    return `console.${String(params.type)}: ${args.map((arg) => String(arg.value ?? arg.description)).join(' ')}`;
  }
  if (message.method === 'Runtime.exceptionThrown') {
    const details = params.exceptionDetails as { text?: string; exception?: { description?: string } };
    return `uncaught: ${details.exception?.description ?? details.text}`;
  }
  if (message.method === 'Log.entryAdded') {
    const entry = params.entry as { level?: string; text?: string; url?: string };
    if (entry.level === 'error') return `${entry.text}${entry.url ? ` (${entry.url})` : ''}`;
  }
  return undefined;
}

function withTimeout<T>(promise: Promise<T>, milliseconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttnlabError('screenshot-timeout', `Chromium did not ${what} within ${milliseconds} ms`)), milliseconds);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function launch(chromium: string, profile: string): ChildProcess {
  const child = spawn(chromium, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
  });
  child.on('error', () => undefined); // reported by the failed protocol call below
  return child;
}

/** Images (the charts) that did not decode: a data URI gone wrong logs nothing to the console. */
async function brokenImages(devtools: DevToolsPipe, session: string): Promise<string[]> {
  const expression = '[...document.images].filter((image) => !image.complete || image.naturalWidth === 0).map((image) => image.alt || image.src.slice(0, 80))';
  const { result } = await devtools.send('Runtime.evaluate', { expression, returnByValue: true }, session);
  const names = (result as { value?: string[] }).value ?? [];
  return names.map((name) => `image did not render: ${name}`);
}

async function capture(devtools: DevToolsPipe, url: string, pngPath: string, width: number): Promise<ScreenshotResult> {
  const errors: string[] = [];
  const { targetId } = await devtools.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await devtools.send('Target.attachToTarget', { targetId, flatten: true });
  const session = String(sessionId);
  let loaded: () => void = () => undefined;
  const load = new Promise<void>((resolve) => (loaded = resolve));
  devtools.onEvent((message) => {
    if (message.sessionId !== session) return;
    if (message.method === 'Page.loadEventFired') loaded();
    const error = pageError(message);
    if (error) errors.push(error);
  });
  for (const domain of ['Runtime', 'Log', 'Page']) await devtools.send(`${domain}.enable`, {}, session);
  await devtools.send('Emulation.setDeviceMetricsOverride', { width, height: 800, deviceScaleFactor: 1, mobile: width < 600 }, session);
  const navigation = await devtools.send('Page.navigate', { url }, session);
  if (navigation.errorText) errors.push(`navigation: ${String(navigation.errorText)}`);
  else await load;
  errors.push(...(await brokenImages(devtools, session)));
  const rendered = await devtools.send('Runtime.evaluate', { expression: 'document.body.innerText', returnByValue: true }, session);
  const text = String((rendered.result as { value?: string } | undefined)?.value ?? '');
  const metrics = await devtools.send('Page.getLayoutMetrics', {}, session);
  const size = metrics.cssContentSize as { width: number; height: number };
  const clip = { x: 0, y: 0, width: Math.ceil(size.width), height: Math.ceil(size.height), scale: 1 };
  const shot = await devtools.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip }, session);
  await writeFile(pngPath, Buffer.from(String(shot.data), 'base64'));
  return { errors, width: clip.width, height: clip.height, text };
}

/** Opens `htmlPath` in headless Chromium and writes a full-page PNG to `pngPath`. */
export async function screenshotPage(htmlPath: string, pngPath: string, options: ScreenshotOptions = {}): Promise<ScreenshotResult> {
  const profile = await mkdtemp(join(tmpdir(), 'attnlab-chromium-'));
  const child = launch(options.chromium ?? DEFAULT_CHROMIUM, profile);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const devtools = new DevToolsPipe(child.stdio[3] as Writable, child.stdio[4] as Readable);
  try {
    const url = pathToFileURL(resolve(htmlPath)).href;
    return await withTimeout(capture(devtools, url, pngPath, options.width ?? 1200), options.timeout ?? 60_000, `render ${htmlPath}`);
  } finally {
    await withTimeout(devtools.send('Browser.close'), 5_000, 'close').catch(() => child.kill());
    // The profile can only go once the browser has stopped writing to it.
    await withTimeout(exited, 5_000, 'exit').catch(() => child.kill('SIGKILL'));
    await rm(profile, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string' }, width: { type: 'string' }, chromium: { type: 'string' } },
  });
  let htmlPath = positionals[0];
  if (htmlPath === undefined) {
    const folder = await mkdtemp(join(tmpdir(), 'attnlab-demo-report-'));
    htmlPath = join(folder, 'report.html');
    await writeFile(htmlPath, await renderRunReport(demoReportInput()));
  }
  const pngPath = values.out ?? htmlPath.replace(/\.html?$/i, '') + '.png';
  const result = await screenshotPage(htmlPath, pngPath, {
    width: values.width === undefined ? undefined : Number(values.width),
    chromium: values.chromium,
  });
  console.log(`${htmlPath} → ${pngPath} (${result.width}×${result.height})`);
  if (result.errors.length > 0) {
    throw new AttnlabError('report-console-error', `the page logged ${result.errors.length} error(s):\n  ${result.errors.join('\n  ')}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
