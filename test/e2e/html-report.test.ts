// -o html in a real browser: the command that shows each example (examples/README.md), run through the
// installed entry point with -o html, is opened in one headless Chromium. For each page: no
// network, one drawing per trace shown, its boxes name the nodes the trace crossed, a failed
// trace marks the drop on the node that decided it (in red, on screen), and the drawing is not
// blank (ink measured beside an empty area of the same size, the floor). Screenshots are kept
// under $NETCHECK_ARTIFACTS (default: a temp dir), never in the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ReportDoc } from '../../src/report/document.ts';
import type { Page } from '../helpers/chromium.ts';
import { Browser, chromiumMissing } from '../helpers/chromium.ts';
import { decodePng, inkAndColours, redPixels } from '../helpers/png.ts';

const run = promisify(execFile);

/**
 * The command that shows each example (examples/README.md, one per example) and one doctor, as
 * argument lists: every example's report, and a report without traces.
 */
function exampleCommands(): string[][] {
  const lines = readFileSync('examples/README.md', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('kubectl netcheck '));
  const doctor = lines.find((l) => l.startsWith('kubectl netcheck doctor '));
  return [
    ...lines.filter((l) => !l.startsWith('kubectl netcheck doctor ')),
    ...(doctor !== undefined ? [doctor] : []),
  ].map((l) => l.trim().split(/\s+/).slice(2));
}

const artefacts = process.env['NETCHECK_ARTIFACTS'] ?? mkdtempSync(join(tmpdir(), 'netcheck-html-'));
mkdirSync(artefacts, { recursive: true });

interface Drawing {
  id: string;
  box: { x: number; y: number; width: number; height: number };
  nodes: string[];
  drops: string[];
  stops: string[];
}

test('-o html: each example report draws its path in a real browser', { skip: chromiumMissing() }, async (t) => {
  const started = Date.now();
  const commands = exampleCommands();
  assert.ok(commands.length >= 8, `examples/README.md commands: ${commands.length}`);
  // Two at a time: the machine has two cores.
  const pages: { name: string; file: string; code: number }[] = [];
  for (let i = 0; i < commands.length; i += 2) {
    const batch = commands.slice(i, i + 2).map(async (args, j) => {
      const name = `${String(i + j + 1).padStart(2, '0')}-${args[0]}-${args.at(-1)!.replace(/^.*\/|\.json$/g, '')}`;
      const r = await run(process.execPath, ['bin/kubectl-netcheck.mjs', ...args, '-o', 'html'], {
        maxBuffer: 1 << 26,
      }).then(
        (x) => ({ stdout: x.stdout, code: 0 }),
        (e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }),
      );
      const file = join(artefacts, `${name}.html`);
      writeFileSync(file, r.stdout);
      return { name, file, code: r.code };
    });
    pages.push(...(await Promise.all(batch)));
  }
  t.diagnostic(`${pages.length} pages rendered in ${Date.now() - started} ms`);
  const browser = Browser.launch();
  try {
    for (const p of pages) {
      const html = readFileSync(p.file, 'utf8');
      assert.match(html, /^<!DOCTYPE html>/, p.name);
      assert.equal(html.match(/<\/html>/g)?.length, 1, `${p.name}: one page (the entry point runs the command once)`);
      // Self-contained: no script, stylesheet, image or font fetched from anywhere.
      assert.doesNotMatch(html, /<link|<img|<iframe|@import|url\((?!#)|<script(?! type="application\/json")/, p.name);
      const page = await browser.open(`file://${resolve(p.file)}`, 1280, 900);
      await page.fitContent(1280);
      const doc = await page.evaluate<ReportDoc>('JSON.parse(document.getElementById("netcheck-report").textContent)');
      assert.equal(
        p.code,
        /^(✔)/.test(await page.evaluate<string>('document.querySelector("h1").textContent')) ? 0 : 1,
        p.name,
      );
      const fetched = await page.evaluate<number>('performance.getEntriesByType("resource").length');
      assert.equal(fetched, 0, `${p.name}: resources fetched`);
      const drawings = await page.evaluate<Drawing[]>(`[...document.querySelectorAll('svg.path')].map((s) => {
        const r = s.getBoundingClientRect();
        return {
          id: s.id,
          box: { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height },
          nodes: [...s.querySelectorAll('.node')].map((n) => n.dataset.node),
          drops: [...s.querySelectorAll('.drop')].map((n) => n.dataset.node),
          stops: [...s.querySelectorAll('.stop')].map((n) => n.dataset.node),
        };
      })`);
      const traces = await page.evaluate<number>('document.querySelectorAll("section.trace").length');
      assert.equal(drawings.length, traces, `${p.name}: one drawing per trace shown`);
      assert.ok(traces >= 1 || doc.traces.length === 0, p.name);
      // Each drawing against the trace it draws (the sections are in the document's order).
      const shown = await page.evaluate<number[]>(
        '[...document.querySelectorAll("section.trace")].map((s) => Number(s.dataset.trace))',
      );
      const floor = await blankInk(page, drawings[0]?.box);
      drawings.forEach((d, i) => {
        const tr = doc.traces[shown[i]!];
        assert.ok(tr !== undefined, `${p.name}: trace ${shown[i]}`);
        const crossed = tr.hops.map((h) => h.node).filter((n, k, all) => k === 0 || all[k - 1] !== n);
        assert.deepEqual(d.nodes, crossed, `${p.name} ${d.id}: boxes are the nodes crossed`);
        // A fault is drawn as a drop; an unknown verdict where the walk stopped, never as a drop.
        const end = [tr.hops.at(-1)!.node];
        assert.deepEqual(
          d.drops,
          tr.verdict === 'delivered' || tr.verdict === 'unknown' ? [] : end,
          `${p.name} ${d.id}: drop`,
        );
        assert.deepEqual(d.stops, tr.verdict === 'unknown' ? end : [], `${p.name} ${d.id}: walk stopped`);
        assert.ok(d.box.width > 300 && d.box.height > 60, `${p.name} ${d.id}: drawn ${d.box.width}×${d.box.height}`);
      });
      for (const d of drawings) {
        const px = decodePng(await page.screenshot(d.box));
        const { ink, colours } = inkAndColours(px);
        const red = redPixels(px);
        t.diagnostic(
          `${p.name} ${d.id}: ink ${ink} px of ${px.width * px.height}, ${colours} colours, red ${red} (floor: ink ${floor})`,
        );
        assert.ok(ink > 0.02 * px.width * px.height && ink > 10 * (floor + 1), `${p.name} ${d.id}: blank drawing`);
        assert.ok(colours > 8, `${p.name} ${d.id}: ${colours} colours`);
        if (d.drops.length > 0) assert.ok(red > 200, `${p.name} ${d.id}: the drop is not red on screen (${red})`);
        else assert.equal(red, 0, `${p.name} ${d.id}: red on screen without a drop`);
      }
      const size = await page.evaluate<{ w: number; h: number }>(
        '({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight })',
      );
      writeFileSync(
        join(artefacts, `${p.name}.png`),
        await page.screenshot({ x: 0, y: 0, width: size.w, height: size.h }),
      );
      await page.close();
    }
  } finally {
    await browser.close();
  }
  t.diagnostic(`screenshots and pages: ${artefacts}; ${Date.now() - started} ms in all`);
});

/** Ink of an empty area the size of a drawing, drawn on the same page: what blank measures. */
async function blankInk(page: Page, box: Drawing['box'] | undefined): Promise<number> {
  if (box === undefined) return 0;
  const at = await page.evaluate<{ x: number; y: number }>(`(() => {
    const d = document.createElement('div');
    d.style.cssText = 'width:${Math.ceil(box.width)}px;height:${Math.ceil(box.height)}px';
    document.body.appendChild(d);
    const r = d.getBoundingClientRect();
    return { x: r.x + scrollX, y: r.y + scrollY };
  })()`);
  await page.fitContent(1280);
  return inkAndColours(decodePng(await page.screenshot({ ...at, width: box.width, height: box.height }))).ink;
}

test('-o html: the --active section in a real browser: a lost probe and the point that missed it red, the rest not', {
  skip: chromiumMissing(),
}, async (t) => {
  const { activeDoctor } = await import('../unit/report/docs.ts');
  const { renderHtml } = await import('../../src/report/html.ts');
  const doc = await activeDoctor();
  const file = join(artefacts, 'active-doctor.html');
  writeFileSync(file, renderHtml(doc));
  const browser = Browser.launch();
  try {
    const page = await browser.open(`file://${resolve(file)}`, 1280, 900);
    await page.fitContent(1280);
    const rows = await page.evaluate<{ probe: number; state: string; box: Drawing['box'] }[]>(
      `[...document.querySelectorAll('table.probes tbody tr')].map((r) => {
        const b = r.getBoundingClientRect();
        return { probe: Number(r.dataset.probe), state: r.className, box: { x: b.x + scrollX, y: b.y + scrollY, width: b.width, height: b.height } };
      })`,
    );
    // Every probe of the report, in its order, with its state.
    assert.deepEqual(
      rows.map((r) => [r.probe, r.state]),
      doc.active!.probes.map((p) => [p.id, p.state]),
    );
    for (const r of rows) {
      const red = redPixels(decodePng(await page.screenshot(r.box)));
      t.diagnostic(
        `probe ${r.probe} (${r.state}): ${red} red px in ${Math.round(r.box.width)}×${Math.round(r.box.height)}`,
      );
      if (r.state === 'lost') assert.ok(red > 100, `probe ${r.probe}: lost, not red on screen (${red})`);
      else assert.equal(red, 0, `probe ${r.probe}: ${r.state}, red on screen`);
    }
    await page.close();
  } finally {
    await browser.close();
  }
});
