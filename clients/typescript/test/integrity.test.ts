/**
 * `ui.integrity`: the remote entry is loaded with `integrity` and `crossorigin="anonymous"`, and a
 * fake browser that applies Subresource Integrity to the bytes it is served runs it or refuses it.
 * The hashes are recorded by the CLI's `--integrity`, which fetches the remote entry from the
 * test's server; the expected ones are computed here, from the bytes it sends, with node:crypto.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test, type TestContext } from "node:test";

import { fetchPluginRegistry, loadAvailablePlugins, loadPlugin } from "../src/pluginRegistry.js";
import { installFakeBrowser, sriRefusal, type FakeBrowser } from "./support/fakeBrowser.js";
import { remoteEntrySource, TestRegistry } from "./support/registry.js";

let browser: FakeBrowser;
before(() => {
  browser = installFakeBrowser();
});
after(() => browser.uninstall());

async function calendarAndNotes(t: TestContext): Promise<TestRegistry> {
  const registry = await TestRegistry.create();
  t.after(() => registry.close());
  registry.register("calendar", "1.4.2");
  registry.register("notes", "0.3.0");
  return registry;
}

/** The SRI hash of what the server sends for a URL right now. */
async function servedSri(url: string): Promise<string> {
  const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
  return `sha384-${createHash("sha384").update(bytes).digest("base64")}`;
}

function scriptsOf(registry: TestRegistry) {
  return browser.loads
    .filter((load) => load.src.startsWith(registry.baseUrl))
    .map((load) => [load.src, load.integrity, load.crossorigin, load.outcome]);
}

/** calendar registered with `--integrity` (the CLI hashes what this server deploys), and notes. */
async function calendarWithIntegrity(t: TestContext): Promise<TestRegistry> {
  const registry = await TestRegistry.create();
  t.after(() => registry.close());
  await registry.registerServed("calendar", "1.4.2", "--integrity");
  registry.register("notes", "0.3.0");
  return registry;
}

test("a remote entry registered with --integrity loads with integrity and crossorigin", async (t) => {
  const registry = await calendarWithIntegrity(t);
  const url = registry.remoteEntryUrl("calendar");
  const integrity = await servedSri(url);
  // What the CLI recorded is what a browser computes from the bytes served.
  assert.equal(registry.readJson("plugins/calendar.json").ui.integrity, integrity);

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl, onSkip() {} });

  assert.deepEqual(result.skipped, []);
  assert.equal(result.loaded[0]?.manifest.ui.integrity, integrity);
  assert.deepEqual(result.loaded[0]?.module, { id: "calendar", build: "1.4.2" });
  assert.deepEqual(scriptsOf(registry), [
    [url, integrity, "anonymous", "ran"],
    [registry.remoteEntryUrl("notes"), null, null, "ran"],
  ]);
});

test("a remote entry redeployed without registering is refused, the others load", async (t) => {
  const registry = await calendarWithIntegrity(t);
  const url = registry.remoteEntryUrl("calendar");
  const integrity = registry.readJson("plugins/calendar.json").ui.integrity;
  registry.remoteEntries.set("calendar", remoteEntrySource("calendar", "1.4.2-hotfix"));

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl, onSkip() {} });

  const reason =
    `remote entry ${url} did not load: it is gone, was blocked, or no longer matches its ` +
    "ui.integrity (redeployed without registering)";
  assert.deepEqual(result.skipped, [{ id: "calendar", reason }]);
  assert.deepEqual(
    result.loaded.map((plugin) => plugin.module),
    [{ id: "notes", build: "0.3.0" }],
  );
  assert.deepEqual(scriptsOf(registry), [
    [url, integrity, "anonymous", "refused: integrity mismatch"],
    [registry.remoteEntryUrl("notes"), null, null, "ran"],
  ]);
  assert.notEqual(await servedSri(url), integrity);
});

test("registering the redeployed remote entry again records its hash: it loads", async (t) => {
  const registry = await calendarWithIntegrity(t);
  registry.remoteEntries.set("calendar", remoteEntrySource("calendar", "1.4.3"));
  await registry.registerServed("calendar", "1.4.3", "--integrity");

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl, onSkip() {} });

  assert.deepEqual(result.skipped, []);
  assert.deepEqual(result.loaded[0]?.module, { id: "calendar", build: "1.4.3" });
  assert.equal(
    result.loaded[0]?.manifest.ui.integrity,
    await servedSri(registry.remoteEntryUrl("calendar")),
  );
});

test("with integrity, a remote entry whose host sends no CORS header is refused", async (t) => {
  const registry = await calendarWithIntegrity(t);
  registry.withoutCors.add("calendar");

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl, onSkip() {} });

  assert.deepEqual(
    result.skipped.map((skipped) => skipped.id),
    ["calendar"],
  );
  assert.equal(scriptsOf(registry)[0]?.[3], "refused: CORS (no Access-Control-Allow-Origin)");
});

test("a ui.integrity that is not an SRI hash skips the plugin before anything loads", async (t) => {
  const registry = await calendarAndNotes(t);
  registry.recordIntegrity("calendar", "md5-1B2M2Y8AsgTpgAmY7PhCfg==");
  // A browser ignores metadata it cannot parse and would run whatever is deployed.
  const bytes = Buffer.from(registry.remoteEntries.get("calendar") ?? "");
  assert.equal(sriRefusal(bytes, "md5-1B2M2Y8AsgTpgAmY7PhCfg==", "anonymous"), undefined);

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl, onSkip() {} });

  const manifestUrl = `${registry.baseUrl}/plugins/calendar.json`;
  const integrity = '"md5-1B2M2Y8AsgTpgAmY7PhCfg=="';
  const reason = `manifest ${manifestUrl} has ui.integrity ${integrity}, not an SRI hash (sha384-<base64>)`;
  assert.deepEqual(result.skipped, [{ id: "calendar", reason }]);
  assert.deepEqual(
    scriptsOf(registry).map(([src]) => src),
    [registry.remoteEntryUrl("notes")],
  );
});

test("loadPlugin throws the same line for a refused remote entry", async (t) => {
  const registry = await calendarAndNotes(t);
  const url = registry.remoteEntryUrl("notes");
  await registry.registerServed("notes", "0.3.0", "--integrity");
  registry.remoteEntries.set("notes", remoteEntrySource("notes", "0.3.1"));
  const { plugins } = await fetchPluginRegistry({ registryUrl: registry.registryUrl });
  const notes = plugins.find((plugin) => plugin.id === "notes");
  assert.ok(notes);

  await assert.rejects(loadPlugin(notes), {
    name: "PluginLoadError",
    message:
      `notes: remote entry ${url} did not load: it is gone, was blocked, or no longer ` +
      "matches its ui.integrity (redeployed without registering)",
  });
});
