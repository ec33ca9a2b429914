/**
 * The shipped client against registries registry-action wrote: every plugin read and loaded, and
 * each one that cannot be used skipped with its line while the others load.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";

import {
  fetchAvailablePlugins,
  fetchPluginRegistry,
  loadAvailablePlugins,
  PluginRegistryError,
  type SkippedPlugin,
} from "../src/pluginRegistry.js";
import { installFakeBrowser, type FakeBrowser } from "./support/fakeBrowser.js";
import { TestRegistry } from "./support/registry.js";

let browser: FakeBrowser;
before(() => {
  browser = installFakeBrowser();
});
after(() => browser.uninstall());

/** A registry of calendar 1.4.2, notes 0.3.0 and team.board 2.0.0, served; closed after `t`. */
async function threePlugins(t: TestContext): Promise<TestRegistry> {
  const registry = await TestRegistry.create();
  t.after(() => registry.close());
  registry.register("calendar", "1.4.2");
  registry.register("notes", "0.3.0");
  registry.register("team.board", "2.0.0");
  return registry;
}

function collect(): { skipped: SkippedPlugin[]; onSkip: (s: SkippedPlugin) => void } {
  const skipped: SkippedPlugin[] = [];
  return { skipped, onSkip: (s) => skipped.push(s) };
}

test("fetchAvailablePlugins returns every manifest of a registry the action wrote", async (t) => {
  const registry = await threePlugins(t);
  const report = collect();

  const plugins = await fetchAvailablePlugins({ registryUrl: registry.registryUrl, ...report });

  const written = ["calendar", "notes", "team.board"].map((id) =>
    registry.readJson(`plugins/${id}.json`),
  );
  assert.deepEqual(plugins, written);
  assert.deepEqual(report.skipped, []);
});

test("loadAvailablePlugins loads each plugin's container and exposed module", async (t) => {
  const registry = await threePlugins(t);
  const inits = ((globalThis as Record<string, unknown>).__containerInits = []) as unknown[];

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl, onSkip() {} });

  assert.deepEqual(
    result.loaded.map((plugin) => plugin.module),
    [
      { id: "calendar", build: "1.4.2" },
      { id: "notes", build: "0.3.0" },
      { id: "team.board", build: "2.0.0" },
    ],
  );
  assert.deepEqual(result.skipped, []);
  assert.deepEqual(inits, [
    ["calendar", {}],
    ["notes", {}],
    ["teamboard", {}],
  ]);
  const scripts = browser.loads.filter((load) => load.src.startsWith(registry.baseUrl));
  assert.deepEqual(
    scripts.map((load) => [load.src, load.integrity, load.crossorigin, load.outcome]),
    ["calendar", "notes", "team.board"].map((id) => [
      registry.remoteEntryUrl(id),
      null,
      null,
      "ran",
    ]),
  );
});

test("a manifest that is gone is skipped with its line, the others load", async (t) => {
  const registry = await threePlugins(t);
  rmSync(join(registry.dir, "plugins", "notes.json"));
  const report = collect();

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl, ...report });

  const reason = `manifest ${registry.baseUrl}/plugins/notes.json answered 404`;
  assert.deepEqual(result.skipped, [{ id: "notes", reason }]);
  assert.deepEqual(report.skipped, result.skipped);
  assert.deepEqual(
    result.loaded.map((plugin) => plugin.manifest.id),
    ["calendar", "team.board"],
  );
});

test("a manifest whose version disagrees with its index entry is skipped", async (t) => {
  const registry = await threePlugins(t);
  // The CDN still holds the index of 1.4.2 when 1.4.3 is registered: the manifest moved on.
  const cachedIndex = registry.read("registry.json");
  registry.register("calendar", "1.4.3");
  registry.overrides.set("/registry.json", { status: 200, body: cachedIndex });
  const report = collect();

  const result = await fetchPluginRegistry({ registryUrl: registry.registryUrl, ...report });

  const url = `${registry.baseUrl}/plugins/calendar.json`;
  const reason = `manifest ${url} is version 1.4.3, the index lists 1.4.2 (one of them is stale)`;
  assert.deepEqual(result.skipped, [{ id: "calendar", reason }]);
  assert.deepEqual(report.skipped, result.skipped);
  assert.deepEqual(
    result.plugins.map((plugin) => plugin.id),
    ["notes", "team.board"],
  );
});

test("a manifest of another plugin than its index entry names is skipped", async (t) => {
  const registry = await threePlugins(t);
  const index = registry.readJson("registry.json");
  index.plugins[1].manifestUrl = `${registry.baseUrl}/plugins/calendar.json`;
  registry.writeJson("registry.json", index);

  const result = await fetchPluginRegistry({ registryUrl: registry.registryUrl, onSkip() {} });

  const url = `${registry.baseUrl}/plugins/calendar.json`;
  const reason = `manifest ${url} is for "calendar", the index lists "notes"`;
  assert.deepEqual(result.skipped, [{ id: "notes", reason }]);
});

test("a second id that loads the same container as a listed one is skipped", async (t) => {
  const registry = await threePlugins(t);
  const index = registry.readJson("registry.json");
  index.plugins.push({ ...index.plugins[2], id: "team-board", name: "team-board" });
  registry.writeJson("registry.json", index);

  const result = await fetchPluginRegistry({ registryUrl: registry.registryUrl, onSkip() {} });

  const reason = 'loads the same container teamboard as "team.board"';
  assert.deepEqual(result.skipped, [{ id: "team-board", reason }]);
  assert.equal(result.plugins.length, 3);
});

test("a remote entry that is gone is reported, the others load", async (t) => {
  const registry = await threePlugins(t);
  registry.remoteEntries.delete("team.board");

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl, onSkip() {} });

  const url = registry.remoteEntryUrl("team.board");
  const reason = `remote entry ${url} did not load: it is gone or was blocked`;
  assert.deepEqual(result.skipped, [{ id: "team.board", reason }]);
  assert.deepEqual(
    result.loaded.map((plugin) => plugin.manifest.id),
    ["calendar", "notes"],
  );
});

test("a module the container does not expose is reported", async (t) => {
  const registry = await TestRegistry.create();
  t.after(() => registry.close());
  registry.register("calendar", "1.4.2", "--ui-expose", "./Settings");

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl, onSkip() {} });

  const reason = "container calendar has no module Settings: no module Settings";
  assert.deepEqual(result.skipped, [{ id: "calendar", reason }]);
  assert.deepEqual(result.loaded, []);
});

test("an index that cannot be read is one line, for both entry points", async (t) => {
  const registry = await threePlugins(t);
  registry.overrides.set("/registry.json", { status: 503, body: "busy" });
  const options = { registryUrl: registry.registryUrl };
  const answered = new PluginRegistryError(`registry ${registry.registryUrl} answered 503`);

  await assert.rejects(fetchAvailablePlugins(options), answered);
  await assert.rejects(loadAvailablePlugins(options), answered);

  registry.overrides.set("/registry.json", { status: 200, body: "<html>" });
  await assert.rejects(
    fetchAvailablePlugins(options),
    new PluginRegistryError(`registry ${registry.registryUrl} is not valid JSON`),
  );
  registry.overrides.set("/registry.json", { status: 200, body: '{"version": "1.0.0"}' });
  await assert.rejects(
    fetchAvailablePlugins(options),
    new PluginRegistryError(`registry ${registry.registryUrl} has no "plugins" list`),
  );
  await assert.rejects(
    fetchAvailablePlugins({}),
    new PluginRegistryError(
      "no registry URL: pass registryUrl or set NEXT_PUBLIC_PLUGIN_REGISTRY_URL",
    ),
  );
});

test("the fetch and request options given are used for the index and every manifest", async (t) => {
  const registry = await threePlugins(t);
  const fetched: string[] = [];
  const options = {
    registryUrl: registry.registryUrl,
    requestInit: { headers: { "x-dashboard": "ops" }, cache: "no-cache" as const },
    fetch: (url: string, init?: RequestInit) => {
      fetched.push(`${url} ${init?.cache}`);
      return fetch(url, init);
    },
  };

  await fetchAvailablePlugins(options);

  const files = [
    "registry.json",
    "plugins/calendar.json",
    "plugins/notes.json",
    "plugins/team.board.json",
  ];
  assert.deepEqual(
    fetched,
    files.map((file) => `${registry.baseUrl}/${file} no-cache`),
  );
  assert.deepEqual(
    registry.requests.map((request) => `${request.url} ${request.headers["x-dashboard"]}`).sort(),
    files.map((file) => `/${file} ops`).sort(),
  );
});
