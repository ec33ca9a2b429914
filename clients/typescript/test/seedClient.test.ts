/**
 * The seed dashboard's client keeps working on what registry-action writes now: manifests that
 * carry `ui.integrity` (it ignores the field) and index entries whose manifestUrl names a commit.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import type * as SeedClient from "./fixtures/seedClient.js";
import { installFakeBrowser, type FakeBrowser } from "./support/fakeBrowser.js";
import { sri, TestRegistry } from "./support/registry.js";

let browser: FakeBrowser;
let registry: TestRegistry;
let seed: typeof SeedClient;

before(async () => {
  browser = installFakeBrowser();
  // What webpack defines in a dashboard it builds; the seed calls them unconditionally.
  const shareScopes = { default: { react: {} } };
  Object.assign(globalThis, {
    __webpack_share_scopes__: shareScopes,
    __webpack_init_sharing__: async () => undefined,
  });
  registry = await TestRegistry.create();
  // Both with the hash of what is deployed, and index entries naming the manifests' commits.
  const extra = ["--integrity", "--manifest-urls", "commit"];
  extra.push("--manifest-base-url", registry.branchUrl);
  await registry.registerServed("calendar", "1.4.2", ...extra);
  await registry.registerServed("Team_Board", "2.0.0", ...extra);
  // The seed reads its registry URL once, when the module loads.
  process.env.NEXT_PUBLIC_PLUGIN_REGISTRY_URL = `${registry.branchUrl}/registry.json`;
  seed = await import("./fixtures/seedClient.js");
});

after(async () => {
  browser.uninstall();
  await registry.close();
});

async function loadAll(): Promise<unknown[]> {
  const manifests = await seed.fetchAvailablePlugins();
  return Promise.all(manifests.map((manifest) => seed.loadPlugin(manifest)));
}

test("the seed's client reads and loads manifests that carry ui.integrity", async () => {
  const manifests = await seed.fetchAvailablePlugins();
  const modules = await loadAll();

  assert.deepEqual(manifests, [
    registry.readJson("plugins/calendar.json"),
    registry.readJson("plugins/Team_Board.json"),
  ]);
  for (const [index, id] of ["calendar", "Team_Board"].entries()) {
    const integrity = (manifests[index]?.ui as { integrity?: string }).integrity;
    assert.equal(integrity, sri(registry.remoteEntries.get(id) ?? ""));
  }
  assert.deepEqual(modules, [
    { id: "calendar", build: "1.4.2" },
    { id: "Team_Board", build: "2.0.0" },
  ]);
  // It ignores the field: its scripts carry no integrity, and run.
  const scripts = browser.loads.filter((load) => load.src.startsWith(registry.baseUrl));
  assert.ok(scripts.length > 0);
  assert.ok(scripts.every((load) => load.integrity === null && load.outcome === "ran"));
});

test("the seed's client follows manifestUrls that name a commit", async () => {
  const index = registry.readJson("registry.json");
  registry.requests.length = 0;

  const modules = await loadAll();

  assert.deepEqual(modules, [
    { id: "calendar", build: "1.4.2" },
    { id: "Team_Board", build: "2.0.0" },
  ]);
  const read = registry.requests
    .map((request) => request.url)
    .filter((url) => url.endsWith(".json"));
  const named = index.plugins.map((entry: { manifestUrl: string }) =>
    new URL(entry.manifestUrl).pathname.replace(/^\/main\//, "/"),
  );
  assert.ok(
    named.every((path: string) => /^\/[0-9a-f]{40}\/plugins\//.test(path)),
    named,
  );
  assert.deepEqual(read.sort(), ["/main/registry.json", ...named].sort());
});
