// A headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
// messages ending in NUL, commands on fd 3, replies and events on fd 4), so one browser serves
// every page of a test with no npm dependency and no network port.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} is missing (apt-get install -y chromium, as .ci/run does; or set CHROMIUM)`;
}

type Message = { id?: number; method?: string; sessionId?: string; result?: unknown; error?: { message: string } };

export class Browser {
  private next = 1;
  private readonly waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  private readonly listeners: ((m: Message) => void)[] = [];
  private buffer = '';

  private constructor(
    private readonly proc: ChildProcess,
    private readonly profile: string,
  ) {
    const input = proc.stdio[4] as Readable;
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
        const m = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(m);
      }
    });
    proc.on('exit', () => {
      for (const w of this.waiting.values()) w.fail(new Error('chromium exited'));
      this.waiting.clear();
    });
  }

  static launch(): Browser {
    const profile = mkdtempSync(join(tmpdir(), 'netcheck-chromium-'));
    const proc = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        // A tall window: a screenshot taller than the window repeats the page in headless mode.
        '--window-size=1280,8000',
        `--user-data-dir=${profile}`,
        '--remote-debugging-pipe',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    return new Browser(proc, profile);
  }

  private dispatch(m: Message): void {
    if (m.id !== undefined) {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) w?.fail(new Error(m.error.message));
      else w?.ok(m.result);
      return;
    }
    for (const l of [...this.listeners]) l(m);
  }

  send<T>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.next++;
    const out = this.proc.stdio[3] as Writable;
    return new Promise<T>((ok, fail) => {
      this.waiting.set(id, { ok: ok as (v: unknown) => void, fail });
      out.write(`${JSON.stringify({ id, method, params, ...(sessionId !== undefined ? { sessionId } : {}) })}\0`);
    });
  }

  /** The next event `method` of a session. */
  event(method: string, sessionId: string): Promise<void> {
    return new Promise((ok) => {
      const l = (m: Message) => {
        if (m.method !== method || m.sessionId !== sessionId) return;
        this.listeners.splice(this.listeners.indexOf(l), 1);
        ok();
      };
      this.listeners.push(l);
    });
  }

  /** A new tab of `width` × `height` CSS pixels showing `url`, loaded. */
  async open(url: string, width: number, height: number): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    await this.send('Page.enable', {}, sessionId);
    await this.send(
      'Emulation.setDeviceMetricsOverride',
      { width, height, deviceScaleFactor: 1, mobile: false },
      sessionId,
    );
    const loaded = this.event('Page.loadEventFired', sessionId);
    await this.send('Page.navigate', { url }, sessionId);
    await loaded;
    return new Page(this, sessionId, targetId);
  }

  async close(): Promise<void> {
    const exited = new Promise((ok) => this.proc.once('exit', ok));
    await this.send('Browser.close').catch(() => undefined);
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 5000))]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(
    private readonly browser: Browser,
    private readonly sessionId: string,
    private readonly targetId: string,
  ) {}

  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.browser.send<{ result: { value: T }; exceptionDetails?: { text: string } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true },
      this.sessionId,
    );
    if (r.exceptionDetails !== undefined) throw new Error(`in the page: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  /**
   * Makes the viewport as tall as the page, so that every part of it can be captured (a clip
   * beyond the viewport, with captureBeyondViewport, repeats the page in this Chromium).
   */
  async fitContent(width: number): Promise<{ width: number; height: number }> {
    const size = await this.evaluate<{ width: number; height: number }>(
      '({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })',
    );
    await this.browser.send(
      'Emulation.setDeviceMetricsOverride',
      { width, height: size.height, deviceScaleFactor: 1, mobile: false },
      this.sessionId,
    );
    return size;
  }

  /** A PNG of the viewport, or of a clip of it (CSS pixels). */
  async screenshot(clip?: { x: number; y: number; width: number; height: number }): Promise<Buffer> {
    const params: Record<string, unknown> = { format: 'png' };
    if (clip !== undefined) params['clip'] = { ...clip, scale: 1 };
    const r = await this.browser.send<{ data: string }>('Page.captureScreenshot', params, this.sessionId);
    return Buffer.from(r.data, 'base64');
  }

  async close(): Promise<void> {
    await this.browser.send('Target.closeTarget', { targetId: this.targetId });
  }
}
